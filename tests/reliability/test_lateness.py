"""The engine's lateness promise under a 429 storm (docs/engine.md, "Lateness
under faults"): a wait ends within

    max(poll_interval, stall_timeout) + sum of min(Retry-After, poll_interval)
    over its reads the API refused + one read (queueing included)

after its condition became true. The case that once broke the soak's fixed 3 s
bound: the watch is down (the waits poll the API), the objects become true, and a
429 storm with ``Retry-After: 1`` refuses the next reads."""

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

    def wait(i: int) -> None:
        try:
            eng.wait(f"pod/p{i}", for_="condition=Ready", timeout=60)
            ended[i] = time.monotonic()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wait, args=(i,), name=f"lateness-{i}") for i in range(N)]
    try:
        for t in threads:
            t.start()
        # every wait made its first check, on one healthy namespace-wide watch
        _until(lambda: eng.stats()["polls"] >= N
               and [(st.wide, st.healthy) for st in eng.watch_status()] == [(True, True)], 30)
        # the watch goes down for good: every wait reads the API each poll interval
        srv.faults.forbid_watch(True)
        srv.faults.drop_watches()
        _until(lambda: not any(st.healthy for st in eng.watch_status()), 10)
        _until(lambda: eng.stats()["direct_gets"] >= N, 30)
        # right after a poll burst, so that the next burst reads the changed objects
        g0 = eng.stats()["direct_gets"]
        _until(lambda: eng.stats()["direct_gets"] >= g0 + N, 30)
        offset = time.time() - time.monotonic()
        true_at = time.monotonic()
        for i in range(N):
            kube.ready(f"p{i}")
        # ... and the API refuses the next reads, asking for a second's patience
        srv.faults.fail_next(2 * N, 429, retry_after=1, verb="get")
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
    refused: dict[str, list[float]] = {}
    gets: dict[str, list[float]] = {}
    for r in srv.requests:
        if r.verb == "get" and "/pods/" in r.path and r.time - offset >= true_at:
            gets.setdefault(r.path, []).append(r.time - offset)
            if r.status == 429:
                refused.setdefault(r.path, []).append(r.time - offset)
    assert sum(map(len, refused.values())) >= N  # the storm hit the waits' reads
    late_by_refusals = 0
    worst = max(ended[i] - true_at for i in range(N))
    for i in range(N):
        path = f"/api/v1/namespaces/default/pods/p{i}"
        mine = refused.get(path, [])
        bound = max(POLL, STALL) + len(mine) * min(1.0, POLL) + READ_SLACK
        lateness = ended[i] - true_at
        assert lateness <= bound, f"p{i}: {lateness:.2f}s late, bound {bound:.2f}s"
        if lateness > max(POLL, STALL) + READ_SLACK:
            late_by_refusals += 1
        # Retry-After honoured: no read of the object within 1 s after a 429
        for t429 in mine:
            nxt = [g for g in gets[path] if g > t429]
            assert not nxt or nxt[0] - t429 >= 0.9, f"p{i}: retried {nxt[0] - t429:.2f}s after 429"
    print(f"refused reads {sum(map(len, refused.values()))}, worst lateness {worst:.2f}s, "
          f"late beyond poll_interval + 1 s because of the storm: {late_by_refusals}/{N}; "
          f"pool-full warnings: {pool_full.count}")


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
