"""The Job controller: ``parallelism`` pods at a time until ``completions``
succeed (a Job without ``completions`` is done when one pod succeeds), failed
pods replaced until ``backoffLimit`` is exceeded, ``activeDeadlineSeconds``,
``suspend``; the status a real controller writes: ``startTime``, ``active``,
``ready``, ``succeeded``, ``failed``, ``terminating``, then
``SuccessCriteriaMet`` + ``Complete`` with ``completionTime``, or
``FailureTarget`` + ``Failed`` (``BackoffLimitExceeded``, ``DeadlineExceeded``);
as since 1.31, the terminal condition (``Complete``/``Failed``) only once no pod
of the Job is terminating any more.

Example::

    kubectl wait --for=condition=Complete job/migrate
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.api import now_rfc3339
from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.events import EventType
from hybridwait.testing.cluster.pods import (
    conditions_set,
    generated_name,
    is_active,
    is_ready,
    owned,
    pod_from_template,
)
from hybridwait.testing.cluster.replicaset import owner_refs_for
from hybridwait.testing.cluster.runtime import PODS, Controller, Ref

__all__ = ["JobController"]

JOBS = "batch/jobs"


def _finished(job: dict[str, Any]) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def _restarts_past_limit(job: dict[str, Any], active: list[dict[str, Any]], limit: int
                        ) -> bool:
    """``restartPolicy: OnFailure``: container restarts of the running and pending
    pods count towards ``backoffLimit`` (at least one when the limit is 0)."""
    template = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    if template.get("restartPolicy") != "OnFailure":
        return False
    restarts = sum(int(cs.get("restartCount") or 0) for p in active
                   if (p.get("status") or {}).get("phase") in ("Running", "Pending")
                   for cs in ((p.get("status") or {}).get("initContainerStatuses") or [])
                   + ((p.get("status") or {}).get("containerStatuses") or []))
    return restarts > 0 if limit == 0 else restarts >= limit


class JobController(Controller):
    """See module docstring."""

    name = "job"
    watches = (JOBS, PODS)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._rng = ctx.settings.rng("job")
        self._started: dict[str, float] = {}  # job uid -> simulated start

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == JOBS:
            if ev.type == "DELETED":
                self._started.pop(str(ev.obj["metadata"].get("uid")), None)
            yield Ref(JOBS, ev.namespace, ev.name)
        else:
            yield from owner_refs_for(ev, JOBS, "Job")

    def all_refs(self) -> Iterable[Ref]:
        items = self.client.items(JOBS)
        live = {str(j["metadata"].get("uid")) for j in items}
        for uid in [u for u in self._started if u not in live]:
            del self._started[uid]
        return [Ref.of(JOBS, j) for j in items]

    def sync(self, ref: Ref) -> float | None:
        job = self.client.get(JOBS, ref.namespace, ref.name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        spec = job.get("spec") or {}
        uid = str(job["metadata"]["uid"])
        pods = list(owned(self.client.items(PODS, ref.namespace), job))
        active = [p for p in pods if is_active(p)]
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        status = dict(job.get("status") or {})
        before = dict(status)
        conds = [dict(c) for c in status.get("conditions") or []]
        wake: float | None = None
        if _finished(job):
            for p in active:
                self.client.delete(PODS, ref.namespace, p["metadata"]["name"],
                                   p["metadata"]["uid"])
            active = []
        elif spec.get("suspend"):
            for p in active:
                self.client.delete(PODS, ref.namespace, p["metadata"]["name"],
                                   p["metadata"]["uid"])
            active = []
            conds = conditions_set(conds, "Suspended", "True", "JobSuspended", "Job suspended",
                                   update_time=False)
            for c in conds:
                c.setdefault("lastProbeTime", c["lastTransitionTime"])
        else:
            if any(c.get("type") == "Suspended" and c.get("status") == "True" for c in conds):
                conds = conditions_set(conds, "Suspended", "False", "JobResumed", "Job resumed")
                status.pop("startTime", None)
            if not status.get("startTime"):
                status["startTime"] = now_rfc3339()
                self._started[uid] = self.ctx.now()
            started = self._started.setdefault(uid, self.ctx.now())
            parallelism = int(spec.get("parallelism", 1))
            completions = spec.get("completions")
            limit = int(spec.get("backoffLimit", 6))
            deadline = spec.get("activeDeadlineSeconds")
            failure: tuple[str, str] | None = None
            target = next((c for c in conds if c.get("type") == "FailureTarget"
                           and c.get("status") == "True"), None)
            if target is not None:  # decided: only waiting for its pods to stop
                failure = (str(target.get("reason")), str(target.get("message")))
            elif failed > limit or _restarts_past_limit(job, active, limit):
                failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif deadline is not None and self.ctx.now() - started >= float(deadline):
                failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
            elif deadline is not None:
                wake = started + float(deadline) - self.ctx.now()
            done = (succeeded >= int(completions) if completions is not None
                    else succeeded > 0 and not active) or any(
                c.get("type") == "SuccessCriteriaMet" and c.get("status") == "True"
                for c in conds)
            if failure is not None:
                for p in active:
                    self.client.delete(PODS, ref.namespace, p["metadata"]["name"],
                                       p["metadata"]["uid"])
                active = []
                conds = conditions_set(conds, "FailureTarget", "True", *failure)
                if not self._terminating(job):  # else: when the last one is gone
                    conds = conditions_set(conds, "Failed", "True", *failure)
                    self.ctx.events.emit(job, EventType.WARNING, *failure, "job-controller")
                wake = None
            elif done:
                message = "Reached expected number of succeeded pods"
                conds = conditions_set(conds, "SuccessCriteriaMet", "True",
                                       "CompletionsReached", message)
                if not self._terminating(job):
                    conds = conditions_set(conds, "Complete", "True", "CompletionsReached",
                                           message)
                    status["completionTime"] = now_rfc3339()
                    self.ctx.events.emit(job, EventType.NORMAL, "Completed", "Job completed",
                                         "job-controller")
                wake = None
            else:
                remaining = (int(completions) - succeeded if completions is not None
                             else parallelism)
                want = max(0, min(parallelism, remaining) - len(active))
                for _ in range(want):
                    self._create(job)
                active = [p for p in owned(self.client.items(PODS, ref.namespace), job)
                          if is_active(p)]
            for c in conds:
                c.setdefault("lastProbeTime", c["lastTransitionTime"])
        counts = {"active": len(active), "ready": sum(1 for p in active if is_ready(p)),
                  "succeeded": succeeded, "failed": failed,
                  "terminating": len(self._terminating(job))}
        for k, v in counts.items():
            if v or k in ("ready", "terminating"):
                status[k] = v
            else:
                status.pop(k, None)
        status["uncountedTerminatedPods"] = {}
        if conds:
            status["conditions"] = conds
        if status != before:
            job["status"] = status
            self.client.update(JOBS, job, self.manager, status=True)
        return wake

    def _terminating(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """The Job's pods being deleted that have not finished yet."""
        return [p for p in owned(self.client.items(PODS, job["metadata"]["namespace"]), job)
                if p["metadata"].get("deletionTimestamp")
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]

    def _create(self, job: dict[str, Any]) -> None:
        meta = job["metadata"]
        template = (job.get("spec") or {}).get("template") or {}
        extra = {"batch.kubernetes.io/controller-uid": meta["uid"],
                 "batch.kubernetes.io/job-name": meta["name"],
                 "controller-uid": meta["uid"], "job-name": meta["name"]}
        for _ in range(5):
            name = generated_name(f"{meta['name']}-", self._rng)
            try:
                self.client.create(PODS, meta["namespace"],
                                   pod_from_template(job, template, name, extra), self.manager)
                self.ctx.events.emit(job, EventType.NORMAL, "SuccessfulCreate",
                                     f"Created pod: {name}", "job-controller")
                return
            except StatusError as err:
                if err.code != 409 or err.reason != "AlreadyExists":
                    raise
