"""hybridwait: wait for things to happen in a Kubernetes cluster.

The core (everything exported from :mod:`hybridwait.core`) is a thread-based,
Go-faithful port of ``k8s.io/apimachinery/pkg/util/wait`` and imports nothing
heavy. The Kubernetes engine (:class:`Engine`) and :mod:`hybridwait.conditions`
are loaded lazily on first use, so ``import hybridwait`` stays fast.

Example::

    import hybridwait as hw

    ctx, cancel = hw.with_timeout(hw.background(), 5)
    hw.poll_until_context_cancel(ctx, 0.1, True, lambda ctx: check())
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from hybridwait import core as _core
from hybridwait.core import *  # noqa: F403  (the core's __all__ is the contract)
from hybridwait.core import crash

# ``import hybridwait.crash`` works and names the very module the loops read.
sys.modules.setdefault("hybridwait.crash", crash)

if TYPE_CHECKING:
    from hybridwait import conditions as conditions
    from hybridwait.kube.engine import Engine as Engine
    from hybridwait.kube.engine import WaitResult as WaitResult
    from hybridwait.kube.errors import WaitFailed as WaitFailed
    from hybridwait.kube.status import ObjectStatus as ObjectStatus
    from hybridwait.kube.status import Status as Status
    from hybridwait.kube.status import object_status as object_status
    from hybridwait.kube.transform import TransformError as TransformError

__version__ = "0.1.0"

_LAZY = {
    "Engine": ("hybridwait.kube.engine", "Engine"),
    "WaitResult": ("hybridwait.kube.engine", "WaitResult"),
    "WaitFailed": ("hybridwait.kube.errors", "WaitFailed"),
    "conditions": ("hybridwait.conditions", None),
    "object_status": ("hybridwait.kube.status", "object_status"),
    "ObjectStatus": ("hybridwait.kube.status", "ObjectStatus"),
    "Status": ("hybridwait.kube.status", "Status"),
    "TransformError": ("hybridwait.kube.transform", "TransformError"),
}

__all__ = [
    *_core.__all__,
    "Engine",
    "ObjectStatus",
    "Status",
    "TransformError",
    "WaitFailed",
    "WaitResult",
    "conditions",
    "crash",
    "object_status",
]


def __getattr__(name: str) -> Any:
    """Load the engine and conditions on first use (PEP 562)."""
    try:
        modname, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'hybridwait' has no attribute {name!r}") from None
    import importlib

    mod = importlib.import_module(modname)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value
