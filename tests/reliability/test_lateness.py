"""The engine's lateness promise under a 429 storm (docs/engine.md, "Lateness
under faults"): a wait ends within

    max(poll_interval, stall_timeout) + sum of min(Retry-After, poll_interval)
    over its reads the API refused + one read (queueing included)

after its condition became true (plus a quarter poll interval in degraded mode,
where a wait's reads are the shared LISTs of its namespace). The case that once
broke the soak's fixed 3 s bound: the watch is down (the waits read the API: now
by shared LISTs), the objects become true, and a 429 storm with
``Retry-After: 1`` refuses the next reads."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from hybridwait import Engine
from tests.kube.conftest import Kube

POLL = 2.0
STALL = 2.0
READ_SLACK = 1.0  # one successful read, queueing included, on a busy 2-core machine
N = 40


def _until(pred: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


class _PoolFull(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "Connection pool is full" in record.getMessage():
            self.count += 1


def test_a_429_storm_right_after_the_change_delays_waits_by_retry_after_only(
    fake_apiserver: Any
) -> None:
    srv = fake_apiserver
    kube = Kube(srv)
    for i in range(N):
        kube.pod(f"p{i}")
    pool_full = _PoolFull()
    logging.getLogger("urllib3.connectionpool").addHandler(pool_full)
    api = srv.api_client()
    eng = Engine(api_client=api, poll_interval=POLL, stall_timeout=STALL)
    ended: dict[int, float] = {}
    errors: list[BaseException] = []
    scope = "/api/v1/namespaces/default/pods"

    def wait(i: int) -> None:
        try:
            eng.wait(f"pod/p{i}", for_="condition=Ready", timeout=60)
            ended[i] = time.monotonic()
        except BaseException as exc:
            errors.append(exc)

    def scope_lists() -> int:
        return sum(1 for r in srv.requests if r.verb == "list" and r.path == scope)

    threads = [threading.Thread(target=wait, args=(i,), name=f"lateness-{i}") for i in range(N)]
    try:
        for t in threads:
            t.start()
        # every wait made its first check, on one healthy namespace-wide watch
        _until(lambda: eng.stats()["polls"] >= N
               and [(st.wide, st.healthy) for st in eng.watch_status()] == [(True, True)], 30)
        # the watch goes down for good: degraded mode, the waits read the namespace
        # by shared LISTs, each poll interval
        srv.faults.forbid_watch(True)
        srv.faults.drop_watches()
        _until(lambda: not any(st.healthy for st in eng.watch_status()), 10)
        n0 = scope_lists()
        _until(lambda: scope_lists() > n0, 30)
        # right after a shared LIST, so that the next one reads the changed objects
        offset = time.time() - time.monotonic()
        true_at = time.monotonic()
        for i in range(N):
            kube.ready(f"p{i}")
        # ... and the API refuses the next reads, asking for a second's patience
        srv.faults.fail_next(2, 429, retry_after=1, verb="list")
        for t in threads:
            t.join(60)
        assert not errors, errors[:3]
        assert len(ended) == N
    finally:
        srv.faults.clear()
        eng.close()
        api.close()
        kube.api.close()
        logging.getLogger("urllib3.connectionpool").removeHandler(pool_full)
    after = [r for r in srv.requests if r.time - offset >= true_at]
    gets = [r for r in after if r.verb == "get" and "/pods/" in r.path]
    assert not gets, f"{len(gets)} per-object GETs in degraded mode"
    lists = sorted(r.time - offset for r in after if r.verb == "list" and r.path == scope)
    refused = sorted(r.time - offset for r in after
                     if r.verb == "list" and r.path == scope and r.status == 429)
    assert refused, "the storm hit the shared LISTs"
    bound = max(POLL, STALL) + POLL / 4 + len(refused) * min(1.0, POLL) + READ_SLACK
    worst = max(ended[i] - true_at for i in range(N))
    assert worst <= bound, f"{worst:.2f}s late, bound {bound:.2f}s"
    # Retry-After honoured: no LIST of the namespace within 1 s after a 429
    for t429 in refused:
        nxt = [t for t in lists if t > t429]
        assert not nxt or nxt[0] - t429 >= 0.9, f"listed {nxt[0] - t429:.2f}s after a 429"
    print(f"refused LISTs {len(refused)}, LISTs {len(lists)}, worst lateness {worst:.2f}s "
          f"(bound {bound:.2f}s); pool-full warnings: {pool_full.count}")


def test_a_silent_stream_holds_a_wait_at_most_stall_timeout(fake_apiserver: Any) -> None:
    """The other term of the promise: a trusted stream that goes silent holds a wait
    for at most ``stall_timeout`` (then every wait of its scope reads the API), here
    with ``poll_interval`` shorter than ``stall_timeout``."""
    srv = fake_apiserver
    kube = Kube(srv)
    kube.pod("a")
    api = srv.api_client()
    eng = Engine(api_client=api, poll_interval=0.5, stall_timeout=STALL)
    out: dict[str, Any] = {}

    def wait() -> None:
        out["r"] = eng.wait_result("pod/a", for_="condition=Ready", timeout=60)
        out["t"] = time.monotonic()

    t = threading.Thread(target=wait, name="lateness-stall")
    try:
        t.start()
        _until(lambda: [st.healthy for st in eng.watch_status()] == [True], 10)
        srv.faults.stall_watches(60.0)
        changed = time.monotonic()
        kube.ready("a")
        t.join(20)
        assert out["r"].path == "poll"
        assert out["t"] - changed <= max(0.5, STALL) + READ_SLACK
    finally:
        srv.faults.clear()
        eng.close()
        t.join(5)
        api.close()
        kube.api.close()
