"""A simulated kubelet for ``hybridwait demo``: creates pods, then brings each to
Ready (or deletes it) at its planned time, through the real API over HTTP.

Each API call is retried with the core's :class:`~hybridwait.Backoff` (the demo's
chaos mode answers 500s and restarts the server), and the moment each change is
accepted is recorded, so the demo can measure how long a waiter took to wake.

Example::

    plan = make_plan(200, spread=5.0, delete_fraction=0.1, seed=1)
    kubelet = SimulatedKubelet(api_client, "demo", plan)
    kubelet.create_pods()
    kubelet.start(); ...; kubelet.join()
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hybridwait.core import Backoff, exponential_backoff_with_context

__all__ = ["PodPlan", "SimulatedKubelet", "make_plan"]

log = logging.getLogger("hybridwait.cli.kubelet")


@dataclass(frozen=True)
class PodPlan:
    """What happens to one pod: ``action`` ``"ready"`` or ``"delete"`` at ``at``
    seconds after the kubelet starts.

    Example::

        PodPlan("web-007", "ready", 1.25)
    """

    name: str
    action: str
    at: float


def make_plan(n: int, spread: float, delete_fraction: float, seed: int | None) -> list[PodPlan]:
    """``n`` pods, each Ready (or deleted, for ``delete_fraction`` of them) at a uniformly
    random time in ``[0.1, spread]`` seconds, sorted by time.

    Example::

        >>> [p.action for p in make_plan(3, 1.0, 0.0, seed=1)]
        ['ready', 'ready', 'ready']
    """
    rng = random.Random(seed)
    width = len(str(max(n - 1, 0)))
    plans = []
    for i in range(n):
        action = "delete" if rng.random() < delete_fraction else "ready"
        plans.append(PodPlan(f"web-{i:0{width}d}", action, rng.uniform(0.1, max(spread, 0.1))))
    return sorted(plans, key=lambda p: p.at)


class SimulatedKubelet:
    """Drives the planned pod changes from one thread; ``done_at[name]`` is the
    monotonic time each change was accepted by the API server.

    Example::

        kubelet = SimulatedKubelet(api_client, "demo", plan)
        kubelet.create_pods(); kubelet.start(); kubelet.join()
    """

    def __init__(self, api_client: Any, namespace: str, plan: list[PodPlan]) -> None:
        from kubernetes import client

        self.core = client.CoreV1Api(api_client)
        self.namespace = namespace
        self.plan = plan
        self.done_at: dict[str, float] = {}  # when the accepted request was sent
        self.failed: dict[str, str] = {}
        self.retries = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _retrying(self, call: Callable[[], Any], ok_statuses: tuple[int, ...] = ()) -> float:
        """Run ``call`` until it succeeds: 12 tries, 50 ms growing x1.6 (~15 s in all).
        Returns the monotonic time the successful attempt was sent."""
        sent = [0.0]
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as Urllib3Error

        last: list[BaseException] = []

        def attempt(_ctx: object) -> bool:
            sent[0] = time.monotonic()
            try:
                call()
            except ApiException as exc:
                if exc.status in ok_statuses:
                    return True
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise
                last[:] = [exc]
                self.retries += 1
                return False
            except (OSError, Urllib3Error) as exc:
                # refused, reset or cut while the server restarts (urllib3 wraps these
                # in MaxRetryError / ProtocolError); every change here is idempotent
                last[:] = [exc]
                self.retries += 1
                return False
            return True

        from hybridwait.core import WaitInterrupted

        backoff = Backoff(duration=0.05, factor=1.6, jitter=0.1, steps=12)
        try:
            exponential_backoff_with_context(self._stop, backoff, attempt)
        except WaitInterrupted:
            raise RuntimeError(f"gave up after retries: {last[0] if last else 'unknown'}") from None
        return sent[0]

    def create_namespace_and_pods(self) -> None:
        """Create the namespace and every planned pod (not Ready yet)."""
        ns_body: Any = {"metadata": {"name": self.namespace}}  # the client takes plain dicts
        self._retrying(lambda: self.core.create_namespace(ns_body), ok_statuses=(409,))
        for p in self.plan:
            body = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": p.name, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                "status": {"phase": "Pending"},
            }
            self._retrying(lambda body=body: self.core.create_namespaced_pod(  # type: ignore[misc]
                self.namespace, body), ok_statuses=(409,))

    def start(self) -> None:
        """Start applying the plan in a background thread."""
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="hybridwait-demo-kubelet",
                                         daemon=True)
        self._thread.start()

    def _apply(self, p: PodPlan) -> float:
        if p.action == "ready":
            status = {"status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "ContainersReady", "status": "True"},
            ]}}
            return self._retrying(lambda: self.core.patch_namespaced_pod_status(
                p.name, self.namespace, status))
        return self._retrying(lambda: self.core.delete_namespaced_pod(p.name, self.namespace),
                              ok_statuses=(404,))

    def _run(self) -> None:
        for p in self.plan:
            delay = self._t0 + p.at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            try:
                self.done_at[p.name] = self._apply(p)
            except Exception as exc:
                self.failed[p.name] = str(exc) or type(exc).__name__
                log.debug("kubelet: %s %s failed", p.action, p.name, exc_info=True)

    def stop(self) -> None:
        """Stop early (pending changes are not applied)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the plan to finish (or :meth:`stop`)."""
        if self._thread is not None:
            self._thread.join(timeout)
