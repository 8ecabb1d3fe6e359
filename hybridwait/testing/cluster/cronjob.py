"""The CronJob controller on the simulated clock: the simulated wall time is
the real time the control plane started plus ``srv.cluster.now()``, so at
``time_scale=60`` a ``*/1 * * * *`` CronJob runs a Job every real second.

At each scheduled time (the most recent one only, if several were missed, and
none older than ``startingDeadlineSeconds``) it creates the Job
``NAME-<minutes since the epoch>`` from ``jobTemplate`` (owned by the CronJob,
annotated ``batch.kubernetes.io/cronjob-scheduled-timestamp``), honouring
``suspend`` and ``concurrencyPolicy`` (Allow, Forbid, Replace); it keeps
``status.active`` (references to running Jobs), ``lastScheduleTime`` and
``lastSuccessfulTime``, and deletes finished Jobs beyond
``successfulJobsHistoryLimit`` (3) and ``failedJobsHistoryLimit`` (1). A
schedule that does not parse makes no Jobs. ``timeZone`` is not applied (UTC).

Example::

    srv = FakeAPIServer(cluster=ClusterSettings(time_scale=60)).start()
    batch.create_namespaced_cron_job("default", cron)   # a Job every real second
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.cron import CronError, Schedule
from hybridwait.testing.cluster.job import JOBS
from hybridwait.testing.cluster.pods import owned, owner_ref
from hybridwait.testing.cluster.replicaset import owner_refs_for
from hybridwait.testing.cluster.runtime import Controller, Ref

__all__ = ["CronJobController"]

log = logging.getLogger("hybridwait.testing.cluster")

CRONJOBS = "batch/cronjobs"
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _rfc3339(t: datetime.datetime) -> str:
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _finished(job: dict[str, Any]) -> str:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return ""


class CronJobController(Controller):
    """See module docstring."""

    name = "cronjob"
    watches = (CRONJOBS, JOBS)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._wall0 = time.time()

    def _now(self) -> datetime.datetime:
        """The simulated wall-clock time."""
        return datetime.datetime.fromtimestamp(self._wall0 + self.ctx.now(),
                                               datetime.timezone.utc)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == CRONJOBS:
            yield Ref(CRONJOBS, ev.namespace, ev.name)
        else:
            yield from owner_refs_for(ev, CRONJOBS, "CronJob")

    def sync(self, ref: Ref) -> float | None:
        cj = self.client.get(CRONJOBS, ref.namespace, ref.name)
        if cj is None or cj["metadata"].get("deletionTimestamp"):
            return None
        spec = cj.get("spec") or {}
        jobs = list(owned(self.client.items(JOBS, ref.namespace), cj))
        status = dict(cj.get("status") or {})
        before = dict(status)
        running = [j for j in jobs if not _finished(j)]
        succeeded = [j for j in jobs if _finished(j) == "Complete"]
        failed = [j for j in jobs if _finished(j) == "Failed"]
        last_ok = max((str((j.get("status") or {}).get("completionTime") or "")
                       for j in succeeded), default="")
        if last_ok and last_ok > str(status.get("lastSuccessfulTime") or ""):
            status["lastSuccessfulTime"] = last_ok
        self._history(succeeded, int(spec.get("successfulJobsHistoryLimit", 3)))
        self._history(failed, int(spec.get("failedJobsHistoryLimit", 1)))
        try:
            schedule = Schedule.parse(str(spec.get("schedule", "")))
        except CronError as err:
            log.debug("cronjob %s/%s: unparseable schedule: %s", ref.namespace, ref.name, err)
            self._write(cj, status, running, before)
            return None
        now = self._now()
        since = (_parse(status.get("lastScheduleTime"))
                 or _parse(cj["metadata"].get("creationTimestamp")) or now)
        due = None
        t = schedule.next_after(since)
        while t is not None and t <= now:  # the most recent missed time only
            due = t
            t = schedule.next_after(t)
        deadline = spec.get("startingDeadlineSeconds")
        if due is not None and deadline is not None and (now - due).total_seconds() > float(
                deadline):
            due = None
        if due is not None and not spec.get("suspend"):
            policy = spec.get("concurrencyPolicy", "Allow")
            if policy == "Forbid" and running:
                due = None  # skipped; tried again at the next time
            else:
                if policy == "Replace":
                    for j in running:
                        self.client.delete(JOBS, ref.namespace, j["metadata"]["name"],
                                           j["metadata"]["uid"])
                    running = []
                job = self._create(cj, due)
                if job is not None:
                    running.append(job)
                status["lastScheduleTime"] = _rfc3339(due)
        self._write(cj, status, running, before)
        if t is None:
            return None
        return max((t - self._now()).total_seconds(), 0.0)

    def _write(self, cj: dict[str, Any], status: dict[str, Any],
               running: list[dict[str, Any]], before: dict[str, Any]) -> None:
        active = [{"apiVersion": "batch/v1", "kind": "Job", "name": j["metadata"]["name"],
                   "namespace": j["metadata"]["namespace"], "uid": j["metadata"]["uid"],
                   "resourceVersion": j["metadata"].get("resourceVersion")}
                  for j in sorted(running, key=lambda j: j["metadata"]["name"])]
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        if status != before:
            cj["status"] = status
            self.client.update(CRONJOBS, cj, self.manager, status=True)

    def _create(self, cj: dict[str, Any], due: datetime.datetime) -> dict[str, Any] | None:
        meta = cj["metadata"]
        template = (cj.get("spec") or {}).get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        name = f"{meta['name']}-{int(due.timestamp() // 60)}"
        body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {
            "name": name, "namespace": meta["namespace"],
            "labels": dict(tmeta.get("labels") or {}),
            "annotations": {**(tmeta.get("annotations") or {}), SCHEDULED: _rfc3339(due)},
            "ownerReferences": [owner_ref(cj)]}, "spec": template.get("spec") or {}}
        try:
            return self.client.create(JOBS, meta["namespace"], body, self.manager)
        except StatusError as err:
            if err.code == 409:
                return None  # already made for this time
            raise

    def _history(self, jobs: list[dict[str, Any]], limit: int) -> None:
        extra = sorted(jobs, key=lambda j: str((j.get("status") or {}).get(
            "startTime") or j["metadata"].get("creationTimestamp") or ""))
        for j in extra[: max(0, len(extra) - limit)]:
            meta = j["metadata"]
            self.client.delete(JOBS, meta["namespace"], meta["name"], meta["uid"])
