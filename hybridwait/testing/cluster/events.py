"""Events the simulated components record, as ``core/v1`` Event objects, so
``kubectl get events`` and ``kubectl describe`` show what happened: the
scheduler's ``Scheduled``/``FailedScheduling``, the kubelet's ``Pulled``,
``Created``, ``Started``, ``Killing``, ``BackOff``, ``Failed``, the ReplicaSet's
and Job's ``SuccessfulCreate``/``SuccessfulDelete``, the Deployment's
``ScalingReplicaSet``, the Job's ``Completed``/``BackoffLimitExceeded``/
``DeadlineExceeded``.

An event repeated for the same object (same reason, message and component) is
counted on the one Event (``count``, ``lastTimestamp``), as the real event
correlator does. The recorder remembers at most :data:`MAX_EVENTS` events and
deletes the oldest beyond that (a cluster expires them after an hour), so a long
simulation's events stay bounded. Off with ``ClusterSettings(events=False)``.

Example::

    recorder.emit(pod, EventType.NORMAL, "Scheduled",
                  "Successfully assigned default/web-1 to node-1", "default-scheduler")
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

from hybridwait.testing.apiserver.api import now_rfc3339
from hybridwait.testing.apiserver.errors import StatusError

if TYPE_CHECKING:
    from hybridwait.testing.cluster.runtime import Client

__all__ = ["MAX_EVENTS", "EventRecorder", "EventType"]

log = logging.getLogger("hybridwait.testing.cluster")

EVENTS = "/events"
#: How many events the recorder keeps before deleting the oldest.
MAX_EVENTS = 10_000


class EventType(enum.Enum):
    """An Event's ``type``."""

    NORMAL = "Normal"
    WARNING = "Warning"


class _Key(NamedTuple):
    uid: str
    reason: str
    message: str
    component: str


class EventRecorder:
    """Writes (and aggregates) Events for the simulated components (see module
    docstring); thread-safe.

    Example::

        recorder = EventRecorder(client, enabled=True)
    """

    def __init__(self, client: Client, *, enabled: bool = True) -> None:
        self._client = client
        self.enabled = enabled
        self._lock = threading.Lock()
        self._events: OrderedDict[_Key, tuple[str, str]] = OrderedDict()  # -> (ns, name)
        self._seq = itertools.count()

    def emit(self, obj: dict[str, Any], etype: EventType, reason: str, message: str,
             component: str) -> None:
        """Record one event about ``obj`` (errors are logged, never raised: an
        event is not worth failing a controller's sync for)."""
        if not self.enabled:
            return
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "default")
        key = _Key(str(meta.get("uid") or ""), reason, message, component)
        try:
            with self._lock:
                where = self._events.get(key)
                if where is not None and self._repeat(where):
                    self._events.move_to_end(key)
                    return
                name = f"{meta.get('name')}.{time.time_ns() + next(self._seq):x}"
                self._client.create(EVENTS, ns, self._body(obj, ns, name, etype, reason,
                                                           message, component), component)
                self._events[key] = (ns, name)
                while len(self._events) > MAX_EVENTS:
                    _, (old_ns, old_name) = self._events.popitem(last=False)
                    self._client.delete(EVENTS, old_ns, old_name)
        except StatusError as err:  # e.g. the namespace is terminating
            log.debug("event %s on %s not recorded: %s", reason, meta.get("name"), err)

    def _repeat(self, where: tuple[str, str]) -> bool:
        event = self._client.get(EVENTS, *where)
        if event is None:
            return False
        event["count"] = int(event.get("count") or 1) + 1
        event["lastTimestamp"] = now_rfc3339()
        self._client.update(EVENTS, event, str(event.get("reportingComponent") or ""))
        return True

    @staticmethod
    def _body(obj: dict[str, Any], ns: str, name: str, etype: EventType, reason: str,
              message: str, component: str) -> dict[str, Any]:
        meta = obj.get("metadata") or {}
        now = now_rfc3339()
        involved = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                    "name": meta.get("name"), "uid": meta.get("uid"),
                    "resourceVersion": meta.get("resourceVersion")}
        if meta.get("namespace"):
            involved["namespace"] = meta["namespace"]
        return {"apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": ns},
                "involvedObject": involved, "reason": reason, "message": message,
                "type": etype.value, "source": {"component": component},
                "firstTimestamp": now, "lastTimestamp": now, "count": 1,
                "reportingComponent": component, "reportingInstance": ""}
