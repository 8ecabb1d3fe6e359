"""Expose an :class:`~hybridwait.Engine`'s health to Prometheus (the ``prometheus`` extra).

``pip install 'hybridwait[prometheus]'``, then register a collector; every
scrape reads ``eng.stats()`` once and turns it into metrics::

    from prometheus_client import REGISTRY, start_http_server
    from hybridwait.kube.prometheus import EngineCollector

    eng = Engine()
    REGISTRY.register(EngineCollector(eng))
    start_http_server(9100)

Each key of ``eng.stats()`` becomes a metric. Keys in :data:`METRICS` get a
Prometheus name, a type (counter or gauge) and a help text; the two
``waits_by_*`` keys become one counter with a ``path`` label, ``polls`` and
``wakeups`` one counter with a ``cause`` label. A key the table does not know
(a counter added to the engine later) still appears, as an *untyped* metric
``hybridwait_engine_<key>``, so nothing the engine counts is hidden.

This module is the only one importing ``prometheus_client``; ``import
hybridwait`` does not import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from typing import Any, NamedTuple, Protocol

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    UnknownMetricFamily,
)
from prometheus_client.registry import Collector

__all__ = ["METRICS", "EngineCollector", "MetricKind", "MetricSpec"]


class MetricKind(Enum):
    """How Prometheus should read a stat."""

    COUNTER = "counter"  # only goes up while the engine lives
    GAUGE = "gauge"  # a current level


class MetricSpec(NamedTuple):
    """How one ``eng.stats()`` key is exposed.

    ``name`` is the metric name after the prefix, without ``_total`` (the
    client library adds it to counters); ``label`` is an optional
    ``(label name, label value)`` for keys that share one metric.

    Example::

        MetricSpec("waits_ended", MetricKind.COUNTER, "Waits ended.", ("path", "watch"))
    """

    name: str
    kind: MetricKind
    help: str
    label: tuple[str, str] | None = None


_C, _G = MetricKind.COUNTER, MetricKind.GAUGE
_CHECKS = "Condition checks made by waits, by what caused them."
_ENDED = "Waits ended because their condition was met, by the path that saw it."

#: ``eng.stats()`` keys with a known name, type and help text.
METRICS: dict[str, MetricSpec] = {
    "waits_pending": MetricSpec("waits_pending", _G, "Waits (calls, futures, awaits) in progress."),
    "waits_by_watch": MetricSpec("waits_ended", _C, _ENDED, ("path", "watch")),
    "waits_by_poll": MetricSpec("waits_ended", _C, _ENDED, ("path", "poll")),
    "wakeups": MetricSpec("condition_checks", _C, _CHECKS, ("cause", "watch_event")),
    "polls": MetricSpec("condition_checks", _C, _CHECKS, ("cause", "timer")),
    "direct_gets": MetricSpec(
        "direct_gets", _C, "GET/LIST requests made by waits (the poll path against the API)."
    ),
    "sweeps": MetricSpec("sweeps", _C, "Poll-path re-checks made in bulk by the sweeper."),
    "watchers": MetricSpec("watchers", _G, "Watch connections in use."),
    "watchers_started": MetricSpec("watchers_started", _C, "Watchers started."),
    "watches": MetricSpec("watch_streams_opened", _C, "Watch streams opened."),
    "reconnects": MetricSpec(
        "watch_reconnects", _C, "Watch streams opened after a watcher's first one."
    ),
    "stalls": MetricSpec(
        "watch_stalls", _C, "Watch streams given up for staying silent too long."
    ),
    "lists": MetricSpec("watch_lists", _C, "LIST requests made by watchers (first syncs too)."),
    "relists": MetricSpec(
        "watch_relists", _C, "LISTs after a watcher's first one (410 Gone, Forbidden, ...)."
    ),
    "events": MetricSpec("watch_events", _C, "Watch events applied (ADDED/MODIFIED/DELETED)."),
    "bookmarks": MetricSpec("watch_bookmarks", _C, "BOOKMARK watch events received."),
    "cached_objects": MetricSpec("cached_objects", _G, "Objects held in the condition cache."),
    "discovery_requests": MetricSpec(
        "discovery_requests", _C, "API discovery requests (resource type resolution)."
    ),
}

_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_]")


class _HasStats(Protocol):
    def stats(self) -> Mapping[str, Any]: ...


class EngineCollector(Collector):
    """A ``prometheus_client`` collector reading ``engine.stats()`` at each scrape.

    ``prefix`` starts every metric name (default ``hybridwait``); give each
    engine its own prefix, or its own registry, when one process runs
    several. ``engine`` is anything with ``stats() -> Mapping[str, number]``.
    Register it once: ``REGISTRY.register(EngineCollector(eng))``; unregister
    it (``REGISTRY.unregister(collector)``) when the engine is closed for good.

    Example::

        from prometheus_client import CollectorRegistry, generate_latest
        reg = CollectorRegistry()
        reg.register(EngineCollector(eng))
        print(generate_latest(reg).decode())   # hybridwait_waits_ended_total{path="watch"} 3.0 ...
    """

    def __init__(self, engine: _HasStats, *, prefix: str = "hybridwait") -> None:
        stats = getattr(engine, "stats", None)
        if not callable(stats):
            raise TypeError(f"engine must have stats(), not {type(engine).__name__}")
        if not prefix or _BAD_CHARS.search(prefix) or prefix[0].isdigit():
            raise ValueError(f"prefix must match [a-zA-Z_][a-zA-Z0-9_]*, got {prefix!r}")
        self._stats: Callable[[], Mapping[str, Any]] = stats
        self._prefix = prefix

    def collect(self) -> Iterator[Metric]:
        """One metric family per known name, one untyped metric per unknown key."""
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
        unknown: list[Metric] = []
        for key, value in sorted(self._stats().items()):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            spec = METRICS.get(key)
            if spec is None:
                name = f"{self._prefix}_engine_{_BAD_CHARS.sub('_', key)}"
                fam = UnknownMetricFamily(name, f"Engine.stats()[{key!r}].")
                fam.add_metric([], value)
                unknown.append(fam)
                continue
            full = f"{self._prefix}_{spec.name}"
            family = families.get(full)
            if family is None:
                labels = [spec.label[0]] if spec.label else []
                cls = CounterMetricFamily if spec.kind is MetricKind.COUNTER else GaugeMetricFamily
                family = families[full] = cls(full, spec.help, labels=labels)
            family.add_metric([spec.label[1]] if spec.label else [], value)
        yield from families.values()
        yield from unknown

    def __repr__(self) -> str:
        return f"EngineCollector(prefix={self._prefix!r})"
