"""``srv.cluster``: the handle on the simulated control plane of a
:class:`~hybridwait.testing.FakeAPIServer` started with ``cluster=...``.

It starts one thread per controller (nodes, scheduler, kubelet, ReplicaSet,
Deployment, StatefulSet, DaemonSet, Job, CronJob, garbage collector, pod GC,
namespaces, endpoints, volumes), each on the emulator's own event history, and offers the
workload faults. :meth:`ControlPlane.stop` joins every thread.

Example::

    with FakeAPIServer(cluster=ClusterSettings(time_scale=60)) as srv:
        srv.cluster.crash_loop(image="web:v2")
        srv.cluster.fail_node("node-1")
        srv.cluster.clear()
"""

from __future__ import annotations

import logging
import threading

from hybridwait.testing.apiserver.api import Api
from hybridwait.testing.cluster.cronjob import CronJobController
from hybridwait.testing.cluster.daemonset import DaemonSetController
from hybridwait.testing.cluster.deployment import DeploymentController
from hybridwait.testing.cluster.endpoints import EndpointsController
from hybridwait.testing.cluster.faults import FaultKind, Selector, WorkloadFaults
from hybridwait.testing.cluster.gc import GarbageCollector
from hybridwait.testing.cluster.job import JobController
from hybridwait.testing.cluster.kubelet import Kubelet
from hybridwait.testing.cluster.namespace import NamespaceController
from hybridwait.testing.cluster.nodes import NodeLifecycle, node_name
from hybridwait.testing.cluster.podgc import PodGC
from hybridwait.testing.cluster.replicaset import ReplicaSetController
from hybridwait.testing.cluster.runtime import ClusterContext, Controller, Loop
from hybridwait.testing.cluster.scheduler import Scheduler
from hybridwait.testing.cluster.settings import ClusterSettings
from hybridwait.testing.cluster.statefulset import StatefulSetController
from hybridwait.testing.cluster.volumes import VolumeController

__all__ = ["CONTROLLERS", "ControlPlane"]

log = logging.getLogger("hybridwait.testing.cluster")

CONTROLLERS: tuple[type[Controller], ...] = (
    NodeLifecycle, Scheduler, Kubelet, ReplicaSetController, DeploymentController,
    StatefulSetController, DaemonSetController, JobController, CronJobController,
    GarbageCollector, PodGC,
    NamespaceController, EndpointsController, VolumeController,
)
JOIN_TIMEOUT = 10.0


class ControlPlane:
    """The simulation behind ``srv.cluster`` (see module docstring).

    Example::

        srv.cluster.never_ready(selector="app=web")
        srv.cluster.nodes        # ['node-1', 'node-2', 'node-3']
    """

    def __init__(self, api: Api, settings: ClusterSettings) -> None:
        self.settings = settings
        self.faults = WorkloadFaults()
        self._api = api
        self._lock = threading.Lock()
        self._ctx: ClusterContext | None = None
        self._loops: list[Loop] = []

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """Start every controller thread (idempotent; ``FakeAPIServer.start`` calls it).

        Example::

            plane.start()
        """
        with self._lock:
            if self._loops:
                return
            ctx = ClusterContext(self._api, self.settings, self.faults)
            self._ctx = ctx
            # the emulator's deletes now behave as with a controller manager and
            # kubelets: propagationPolicy becomes the GC's finalizers, and a bound
            # pod is marked (Terminating) for its kubelet to stop and delete
            self._api.garbage_collector = True
            self._api.graceful_pods = True
            self._loops = [Loop(cls(ctx), ctx) for cls in CONTROLLERS]
            for loop in self._loops:
                loop.start()

    def stop(self) -> None:
        """Stop and join every controller thread (idempotent; ``FakeAPIServer.stop``
        calls it).

        Example::

            plane.stop(); assert not plane.threads()
        """
        with self._lock:
            loops, self._loops = self._loops, []
            ctx = self._ctx
            if ctx is not None:
                ctx.stopping.set()
            self._api.garbage_collector = False
            self._api.graceful_pods = False
            for loop in loops:
                loop.wake()
            for loop in loops:
                loop.join(JOIN_TIMEOUT)
                if loop.alive:
                    log.warning("cluster controller %s did not stop within %.0f s",
                                loop.controller.name, JOIN_TIMEOUT)

    @property
    def running(self) -> bool:
        """True while the controllers run."""
        return bool(self._loops)

    def now(self) -> float:
        """Simulated seconds since the control plane started (0 when stopped)."""
        ctx = self._ctx
        return ctx.now() if ctx is not None else 0.0

    @property
    def nodes(self) -> list[str]:
        """Names of the simulated nodes."""
        return [node_name(i) for i in range(1, self.settings.nodes + 1)]

    def errors(self) -> dict[str, int]:
        """``{controller: failed syncs}`` (a controller that raised logs it and goes on)."""
        return {loop.controller.name: loop.errors for loop in self._loops}

    def threads(self) -> list[str]:
        """Names of the live controller threads."""
        return [f"hybridwait-cluster-{loop.controller.name}" for loop in self._loops
                if loop.alive]

    # -- faults ------------------------------------------------------------------------
    def _changed(self) -> None:
        for loop in self._loops:
            if loop.controller.name in ("kubelet", "scheduler", "node-lifecycle"):
                loop.resync()

    def crash_loop(self, image: str | None = None, selector: Selector = None) -> None:
        """Matching pods' containers exit with code 1 soon after they start, never
        Ready: ``CrashLoopBackOff`` with growing restart counts (``Failed`` for pods
        with ``restartPolicy: Never``, so a Job's pods fail).

        Example::

            srv.cluster.crash_loop(image="web:2")      # the rollout to web:2 fails
        """
        self.faults.add(FaultKind.CRASH_LOOP, image=image, selector=selector)
        self._changed()

    def image_pull_error(self, image: str | None = None, selector: Selector = None) -> None:
        """Matching pods stay ``Pending`` with ``ImagePullBackOff``.

        Example::

            srv.cluster.image_pull_error(image="registry.example/typo:1")
        """
        self.faults.add(FaultKind.IMAGE_PULL_ERROR, image=image, selector=selector)
        self._changed()

    def never_ready(self, image: str | None = None, selector: Selector = None) -> None:
        """Matching pods run but their readiness never passes (Ready stays False).

        Example::

            srv.cluster.never_ready(selector={"app": "web"})
        """
        self.faults.add(FaultKind.NEVER_READY, image=image, selector=selector)
        self._changed()

    def flapping(self, image: str | None = None, selector: Selector = None,
                 period: float = 10.0) -> None:
        """Matching running pods toggle Ready every ``period`` simulated seconds.

        Example::

            srv.cluster.flapping(selector="app=web", period=5.0)
        """
        if period <= 0:
            raise ValueError("period must be > 0")
        self.faults.add(FaultKind.FLAPPING, image=image, selector=selector, period=period)
        self._changed()

    def unschedulable(self, image: str | None = None, selector: Selector = None) -> None:
        """Matching pods that are not bound yet stay ``Pending``
        (``PodScheduled=False``, reason ``Unschedulable``).

        Example::

            srv.cluster.unschedulable(selector="app=batch")
        """
        self.faults.add(FaultKind.UNSCHEDULABLE, image=image, selector=selector)
        self._changed()

    def fail_node(self, name: str) -> None:
        """Node ``name`` stops: Ready ``Unknown``, ``unreachable`` taints, its pods
        not Ready and evicted after ``eviction_delay`` simulated seconds.

        Example::

            srv.cluster.fail_node("node-2")
        """
        if name not in self.nodes:
            raise ValueError(f"no simulated node {name!r} (nodes: {', '.join(self.nodes)})")
        self.faults.fail_node(name)
        self._changed()

    def clear(self) -> None:
        """End every workload fault; failed nodes become Ready again.

        Example::

            srv.cluster.clear()
        """
        self.faults.clear()
        self._changed()
