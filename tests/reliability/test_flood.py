"""Load: an event flood (50,000 modifications to 5,000 objects in 10 s, 5,000
writes/s) keeps the cache within its bound and wakes every waiter within the
documented bound (docs/reliability.md: poll_interval + 1 s)."""

from __future__ import annotations

import json

import pytest

from tests.reliability.flood import run_flood

POLL = 2.0


@pytest.mark.timeout(300)
def test_event_flood_bounded_memory_and_latency() -> None:
    r = run_flood(objects=5000, writes=50_000, waiters=50, cache_size=2000, poll_interval=POLL,
                  rate=5000.0)
    s = r.summary()
    print("FLOOD", json.dumps(s))
    assert not r.errors, r.errors[:5]
    assert r.ok == r.waiters == 50
    assert r.write_seconds < 60, s  # "in seconds": the flood really is a flood
    assert r.stats["events"] >= 0.9 * r.writes, s  # the engine saw (nearly) every event
    assert 0 < r.max_cached <= r.cache_size, s
    assert max(r.latencies) <= POLL + 1.0, s
    assert r.rss_growth_mb < 100, s
