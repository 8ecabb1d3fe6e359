"""Every emulator fault during live waits: each wait ends with the right object
(no missed wake-up), and waits whose condition never holds do not end (no false one)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from hybridwait import Canceled, Engine, WaitTimeout

# How long the waits that never become true are kept after the last flipped wait
# ended (a false wake-up would come with the same events or the next poll).
SETTLE = 1.5


def _ready(obj: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


def scenario(
    srv: Any,
    kube: Any,
    fault: Callable[[], None],
    *,
    n: int = 6,
    flip: int = 4,
    after_fault: float = 0.0,
    poll_interval: float = 1.0,
    stall_timeout: float = 1.0,
    end_within: float = 5.0,
    settle: float | None = SETTLE,
) -> tuple[Engine, dict[str, Any]]:
    """Start n waits, inject ``fault``, flip ``flip`` pods, check every outcome."""
    for i in range(n):
        kube.pod(f"p{i}")
    eng = Engine(
        api_client=srv.api_client(), poll_interval=poll_interval, stall_timeout=stall_timeout
    )
    results: dict[str, Any] = {}
    ended: dict[str, float] = {}
    # the unmet waits end at end_within, or ``settle`` s after the flipped ones are
    # done (None: at end_within only)
    settled = threading.Event()

    def wait(i: int, timeout: float) -> None:
        try:
            results[f"p{i}"] = eng.wait_result(f"pod/p{i}", for_="condition=Ready",
                                               timeout=timeout,
                                               ctx=settled if i >= flip else None)
        except BaseException as e:
            results[f"p{i}"] = e
        ended[f"p{i}"] = time.monotonic()

    threads = [
        threading.Thread(target=wait, args=(i, 30.0 if i < flip else end_within))
        for i in range(n)
    ]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while eng.stats()["lists"] == 0 or eng.stats()["watches"] == 0:
            assert time.monotonic() < deadline, "watch never started"
            time.sleep(0.01)
        time.sleep(0.3)  # every waiter registered and synced
        fault()
        time.sleep(after_fault)
        flipped_at = time.monotonic()
        for i in range(flip):
            kube.ready(f"p{i}")
        for t in threads[:flip]:
            t.join(40)
        if settle is not None:
            time.sleep(settle)  # real time on purpose: the unmet waits must stay unmet
            settled.set()
        for t in threads[flip:]:
            t.join(40)
        for i in range(n):
            r = results[f"p{i}"]
            if i < flip:
                assert not isinstance(r, BaseException), f"p{i}: {r!r}"
                assert _ready(r.objects), f"p{i} ended with an unmet object"
                assert r.objects["metadata"]["name"] == f"p{i}"
                assert ended[f"p{i}"] >= flipped_at
                assert ended[f"p{i}"] - flipped_at < end_within, f"p{i} ended late"
            else:
                assert isinstance(r, (WaitTimeout, Canceled)), f"p{i} should still be unmet: {r!r}"
        return eng, results
    finally:
        eng.close()


def test_dropped_watch(fake_apiserver, kube):
    eng, _ = scenario(fake_apiserver, kube, fake_apiserver.faults.drop_watches)
    assert eng.stats()["reconnects"] >= 1


def test_stalled_watch_falls_back_to_polling(fake_apiserver, kube):
    eng, _ = scenario(
        fake_apiserver, kube, lambda: fake_apiserver.faults.stall_watches(4.0), after_fault=1.5
    )
    s = eng.stats()
    assert s["stalls"] >= 1
    assert s["direct_gets"] >= 1  # the poll path read the API while the watch was silent


def test_expired_resource_version_relists(fake_apiserver, kube):
    def fault() -> None:
        # The open (and any re-opened) watch streams go silent, an event they
        # miss is written and the history forgotten; when the silence ends they
        # resume at an old resourceVersion, get 410 and the watcher must relist.
        # (With no timing in it: 500s and a backoff raced the waits' timeouts.)
        fake_apiserver.faults.stall_watches(60.0)
        kube.v1.patch_namespaced_pod("p5", "default", {"metadata": {"labels": {"x": "1"}}})
        fake_apiserver.faults.compact()
        fake_apiserver.faults.clear()

    eng, _ = scenario(fake_apiserver, kube, fault, poll_interval=30.0)
    assert eng.stats()["relists"] >= 1


def test_500_storm(fake_apiserver, kube):
    def fault() -> None:
        fake_apiserver.faults.fail_next(10, status=500, verb="watch")
        fake_apiserver.faults.fail_next(10, status=500, verb="get")
        fake_apiserver.faults.fail_next(3, status=500, verb="list")
        fake_apiserver.faults.drop_watches()

    scenario(fake_apiserver, kube, fault, end_within=15.0)


def test_429_storm_with_retry_after(fake_apiserver, kube):
    def fault() -> None:
        fake_apiserver.faults.fail_next(5, status=429, retry_after=1, verb="watch")
        fake_apiserver.faults.drop_watches()

    scenario(fake_apiserver, kube, fault)
    watches = sorted(
        (r for r in fake_apiserver.requests if r.verb == "watch"), key=lambda r: r.time
    )
    throttled = [i for i, r in enumerate(watches) if r.status == 429]
    assert throttled
    for i in throttled:  # Retry-After: 1 is honoured before the next attempt
        if i + 1 < len(watches):
            assert watches[i + 1].time - watches[i].time >= 0.9


def test_watch_forbidden_polls_the_api(fake_apiserver, kube):
    def fault() -> None:
        fake_apiserver.faults.forbid_watch(True)
        fake_apiserver.faults.drop_watches()

    # the unmet waits keep polling to end_within: every wait's GETs are counted
    eng, results = scenario(fake_apiserver, kube, fault, after_fault=0.3, settle=None)
    paths = {results[f"p{i}"].path for i in range(4)}
    assert paths == {"poll"}  # only the poll path (GETs) could see the flips
    assert eng.stats()["direct_gets"] >= 4


def test_watch_forbidden_from_the_start(fake_apiserver, kube):
    kube.pod("x")
    fake_apiserver.faults.forbid_watch(True)
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=0.5) as eng:
        t = threading.Timer(0.3, kube.ready, args=("x",))
        t.start()
        r = eng.wait_result("pod/x", for_="condition=Ready", timeout=10)
        t.join()
        assert r.path == "poll" and _ready(r.objects)
        with pytest.raises(Exception, match="not found"):
            eng.wait("pod/missing", for_="condition=Ready", timeout=10)


def test_malformed_line(fake_apiserver, kube):
    eng, _ = scenario(fake_apiserver, kube, fake_apiserver.faults.malformed_line)
    assert eng.stats()["reconnects"] >= 1


def test_server_restart(fake_apiserver, kube):
    eng, _ = scenario(fake_apiserver, kube, lambda: fake_apiserver.restart(keep_state=True))
    assert eng.stats()["reconnects"] >= 1


def test_request_timeout_bounds_the_whole_request(fake_apiserver):
    """A server that never answers costs one timeout, not one per urllib3 retry."""
    from hybridwait.kube.errors import ConnectionFailed
    from hybridwait.kube.transport import Transport

    t = Transport(fake_apiserver.api_client(), request_timeout=0.5)
    fake_apiserver.faults.delay(30)
    try:
        t0 = time.monotonic()
        with pytest.raises(ConnectionFailed):
            t.get_json("/api/v1/namespaces/default/pods")
        assert time.monotonic() - t0 < 1.4  # urllib3's default Retry(3) would take 2 s
    finally:
        fake_apiserver.faults.delay(0)


def test_lost_poll_request_delays_a_wait_by_one_request_timeout(fake_apiserver, kube):
    """A re-check GET the server never answers (lost in a restart) costs one
    request_timeout (2 s here), not 4 of them (urllib3's default retries)."""
    kube.pod("x")
    eng = Engine(
        api_client=fake_apiserver.api_client(), watch=False, poll_interval=0.5, request_timeout=2
    )
    out: dict[str, Any] = {}

    def wait() -> None:
        try:
            out["r"] = eng.wait_result("pod/x", for_="condition=Ready", timeout=30)
        except BaseException as e:
            out["r"] = e
        out["end"] = time.monotonic()

    th = threading.Thread(target=wait)
    try:
        th.start()
        deadline = time.monotonic() + 10
        # the first check is done (its GET answered: "polls" counts a check once it
        # ran; "direct_gets" counts a GET when sent, and a first check whose GET
        # hangs fails the wait with ConnectionFailed, as kubectl's first contact)
        while eng.stats()["polls"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        fake_apiserver.faults.delay(30)  # requests arriving now hang for 30 s
        time.sleep(0.8)  # at least one re-check GET is now hung
        fake_apiserver.faults.delay(0)
        kube.ready("x")
        flipped = time.monotonic()
        th.join(30)
        assert _ready(out["r"].objects)
        assert out["end"] - flipped < 2.0 + 2.5
    finally:
        fake_apiserver.faults.delay(0)
        eng.close()
        th.join(5)


def test_a_slow_get_does_not_outlive_the_waits_deadline(fake_apiserver, kube):
    """timeout=1 against a server answering in 6 s: WaitTimeout after ~1 s."""
    kube.pod("x")
    with Engine(api_client=fake_apiserver.api_client(), watch=False) as eng:
        eng.resolve("pod")  # discovery (cached) is not what this measures
        fake_apiserver.faults.delay(6)
        try:
            t0 = time.monotonic()
            with pytest.raises(WaitTimeout):
                eng.wait("pod/x", for_="condition=Ready", timeout=1.0)
            assert time.monotonic() - t0 < 2.5
        finally:
            fake_apiserver.faults.delay(0)


@pytest.mark.parametrize("watch", [False, True])
def test_a_failed_poll_read_is_retried_soon(fake_apiserver, kube, watch):
    """poll_interval=2: the GET that would see the change gets a 500; the wait
    retries ~0.1 s later instead of a whole interval later."""
    kube.pod("x")
    if watch:
        fake_apiserver.faults.forbid_watch(True)  # the poll path reads the API
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=2.0, watch=watch) as eng:
        out: dict[str, Any] = {}
        th = threading.Thread(
            target=lambda: out.setdefault("r", eng.wait_result("pod/x", for_="condition=Ready"))
        )
        th.start()
        deadline = time.monotonic() + 10
        while eng.stats()["polls"] < 1:  # the first check is over
            assert time.monotonic() < deadline
            time.sleep(0.01)
        fake_apiserver.faults.fail_next(1, status=500, verb="get")
        kube.ready("x")
        flipped = time.monotonic()
        th.join(10)
        assert _ready(out["r"].objects)
        late = time.monotonic() - flipped
        assert late < 2.0 + 1.0, late  # the next poll (< 2 s) + a quick retry
    fake_apiserver.faults.clear()


def test_connection_failed_pins_no_urllib3_object():
    """A caller that keeps a ConnectionFailed (logs it, stores it) must not keep
    urllib3's connection, pool or socket alive through its cause or context."""
    import socket

    from kubernetes import client as k8s

    from hybridwait.kube.errors import ConnectionFailed
    from hybridwait.kube.transport import Transport

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    cfg = k8s.Configuration()
    cfg.host = f"http://127.0.0.1:{port}"
    api = k8s.ApiClient(configuration=cfg)
    try:
        with pytest.raises(ConnectionFailed) as ei:
            Transport(api, request_timeout=2).get_json("/api/v1")
        exc = ei.value
        assert exc.__context__ is None
        assert type(exc.__cause__) is ConnectionError
        assert exc.__cause__.__traceback__ is None
        assert "NewConnectionError" in str(exc.__cause__)
    finally:
        api.close()
