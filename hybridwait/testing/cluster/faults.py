"""Workload faults a test asks for through ``srv.cluster``: which pods crash
loop, fail to pull their image, never become Ready, flap, cannot be scheduled,
and which nodes have failed.

A fault matches pods by ``image=`` (any container's image, exactly) and/or a
label ``selector=`` (``"app=web,tier in (a,b)"``, or a ``{"app": "web"}`` map of
labels); it applies to pods created
afterwards and to existing ones (the kubelet and scheduler re-check every pod
when the faults change). ``clear()`` ends them all.

Example::

    srv.cluster.crash_loop(image="web:v2")
    srv.cluster.unschedulable(selector="app=batch")
    srv.cluster.clear()
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.selectors import LabelSelector

__all__ = ["FaultKind", "Selector", "WorkloadFault", "WorkloadFaults"]

# A label selector as text (``"app=web"``) or as a map of labels.
Selector = str | Mapping[str, str] | None

# A test adds a handful of faults; this bounds a runaway loop adding more.
MAX_FAULTS = 1000


class FaultKind(enum.Enum):
    """What a workload fault does to a matching pod."""

    CRASH_LOOP = "crash_loop"
    IMAGE_PULL_ERROR = "image_pull_error"
    NEVER_READY = "never_ready"
    FLAPPING = "flapping"
    UNSCHEDULABLE = "unschedulable"


class WorkloadFault(NamedTuple):
    """One fault: its kind, which pods it matches, and (for flapping) the period
    in simulated seconds."""

    kind: FaultKind
    image: str | None
    selector: LabelSelector | None
    period: float = 0.0

    def matches(self, pod: Mapping[str, Any]) -> bool:
        """True if ``pod`` is one this fault applies to."""
        if self.selector is not None and not self.selector.matches(pod):
            return False
        if self.image is not None:
            spec = pod.get("spec") or {}
            images = {c.get("image") for c in spec.get("containers") or []
                      if isinstance(c, dict)}
            if self.image not in images:
                return False
        return True


class WorkloadFaults:
    """The active faults (thread-safe); ``version`` grows with every change.

    Example::

        faults.add(FaultKind.NEVER_READY, image="web:v2")
        faults.kinds_for(pod)      # {FaultKind.NEVER_READY}
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: tuple[WorkloadFault, ...] = ()
        self._failed_nodes: frozenset[str] = frozenset()

    def add(self, kind: FaultKind, *, image: str | None = None,
            selector: Selector = None, period: float = 0.0) -> WorkloadFault:
        """Add a fault matching ``image`` and/or ``selector`` (one is required)."""
        if image is None and selector is None:
            raise ValueError("a workload fault needs image= or selector=")
        if isinstance(selector, Mapping):
            selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        try:
            sel = LabelSelector.parse(selector) if selector is not None else None
        except StatusError as err:
            raise ValueError(f"invalid selector {selector!r}: {err}") from None
        fault = WorkloadFault(kind, image, sel, period)
        with self._lock:
            if len(self._faults) >= MAX_FAULTS:
                raise ValueError(f"more than {MAX_FAULTS} workload faults")
            self._faults = (*self._faults, fault)
        return fault

    def fail_node(self, name: str) -> None:
        """Mark node ``name`` failed."""
        with self._lock:
            self._failed_nodes = self._failed_nodes | {name}

    def clear(self) -> None:
        """End every fault (failed nodes recover)."""
        with self._lock:
            self._faults = ()
            self._failed_nodes = frozenset()

    def for_pod(self, pod: Mapping[str, Any]) -> dict[FaultKind, WorkloadFault]:
        """The faults that apply to ``pod``, by kind (the first added wins)."""
        out: dict[FaultKind, WorkloadFault] = {}
        for f in self._faults:
            if f.kind not in out and f.matches(pod):
                out[f.kind] = f
        return out

    def node_failed(self, name: str) -> bool:
        """True if node ``name`` was failed by :meth:`fail_node`."""
        return name in self._failed_nodes

    @property
    def failed_nodes(self) -> frozenset[str]:
        """Names of failed nodes."""
        return self._failed_nodes
