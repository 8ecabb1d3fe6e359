"""The simulated kubelet where a pod's life ends other than by its containers
finishing: a terminal phase written by someone else (a test, a script) is
final and ends the containers, and a pod deleted before it ran ends Failed.

What a 1.32 kubelet does, from its source: it never moves a pod out of a
terminal phase the API shows (``generateAPIPodStatus``), does not start a
terminal pod's containers (``SyncPod`` returns at once), stops the running ones,
and its status manager's ``TerminatePod`` turns every container that is not
terminated into ``terminated`` with reason ``ContainerStatusUnknown``, exit
code 137; a pod that was not terminal by then is marked ``Failed``. kubectl's
STATUS column shows a container's terminated reason before the phase, so such
a pod reads ``ContainerStatusUnknown``. Driven over real HTTP with the
``kubernetes`` client and kubectl 1.32, time stepped with a FakeClock.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer, FakeClock
from hybridwait.testing.apiserver.store import Event, Watcher
from hybridwait.testing.cluster import ClusterSettings, Span
from tests.cli.conftest import kubectl_path
from tests.cluster.conftest import TIMEOUT, condition, wait_until

# a real server also shows "startedAt": null and "finishedAt": null (Go's zero
# time); the emulator's store drops null fields (docs/testing.md)
UNKNOWN = {"exitCode": 137, "reason": "ContainerStatusUnknown",
           "message": "The container could not be located when the pod was terminated"}


class Sim:
    """A simulated cluster on a FakeClock: pods start 1 simulated s after
    they are bound, and nothing moves until the test steps the clock."""

    def __init__(self, srv: FakeAPIServer, clock: FakeClock) -> None:
        from kubernetes import client

        self.srv = srv
        self.clock = clock
        self.core = client.CoreV1Api(srv.api_client())

    def pod(self, name: str = "p") -> dict[str, Any]:
        return self.srv.store.get("/pods", "default", name) or {}

    def status(self, name: str = "p") -> dict[str, Any]:
        return dict(self.pod(name).get("status") or {})

    def create(self, name: str = "p", containers: int = 1, **spec: Any) -> None:
        self.core.create_namespaced_pod("default", {
            "metadata": {"name": name},
            "spec": {"containers": [{"name": f"c{i}", "image": "x"} for i in range(containers)],
                     **spec}})

    def containers_creating(self, name: str = "p") -> None:
        """Wait until the kubelet wrote ContainerCreating and armed its start timer."""
        wait_until(self.srv, lambda: [
            cs for cs in self.status(name).get("containerStatuses") or []
            if (cs.get("state") or {}).get("waiting", {}).get("reason") == "ContainerCreating"],
            what="ContainerCreating")
        assert self.clock.wait_for_waiters(1, timeout=TIMEOUT)

    def running(self, name: str = "p") -> None:
        self.containers_creating(name)
        self.clock.step(1.0)
        wait_until(self.srv, lambda: self.status(name).get("phase") == "Running",
                   what="Running")

    def set_phase(self, phase: str, name: str = "p") -> None:
        """What a test or a script does: the status subresource, phase only."""
        self.core.patch_namespaced_pod_status(name, "default", {"status": {"phase": phase}})

    def all_terminated(self, name: str = "p") -> list[dict[str, Any]]:
        statuses = self.status(name).get("containerStatuses") or []
        done = statuses and all("terminated" in (cs.get("state") or {}) for cs in statuses)
        return list(statuses) if done else []

    def kubectl_row(self, name: str = "p") -> list[str]:
        out = subprocess.run(
            [kubectl_path() or "kubectl", f"--kubeconfig={self.srv.kubeconfig}",
             "get", "pod", name, "--no-headers"],
            capture_output=True, text=True, timeout=60, check=True).stdout
        return out.split()


@pytest.fixture
def sim() -> Iterator[Sim]:
    clock = FakeClock()
    settings = ClusterSettings(nodes=1, seed=1, clock=clock, create_delay=Span(1.0, 1.0),
                               run_time=Span(5.0, 5.0))
    with FakeAPIServer(cluster=settings) as srv:
        yield Sim(srv, clock)


needs_kubectl = pytest.mark.skipif(kubectl_path() is None, reason="kubectl is not installed")


@needs_kubectl
@pytest.mark.parametrize(("phase", "why"), [("Succeeded", "PodCompleted"),
                                            ("Failed", "PodFailed")])
def test_a_pod_set_terminal_before_its_containers_started_is_never_started(
        sim: Sim, phase: str, why: str) -> None:
    sim.create(containers=2)
    sim.containers_creating()
    sim.set_phase(phase)

    statuses = wait_until(sim.srv, sim.all_terminated, what="the containers ended")
    assert [cs["state"]["terminated"] for cs in statuses] == [UNKNOWN, UNKNOWN]
    assert not any(cs["ready"] or cs["started"] for cs in statuses)
    status = sim.status()
    assert status["phase"] == phase  # the kubelet keeps the phase it was given
    for ctype in ("Ready", "ContainersReady"):
        c = condition(sim.pod(), ctype)
        assert c is not None and (c["status"], c.get("reason")) == ("False", why)
    assert "podIP" not in status  # no sandbox was started
    # what kubectl prints for it on a cluster: the containers' reason, not the phase
    assert sim.kubectl_row()[1:3] == ["0/2", "ContainerStatusUnknown"]

    # the start that was due never happens
    before = sim.pod()["metadata"]["resourceVersion"]
    sim.clock.step(60.0)
    assert sim.status()["phase"] == phase
    assert sim.pod()["metadata"]["resourceVersion"] == before


@needs_kubectl
def test_a_pod_set_succeeded_before_the_kubelet_saw_it_gets_a_kubelet_status(
        sim: Sim) -> None:
    # bound by hand, its kubelet stopped until the phase is set: what a script
    # sees when it marks a pod done the moment it is created
    sim.srv.cluster.fail_node("node-1")
    sim.create(nodeName="node-1")
    sim.set_phase("Succeeded")
    assert sim.status()["phase"] == "Succeeded"
    assert "containerStatuses" not in sim.status() and "startTime" not in sim.status()
    sim.srv.cluster.clear()

    statuses = wait_until(sim.srv, sim.all_terminated, what="the kubelet's status")
    assert [cs["state"]["terminated"] for cs in statuses] == [UNKNOWN]
    status = sim.status()
    assert status["phase"] == "Succeeded" and status["startTime"] and status["hostIP"]
    assert sim.kubectl_row()[1:3] == ["0/1", "ContainerStatusUnknown"]


@needs_kubectl
def test_a_running_pod_set_succeeded_has_its_containers_stopped(sim: Sim) -> None:
    sim.create()
    sim.running()
    started = sim.status()["containerStatuses"][0]["state"]["running"]["startedAt"]
    sim.set_phase("Succeeded")

    statuses = wait_until(sim.srv, sim.all_terminated, what="the container stopped")
    ended = statuses[0]["state"]["terminated"]
    # a server stops cleanly on SIGTERM
    assert (ended["exitCode"], ended["reason"], ended["startedAt"]) == (0, "Completed", started)
    assert ended["containerID"] == statuses[0]["containerID"]
    assert sim.status()["phase"] == "Succeeded"
    ready = condition(sim.pod(), "Ready")
    assert ready is not None and (ready["status"], ready.get("reason")) == ("False",
                                                                           "PodCompleted")
    assert sim.kubectl_row()[1:3] == ["0/1", "Completed"]
    wait_until(sim.srv, lambda: "Killing" in [
        e.get("reason") for e in sim.srv.store.items("/events", "default")
        if (e.get("involvedObject") or {}).get("name") == "p"], what="the Killing event")


def test_a_finished_pod_is_never_moved_out_of_its_phase(sim: Sim) -> None:
    sim.create(restartPolicy="Never")
    sim.running()
    assert sim.clock.wait_for_waiters(1, timeout=TIMEOUT)
    sim.set_phase("Failed")  # before its 5 s run ends
    wait_until(sim.srv, sim.all_terminated, what="the container stopped")
    sim.clock.step(10.0)  # past the end of its run: it does not "succeed" later
    status = sim.status()
    assert status["phase"] == "Failed"
    # a run-to-completion container cut short by SIGTERM exits 143
    assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 143


class _Statuses:
    """Every status the store recorded for pod ``p`` (MODIFIED events)."""

    def __init__(self, srv: FakeAPIServer) -> None:
        self.srv = srv
        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._watcher = Watcher("/pods", offer=self._offer)
        srv.store.add_watcher(self._watcher)

    def _offer(self, ev: Event) -> None:
        if ev.type == "MODIFIED" and ev.name == "p":
            with self._lock:
                self.seen.append(dict(ev.obj.get("status") or {}))

    def last(self) -> dict[str, Any]:
        with self._lock:
            return self.seen[-1] if self.seen else {}

    def close(self) -> None:
        self.srv.store.remove_watcher(self._watcher)


def _delete_and_last_status(sim: Sim) -> dict[str, Any]:
    """Delete pod ``p``, wait until its kubelet has removed it, and return the
    last status it had."""
    seen = _Statuses(sim.srv)
    try:
        sim.core.delete_namespaced_pod("p", "default")
        wait_until(sim.srv, lambda: not sim.pod(), what="the pod deleted by its kubelet")
        return seen.last()
    finally:
        seen.close()


def test_a_pod_deleted_before_its_containers_started_ends_failed_at_once(sim: Sim) -> None:
    sim.create(terminationGracePeriodSeconds=30)
    sim.containers_creating()
    # nothing runs, so nothing to wait 30 s for: gone without a clock step
    final = _delete_and_last_status(sim)
    assert final["phase"] == "Failed"
    assert [cs["state"]["terminated"] for cs in final["containerStatuses"]] == [UNKNOWN]
    assert sim.srv.cluster.now() == 0.0


def test_a_completed_pod_is_deleted_without_its_grace_period(sim: Sim) -> None:
    sim.create(restartPolicy="Never", terminationGracePeriodSeconds=30)
    sim.running()
    assert sim.clock.wait_for_waiters(1, timeout=TIMEOUT)
    sim.clock.step(5.0)
    wait_until(sim.srv, lambda: sim.status().get("phase") == "Succeeded", what="Succeeded")
    ended = sim.status()["containerStatuses"]
    sim.core.delete_namespaced_pod("p", "default")
    wait_until(sim.srv, lambda: not sim.pod(), what="the pod deleted by its kubelet")
    assert ended[0]["state"]["terminated"]["reason"] == "Completed"


def test_a_crash_looping_pod_deleted_keeps_its_last_exit(sim: Sim) -> None:
    sim.srv.cluster.crash_loop(image="x")
    sim.create()
    sim.running()
    assert sim.clock.wait_for_waiters(1, timeout=TIMEOUT)
    sim.clock.step(60.0)  # crashed: waiting in CrashLoopBackOff

    def backing_off() -> bool:
        cs = (sim.status().get("containerStatuses") or [{}])[0]
        return (cs.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff"
    wait_until(sim.srv, backing_off, what="CrashLoopBackOff")
    final = _delete_and_last_status(sim)
    # the exited container is what the runtime still shows: its exit, not "unknown"
    ended = final["containerStatuses"][0]["state"]["terminated"]
    assert (ended["exitCode"], ended["reason"]) == (1, "Error")
    assert final["phase"] == "Failed"


def _pod_gc_armed(sim: Sim) -> None:
    """Wait until the pod GC's quarantine timer (40 s from now) is pending."""
    due = sim.clock.now() + 40.0
    wait_until(sim.srv, lambda: abs((sim.clock.next_due() or 0.0) - due) < 1e-6,
               what="the pod GC's timer")


def test_the_pods_of_a_deleted_node_are_failed_and_deleted_by_the_pod_gc(sim: Sim) -> None:
    sim.create()
    sim.running()
    seen = _Statuses(sim.srv)
    try:
        sim.core.delete_node("node-1")
        _pod_gc_armed(sim)
        sim.clock.step(39.0)
        assert sim.status()["phase"] == "Running"  # still quarantined
        sim.clock.step(1.0)
        wait_until(sim.srv, lambda: not sim.pod(), what="the pod deleted by the pod GC")
        final = seen.last()
    finally:
        seen.close()
    assert final["phase"] == "Failed"
    target = [c for c in final["conditions"] if c["type"] == "DisruptionTarget"]
    assert [(c["status"], c["reason"], c["message"]) for c in target] == [
        ("True", "DeletionByPodGC", "PodGC: node no longer exists")]


@needs_kubectl
def test_a_pod_bound_to_a_node_that_does_not_exist_is_not_run(sim: Sim) -> None:
    sim.create(nodeName="node-9")
    _pod_gc_armed(sim)
    # no kubelet wrote anything: Pending as the API server made it
    assert "containerStatuses" not in sim.status() and "startTime" not in sim.status()
    assert sim.kubectl_row()[1:3] == ["0/1", "Pending"]
    sim.clock.step(40.0)
    wait_until(sim.srv, lambda: not sim.pod(), what="the pod deleted by the pod GC")


def test_a_failed_node_marks_its_pods_not_ready_and_they_wait_for_its_kubelet(
        sim: Sim) -> None:
    sim.create(terminationGracePeriodSeconds=30)
    sim.running()
    sim.srv.cluster.fail_node("node-1")

    def not_ready() -> dict[str, Any] | None:
        c = condition(sim.pod(), "Ready")
        return c if c is not None and c["status"] == "False" else None
    ready = wait_until(sim.srv, not_ready, what="the pod marked not Ready")
    # as the node lifecycle controller's MarkPodsNotReady: only Ready's status flips
    assert "reason" not in ready and "message" not in ready
    containers = condition(sim.pod(), "ContainersReady")
    assert containers is not None and containers["status"] == "True"

    def events() -> list[tuple[str, str, str]]:
        return [(e.get("type"), e.get("reason"), e.get("message"))
                for e in sim.srv.store.items("/events", "default")
                if (e.get("involvedObject") or {}).get("name") == "p"]
    wait_until(sim.srv, lambda: ("Warning", "NodeNotReady", "Node is not ready") in events(),
               what="the NodeNotReady event")

    assert sim.clock.wait_for_waiters(1, timeout=TIMEOUT)
    sim.clock.step(300.0)  # eviction_delay: deleted, gracefully
    wait_until(sim.srv, lambda: sim.pod()["metadata"].get("deletionTimestamp"),
               what="the pod evicted")
    # as the taint eviction controller: a DisruptionTarget condition, an event
    target = condition(sim.pod(), "DisruptionTarget")
    assert target is not None and (target["status"], target["reason"], target["message"]) == (
        "True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
    wait_until(sim.srv, lambda: ("Normal", "TaintManagerEviction",
                                 "Marking for deletion Pod default/p") in events(),
               what="the TaintManagerEviction event")
    sim.clock.step(60.0)  # past its grace period: no kubelet to stop it
    assert sim.pod() and sim.status()["phase"] == "Running"
    # the node is back: its kubelet stops the containers with the whole grace
    # period, counted from when it saw the pod (as a kubelet's kill does)
    due = sim.clock.now() + 30.0
    sim.srv.cluster.clear()
    wait_until(sim.srv, lambda: abs((sim.clock.next_due() or 0.0) - due) < 1e-6,
               what="the kubelet's grace timer")
    sim.clock.step(30.0)
    wait_until(sim.srv, lambda: not sim.pod(), what="the pod deleted by its kubelet")


def test_the_active_deadline_counts_from_start_time(sim: Sim) -> None:
    sim.create(activeDeadlineSeconds=3)  # a server: it would run for ever
    sim.running()  # 1 s after startTime
    sim.clock.step(1.9)
    assert sim.status()["phase"] == "Running"
    sim.clock.step(0.1)  # 3 s after startTime
    wait_until(sim.srv, lambda: sim.status().get("phase") == "Failed", what="Failed")
    status = sim.status()
    assert (status["reason"], status["message"]) == (
        "DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
    ended = status["containerStatuses"][0]["state"]["terminated"]
    assert (ended["exitCode"], ended["reason"]) == (0, "Completed")  # stopped by SIGTERM
    ready = condition(sim.pod(), "Ready")
    assert ready is not None and (ready["status"], ready.get("reason")) == ("False", "PodFailed")
    wait_until(sim.srv, lambda: "DeadlineExceeded" in [
        e.get("reason") for e in sim.srv.store.items("/events", "default")
        if (e.get("involvedObject") or {}).get("name") == "p"], what="the event")
    sim.clock.step(60.0)  # never started again
    assert sim.status()["phase"] == "Failed"


def test_a_pod_that_never_started_fails_at_its_active_deadline(sim: Sim) -> None:
    sim.srv.cluster.image_pull_error(image="x")
    sim.create(activeDeadlineSeconds=5)
    sim.containers_creating()
    sim.clock.step(1.0)

    def pulling() -> bool:
        cs = (sim.status().get("containerStatuses") or [{}])[0]
        return (cs.get("state") or {}).get("waiting", {}).get("reason") == "ImagePullBackOff"
    wait_until(sim.srv, pulling, what="ImagePullBackOff")
    assert sim.clock.wait_for_waiters(1, timeout=TIMEOUT)
    sim.clock.step(4.0)
    wait_until(sim.srv, lambda: sim.status().get("phase") == "Failed", what="Failed")
    status = sim.status()
    assert status["reason"] == "DeadlineExceeded"
    assert [cs["state"]["terminated"] for cs in status["containerStatuses"]] == [UNKNOWN]
