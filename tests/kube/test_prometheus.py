"""The prometheus extra: an Engine's stats() as metrics, scraped with the real
prometheus_client from a real Engine on the emulator."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hybridwait import Engine
from hybridwait.kube.prometheus import METRICS, EngineCollector, MetricKind


def scrape(collector: EngineCollector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Register on a fresh registry, render the text format and parse it back."""
    reg = CollectorRegistry()
    reg.register(collector)
    text = generate_latest(reg).decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.endswith("_created"):
                continue
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def types_of(collector: EngineCollector) -> dict[str, str]:
    reg = CollectorRegistry()
    reg.register(collector)
    return {f.name: f.type for f in text_string_to_metric_families(generate_latest(reg).decode())}


def sample_name(key: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Where ``eng.stats()[key]`` must appear in a scrape."""
    spec = METRICS.get(key)
    if spec is None:
        return f"hybridwait_engine_{key}", ()
    suffix = "_total" if spec.kind is MetricKind.COUNTER else ""
    labels = (spec.label,) if spec.label else ()
    return f"hybridwait_{spec.name}{suffix}", labels


def test_every_stat_of_a_working_engine_is_exposed(kube: Any, engine: Engine) -> None:
    kube.pod("web-0")
    kube.ready("web-0")
    engine.wait("pod/web-0", for_="condition=Ready", namespace="default", timeout=30)
    engine.wait("pods/web-0", for_="jsonpath={.status.phase}=Running", namespace="default",
                timeout=30, watch=False)
    collector = EngineCollector(engine)
    got = scrape(collector)
    stats = engine.stats()  # after the scrape: counters can only have grown
    assert stats, "the engine reports no stats"
    for key, value in stats.items():
        where = sample_name(key)
        assert where in got, f"stats()[{key!r}] missing from the scrape"
        spec = METRICS.get(key)
        if spec is not None and spec.kind is MetricKind.COUNTER:
            assert got[where] <= value
        assert got[where] >= 0
    # The wait did real work, and it shows.
    ended = sum(v for (n, _l), v in got.items() if n == "hybridwait_waits_ended_total")
    assert ended >= 2
    assert got[("hybridwait_watchers", ())] == engine.stats()["watchers"] >= 1
    assert got[("hybridwait_cached_objects", ())] >= 1
    assert got[("hybridwait_watch_streams_opened_total", ())] >= 1
    assert got[("hybridwait_direct_gets_total", ())] >= 1  # the watch=False wait read the API


def test_known_stats_have_their_prometheus_type(engine: Engine) -> None:
    types = types_of(EngineCollector(engine))
    for key in engine.stats():
        spec = METRICS.get(key)
        if spec is not None:
            assert types[f"hybridwait_{spec.name}"] == spec.kind.value, key
    assert types["hybridwait_waits_ended"] == "counter"
    assert types["hybridwait_watchers"] == "gauge"


class _StatsOnly:
    """Anything with stats(): what the collector reads (an engine of a later version)."""

    def __init__(self, stats: dict[str, Any]) -> None:
        self._s = stats

    def stats(self) -> dict[str, Any]:
        return dict(self._s)


def test_a_stat_the_table_does_not_know_still_appears_untyped() -> None:
    c = EngineCollector(_StatsOnly({"events": 4, "brand-new counter": 7, "note": "text"}))
    got = scrape(c)
    assert got[("hybridwait_watch_events_total", ())] == 4
    assert got[("hybridwait_engine_brand_new_counter", ())] == 7  # name sanitised
    assert not any("note" in n for n, _l in got)  # non-numbers are skipped
    assert types_of(c)["hybridwait_engine_brand_new_counter"] == "unknown"


def test_one_registry_takes_one_collector_per_prefix(engine: Engine) -> None:
    reg = CollectorRegistry(auto_describe=True)
    reg.register(EngineCollector(engine))
    with pytest.raises(ValueError, match="Duplicated"):
        reg.register(EngineCollector(engine))
    reg.register(EngineCollector(engine, prefix="second_engine"))
    assert "second_engine_watchers " in generate_latest(reg).decode()


def test_bad_arguments_fail_at_once() -> None:
    with pytest.raises(TypeError, match="stats"):
        EngineCollector(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prefix"):
        EngineCollector(_StatsOnly({}), prefix="9bad-name")


def test_import_hybridwait_does_not_import_prometheus_client() -> None:
    code = (
        "import sys, hybridwait, hybridwait.kube; "
        "hybridwait.Engine; "
        "print('prometheus_client' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"
