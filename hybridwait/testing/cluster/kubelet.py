"""The simulated kubelet of every simulated node: takes a bound pod through
``Pending`` (``ContainerCreating``) → ``Running`` → ``Ready`` with delays drawn
from the seeded settings, writes the pod conditions and container statuses a
kubelet writes, runs run-to-completion pods to ``Succeeded``, and plays the
workload faults: ``CrashLoopBackOff`` (restart counts, a doubling back-off),
``ImagePullBackOff``, never Ready, Ready flapping, and ``Failed`` for
crashing pods with ``restartPolicy: Never``. The pods of a failed node, or of
a node that does not exist, are left alone (no kubelet runs them).

A terminal phase is final, whoever set it: a pod someone else marks
``Succeeded``/``Failed`` is never started (or restarted), its running
containers are stopped, and the others become ``terminated`` with reason
``ContainerStatusUnknown``, exit code 137, as a 1.32 kubelet's
``TerminatePod`` writes; a pod deleted with nothing running goes at once; a
pod past its ``activeDeadlineSeconds`` (from ``startTime``) ends ``Failed``
with reason ``DeadlineExceeded``.

Timed steps are kept per pod uid; an event on a pod whose next step is not
due yet changes nothing, so the kubelet's own writes do not speed it up.

Example::

    with FakeAPIServer(cluster=ClusterSettings(time_scale=100)) as srv:
        ...  # a created pod is Running and Ready within a few real ms
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from typing import Any, NamedTuple

from hybridwait.testing.apiserver.api import now_rfc3339
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.events import EventType
from hybridwait.testing.cluster.faults import FaultKind, WorkloadFault
from hybridwait.testing.cluster.pods import conditions_set, is_active, is_ready
from hybridwait.testing.cluster.runtime import NODES, PODS, Controller, Ref

__all__ = ["Kubelet"]

MAX_BACKOFF = 300.0


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]


def _has_probe(pod: dict[str, Any]) -> bool:
    return any(c.get("readinessProbe") for c in _containers(pod))


def _runs_to_completion(pod: dict[str, Any]) -> bool:
    return str((pod.get("spec") or {}).get("restartPolicy", "Always")) != "Always"


class Kubelet(Controller):
    """Runs the pods bound to simulated nodes (see module docstring)."""

    name = "kubelet"
    watches = (PODS, NODES)
    manager = "kubelet"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._next: dict[str, float] = {}  # pod uid -> simulated time of its next step
        self._ips = itertools.count(2)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == NODES:  # a node (re)appeared: its kubelet runs its pods
            if ev.type == "ADDED":
                yield from (Ref.of(PODS, p) for p in self.client.items(PODS)
                            if (p.get("spec") or {}).get("nodeName") == ev.name)
            return
        if ev.type == "DELETED":
            uid = str(ev.obj["metadata"].get("uid"))
            self._next.pop(uid, None)
            self._next.pop(f"{uid}/terminating", None)
            self._next.pop(f"{uid}/deadline", None)
            self.ctx.forget_pods(gone=uid)
            return
        if (ev.obj.get("spec") or {}).get("nodeName"):
            yield Ref(PODS, ev.namespace, ev.name)

    def all_refs(self) -> Iterable[Ref]:
        pods = self.client.items(PODS)
        # a re-sync may follow missed DELETED events: forget timers of gone pods
        live = {str(p["metadata"].get("uid")) for p in pods}
        for key in [k for k in self._next if k.split("/", 1)[0] not in live]:
            del self._next[key]
        self.ctx.forget_pods(live=live)
        return [Ref.of(PODS, p) for p in pods if (p.get("spec") or {}).get("nodeName")]

    def sync(self, ref: Ref) -> float | None:
        pod = self.client.get(PODS, ref.namespace, ref.name)
        if pod is None:
            return None
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or self.ctx.faults.node_failed(node):
            return None
        if self.client.store.get(NODES, "", node) is None:
            return None  # no such node, so no kubelet (the pod GC deletes the pod)
        uid = str(pod["metadata"]["uid"])
        now = self.ctx.now()
        if pod["metadata"].get("deletionTimestamp"):
            return self._terminate(pod, uid, now)
        if not is_active(pod):
            # a terminal phase is final, whoever wrote it: nothing is started
            # again, what still runs is stopped (a 1.32 kubelet's SyncPod)
            self._next.pop(uid, None)
            self._next.pop(f"{uid}/deadline", None)
            if not _all_ended(pod):
                self._kill_events(pod)
                self._write(pod, self._ended(pod, _stop_code(pod)))
            return None
        deadline = self._next.get(f"{uid}/deadline")
        if deadline is not None and now >= deadline:
            self._deadline_exceeded(pod, uid)
            return None
        due = self._next.get(uid)
        if due is not None and now < due:
            return _sooner(due - now, deadline, now)
        self._next.pop(uid, None)
        delay = self._advance(pod, due is not None)
        if delay is not None:
            self._next[uid] = now + delay
        if not (pod.get("status") or {}).get("startTime"):
            return delay
        seconds = (pod.get("spec") or {}).get("activeDeadlineSeconds")
        if deadline is None and isinstance(seconds, int) and seconds > 0:
            # counted from startTime, the kubelet's first status for the pod
            deadline = self._next[f"{uid}/deadline"] = now + seconds
        return _sooner(delay, deadline, now)

    def _deadline_exceeded(self, pod: dict[str, Any], uid: str) -> None:
        """``spec.activeDeadlineSeconds`` passed since ``startTime``: the pod is
        Failed (reason ``DeadlineExceeded``) and its containers stopped, as a
        kubelet's active deadline handler does."""
        self._next.pop(uid, None)
        self._next.pop(f"{uid}/deadline", None)
        self._event(pod, EventType.NORMAL, DEADLINE.reason, DEADLINE.message)
        self._kill_events(pod)
        status = self._ended(pod, _stop_code(pod), failed=DEADLINE)
        self._write(pod, status)

    def _terminate(self, pod: dict[str, Any], uid: str, now: float) -> float | None:
        """A pod being deleted: running containers stop after the grace period
        (nothing running: at once), then the kubelet deletes it for good
        (finalizers, if any, still hold it)."""
        key = f"{uid}/terminating"
        if _running(pod):
            grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
            if key not in self._next:
                self._kill_events(pod)
            # counted from when this kubelet saw it; a later, shorter delete cuts it
            due = min(self._next.get(key, now + grace), now + grace)
            self._next[key] = due
            if now < due:
                return due - now
        if not _all_ended(pod):
            self._write(pod, self._ended(pod, _stop_code(pod), deleting=True))
        self.client.delete(PODS, str(pod["metadata"].get("namespace")),
                           str(pod["metadata"]["name"]), uid, grace_period=0)
        return None

    # -- the state machine ---------------------------------------------------------
    def _rng(self, pod: dict[str, Any], step: str) -> Any:
        meta = pod["metadata"]
        restarts = sum(int(cs.get("restartCount", 0)) for cs in
                       (pod.get("status") or {}).get("containerStatuses") or [])
        return self.ctx.settings.rng(str(meta.get("namespace")), str(meta["name"]), step,
                                     str(restarts))

    def _advance(self, pod: dict[str, Any], elapsed: bool) -> float | None:
        """One step for ``pod``; ``elapsed``: a timed step of it came due."""
        status = pod.get("status") or {}
        faults = self.ctx.faults.for_pod(pod)
        settings = self.ctx.settings
        if not status.get("startTime"):
            self._write(pod, self._created(pod))
            return settings.create_delay.draw(self._rng(pod, "create"))
        if status.get("phase") == "Pending":
            if FaultKind.IMAGE_PULL_ERROR in faults:
                self._write(pod, self._pull_backoff(pod))
                for c in _containers(pod):
                    self._event(pod, EventType.NORMAL, "BackOff",
                                f'Back-off pulling image "{c.get("image")}"')
                    self._event(pod, EventType.WARNING, "Failed", "Error: ImagePullBackOff")
                return None
            ready = (not _has_probe(pod) and FaultKind.NEVER_READY not in faults
                     and FaultKind.CRASH_LOOP not in faults)
            self._write(pod, self._running(pod, ready))
            self._started_events(pod, pulled=True)
            return self._after_start(pod, faults)
        waiting = [cs for cs in status.get("containerStatuses") or []
                   if ((cs.get("state") or {}).get("waiting") or {}).get("reason")
                   == "CrashLoopBackOff"]
        if waiting:  # the back-off ended: start the containers again
            ready = (not _has_probe(pod) and FaultKind.NEVER_READY not in faults
                     and FaultKind.CRASH_LOOP not in faults)
            self._write(pod, self._running(pod, ready))
            self._started_events(pod, pulled=False)
            return self._after_start(pod, faults)
        if FaultKind.CRASH_LOOP in faults:
            if not elapsed:
                return settings.crash_after.draw(self._rng(pod, "crash"))
            if (pod.get("spec") or {}).get("restartPolicy") == "Never":
                self._write(pod, self._ended(pod, 1))
                return None
            self._write(pod, self._crashed(pod))
            meta = pod["metadata"]
            for c in _containers(pod):
                self._event(pod, EventType.WARNING, "BackOff", (
                    f"Back-off restarting failed container {c.get('name')} in pod "
                    f"{meta['name']}_{meta.get('namespace')}({meta['uid']})"))
            return self._backoff(pod)
        if _runs_to_completion(pod):
            if not elapsed:
                return settings.run_time.draw(self._rng(pod, "run"))
            self._write(pod, self._ended(pod, 0))
            return None
        if FaultKind.NEVER_READY in faults:
            if is_ready(pod):
                self._write(pod, self._readiness(pod, False))
            return None
        flap = faults.get(FaultKind.FLAPPING)
        if flap is not None:
            self._write(pod, self._readiness(pod, not is_ready(pod)))
            return flap.period
        if not is_ready(pod):
            if elapsed or not _has_probe(pod):
                self._write(pod, self._readiness(pod, True))
                return None
            return settings.ready_delay.draw(self._rng(pod, "ready"))
        return None

    def _after_start(self, pod: dict[str, Any], faults: dict[FaultKind, WorkloadFault]
                     ) -> float | None:
        settings = self.ctx.settings
        if FaultKind.CRASH_LOOP in faults:
            return settings.crash_after.draw(self._rng(pod, "crash"))
        if _runs_to_completion(pod):
            return settings.run_time.draw(self._rng(pod, "run"))
        flap = faults.get(FaultKind.FLAPPING)
        if flap is not None:
            return flap.period
        if _has_probe(pod) and FaultKind.NEVER_READY not in faults:
            return settings.ready_delay.draw(self._rng(pod, "ready"))
        return None

    def _backoff(self, pod: dict[str, Any]) -> float:
        restarts = max((int(cs.get("restartCount", 0)) for cs in
                        (pod.get("status") or {}).get("containerStatuses") or []), default=1)
        return float(min(MAX_BACKOFF,
                         self.ctx.settings.crash_backoff * 2 ** max(restarts - 1, 0)))

    # -- events --------------------------------------------------------------------
    def _event(self, pod: dict[str, Any], etype: EventType, reason: str, message: str
               ) -> None:
        self.ctx.events.emit(pod, etype, reason, message, self.manager)

    def _kill_events(self, pod: dict[str, Any]) -> None:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if "running" in (cs.get("state") or {}):
                self._event(pod, EventType.NORMAL, "Killing",
                            f"Stopping container {cs.get('name')}")

    def _started_events(self, pod: dict[str, Any], *, pulled: bool) -> None:
        for c in _containers(pod):
            if pulled:
                self._event(pod, EventType.NORMAL, "Pulled",
                            f'Container image "{c.get("image")}" already present on machine')
            self._event(pod, EventType.NORMAL, "Created", f"Created container {c.get('name')}")
            self._event(pod, EventType.NORMAL, "Started", f"Started container {c.get('name')}")

    # -- statuses ------------------------------------------------------------------
    def _write(self, pod: dict[str, Any], status: dict[str, Any]) -> None:
        if status != pod.get("status"):
            was = is_ready(pod)
            pod["status"] = status
            uid = str(pod["metadata"]["uid"])
            changed = is_ready(pod) != was
            if changed:  # recorded first: a controller may see the write at once
                self.ctx.mark_ready(uid, not was)
            try:
                self.client.update(PODS, pod, self.manager, status=True)
            except Exception:
                if changed:
                    self.ctx.mark_ready(uid, was)
                raise

    @staticmethod
    def _names(pod: dict[str, Any]) -> str:
        return " ".join(str(c.get("name")) for c in _containers(pod))

    def _created(self, pod: dict[str, Any]) -> dict[str, Any]:
        status = dict(pod.get("status") or {})
        node = self.client.get("/nodes", "", str(pod["spec"]["nodeName"])) or {}
        host = next((a.get("address") for a in (node.get("status") or {}).get("addresses") or []
                     if a.get("type") == "InternalIP"), "172.18.0.2")
        waiting = f"containers with unready status: [{self._names(pod)}]"
        conds: list[dict[str, Any]] = []
        conds = conditions_set(conds, "PodReadyToStartContainers", "False", "", "")
        conds = conditions_set(conds, "Initialized", "True", "", "")
        conds = conditions_set(conds, "Ready", "False", "ContainersNotReady", waiting)
        conds = conditions_set(conds, "ContainersReady", "False", "ContainersNotReady", waiting)
        sched = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
        conds += sched or conditions_set([], "PodScheduled", "True", "", "")
        for c in conds:
            c.setdefault("lastProbeTime", None)
            if not c.get("reason"):
                c.pop("reason", None)
                c.pop("message", None)
        status.update(phase="Pending", conditions=conds, hostIP=host,
                      hostIPs=[{"ip": host}], startTime=now_rfc3339())
        status.setdefault("qosClass", "BestEffort")  # the API server's, when it set one
        status["containerStatuses"] = [_waiting(c) for c in _containers(pod)]
        return status

    def _pull_backoff(self, pod: dict[str, Any]) -> dict[str, Any]:
        status = dict(pod.get("status") or {})
        status["conditions"] = conditions_set(list(status.get("conditions") or []),
                                              "PodReadyToStartContainers", "True", "", "")
        _strip(status["conditions"])
        status["containerStatuses"] = [
            dict(cs, state={"waiting": {"reason": "ImagePullBackOff",
                                        "message": f'Back-off pulling image "{cs.get("image")}"'}})
            for cs in status.get("containerStatuses") or []]
        return status

    def _pod_ip(self, pod: dict[str, Any], status: dict[str, Any]) -> None:
        if status.get("podIP"):
            return
        n = next(self._ips)  # unique for the first 64,000 pods
        ip = f"10.244.{n // 250 % 256}.{n % 250 + 2}"
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]

    def _running(self, pod: dict[str, Any], ready: bool) -> dict[str, Any]:
        status = dict(pod.get("status") or {})
        now = now_rfc3339()
        status["phase"] = "Running"
        self._pod_ip(pod, status)
        conds = conditions_set(list(status.get("conditions") or []),
                               "PodReadyToStartContainers", "True", "", "")
        status["conditions"] = conds
        status["containerStatuses"] = [
            dict(cs, ready=ready, started=True, imageID="sha256:" + _hex(cs.get("image")),
                 containerID="containerd://" + _hex(pod["metadata"]["uid"], cs.get("name"),
                                                    cs.get("restartCount", 0)),
                 state={"running": {"startedAt": now}})
            for cs in status.get("containerStatuses") or []]
        return self._with_readiness(pod, status, ready)

    def _readiness(self, pod: dict[str, Any], ready: bool) -> dict[str, Any]:
        status = dict(pod.get("status") or {})
        status["containerStatuses"] = [dict(cs, ready=ready)
                                       for cs in status.get("containerStatuses") or []]
        return self._with_readiness(pod, status, ready)

    def _with_readiness(self, pod: dict[str, Any], status: dict[str, Any], ready: bool
                        ) -> dict[str, Any]:
        conds = list(status.get("conditions") or [])
        if ready:
            conds = conditions_set(conds, "Ready", "True", "", "")
            conds = conditions_set(conds, "ContainersReady", "True", "", "")
        else:
            message = f"containers with unready status: [{self._names(pod)}]"
            conds = conditions_set(conds, "Ready", "False", "ContainersNotReady", message)
            conds = conditions_set(conds, "ContainersReady", "False", "ContainersNotReady",
                                   message)
        _strip(conds)
        status["conditions"] = conds
        return status

    def _crashed(self, pod: dict[str, Any]) -> dict[str, Any]:
        status = dict(pod.get("status") or {})
        now = now_rfc3339()
        meta = pod["metadata"]
        out = []
        for cs in status.get("containerStatuses") or []:
            restarts = int(cs.get("restartCount", 0)) + 1
            backoff = min(MAX_BACKOFF, self.ctx.settings.crash_backoff * 2 ** (restarts - 1))
            started = ((cs.get("state") or {}).get("running") or {}).get("startedAt", now)
            out.append(dict(
                cs, ready=False, started=False, restartCount=restarts,
                lastState={"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started,
                                          "finishedAt": now,
                                          "containerID": cs.get("containerID", "")}},
                state={"waiting": {"reason": "CrashLoopBackOff", "message": (
                    f"back-off {_seconds(backoff)} restarting failed container={cs.get('name')} "
                    f"pod={meta['name']}_{meta.get('namespace')}({meta['uid']})")}}))
        status["containerStatuses"] = out
        return self._with_readiness(pod, status, False)

    def _ended(self, pod: dict[str, Any], exit_code: int, *, deleting: bool = False,
               failed: PodFailure | None = None) -> dict[str, Any]:
        """The status a kubelet leaves when a pod's containers are done: running
        ones exited with ``exit_code``; a crash-looping one being deleted shows
        its last exit (the runtime still has that container); any other one that
        is not terminated (never started, backing off) is terminated with reason
        ``ContainerStatusUnknown``, exit 137, no times (the status manager's
        ``TerminatePod``). A terminal phase already set is kept; otherwise
        ``Succeeded`` if every container exited 0, else ``Failed``; ``failed``:
        the kubelet ends the pod ``Failed`` for that reason."""
        status = dict(pod.get("status") or {})
        phase = status.get("phase")
        if not status.get("startTime"):  # never synced here: the status it would write
            status = self._created(pod)
        now = now_rfc3339()
        known = {cs.get("name"): cs for cs in status.get("containerStatuses") or []}
        out = []
        for c in _containers(pod):
            cs = dict(known.get(c.get("name")) or _waiting(c))
            state = cs.get("state") or {}
            last = (cs.get("lastState") or {}).get("terminated")
            if "running" in state:
                state = {"terminated": {
                    "exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                    "startedAt": state["running"].get("startedAt", now), "finishedAt": now,
                    "containerID": cs.get("containerID", "")}}
            elif "terminated" not in state:
                state = {"terminated": dict(last) if deleting and last else dict(UNKNOWN)}
            out.append(dict(cs, ready=False, started=False, state=state))
        status["containerStatuses"] = out
        if phase in ("Succeeded", "Failed"):
            status["phase"] = phase
        elif failed is not None:
            status["phase"] = "Failed"
            status["reason"], status["message"] = failed.reason, failed.message
        else:
            clean = all(cs["state"]["terminated"].get("exitCode") == 0 for cs in out)
            status["phase"] = "Succeeded" if clean else "Failed"
        conds = list(status.get("conditions") or [])
        why = "PodCompleted" if status["phase"] == "Succeeded" else "PodFailed"
        conds = conditions_set(conds, "PodReadyToStartContainers", "False", "", "")
        conds = conditions_set(conds, "Ready", "False", why, "")
        conds = conditions_set(conds, "ContainersReady", "False", why, "")
        _strip(conds)
        status["conditions"] = conds
        return status


UNKNOWN: dict[str, Any] = {
    "exitCode": 137, "reason": "ContainerStatusUnknown",
    "message": "The container could not be located when the pod was terminated",
    "startedAt": None, "finishedAt": None}


def _waiting(container: dict[str, Any]) -> dict[str, Any]:
    """A container's status before it was created."""
    return {"name": container.get("name"), "image": container.get("image"), "imageID": "",
            "ready": False, "restartCount": 0, "started": False,
            "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}}


def _running(pod: dict[str, Any]) -> bool:
    """Some container of ``pod`` is running."""
    return any("running" in (cs.get("state") or {})
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def _all_ended(pod: dict[str, Any]) -> bool:
    """Every container of ``pod`` has a terminated state."""
    states = {cs.get("name"): cs.get("state") or {}
              for cs in (pod.get("status") or {}).get("containerStatuses") or []}
    return all("terminated" in states.get(c.get("name"), {}) for c in _containers(pod))


class PodFailure(NamedTuple):
    """Why a kubelet ends a pod ``Failed`` (its ``status.reason``/``message``)."""

    reason: str
    message: str


DEADLINE = PodFailure("DeadlineExceeded",
                      "Pod was active on the node longer than the specified deadline")


def _sooner(delay: float | None, deadline: float | None, now: float) -> float | None:
    """The next step's delay, or the time to ``deadline`` if that comes first."""
    if deadline is None:
        return delay
    return max(0.0, deadline - now) if delay is None else min(delay, max(0.0, deadline - now))


def _stop_code(pod: dict[str, Any]) -> int:
    """How a container stopped by SIGTERM exits: a server cleanly (0); a
    run-to-completion container cut short with 143, so its pod is Failed."""
    return 143 if _runs_to_completion(pod) else 0


def _strip(conds: list[dict[str, Any]]) -> None:
    """Drop empty reason/message fields (the kubelet omits them)."""
    for c in conds:
        c.setdefault("lastProbeTime", None)
        if not c.get("reason"):
            c.pop("reason", None)
        if not c.get("message"):
            c.pop("message", None)


def _hex(*parts: Any) -> str:
    """A stable 64-digit hex id from ``parts`` (container and image ids)."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _seconds(value: float) -> str:
    """A back-off as Go prints a duration (``10s``, ``2m40s``, ``5m0s``)."""
    total = int(value)
    if total < 60:
        return f"{total}s"
    return f"{total // 60}m{total % 60}s"
