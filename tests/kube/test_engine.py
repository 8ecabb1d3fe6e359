"""The engine's wait APIs, read first: futures, asyncio, cancellation, close,
fail_for, ctx Events, bad input, done-callbacks, and the threads it uses.

Every test runs against the emulator with the real kubernetes client; the
engine fixture (tests/kube/conftest.py) closes the engine, and the autouse
check in tests/conftest.py fails a test that leaves a thread behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import threading
import time
import traceback
from datetime import timedelta
from typing import Any

import pytest

from hybridwait import Canceled, Engine, WaitFailed, WaitTimeout, background, with_cancel
from hybridwait.kube.engine import ConditionTimeout
from hybridwait.kube.errors import NotFound, UnknownResourceType
from hybridwait.testing import FakeClock


def _until(pred: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def _engine_threads() -> list[str]:
    """The engine's own threads (the emulator's are not counted)."""
    prefixes = ("hybridwait-watch", "hybridwait-sweeper", "hybridwait-reader")
    return [t.name for t in threading.enumerate() if t.name.startswith(prefixes)]


def _job(kube: Any, name: str) -> None:
    from kubernetes import client

    client.BatchV1Api(kube.api).create_namespaced_job(
        "default",
        {
            "metadata": {"name": name},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}],
                    }
                }
            },
        },
    )


def _job_condition(kube: Any, name: str, ctype: str) -> None:
    from kubernetes import client

    client.BatchV1Api(kube.api).patch_namespaced_job_status(
        name, "default", {"status": {"conditions": [{"type": ctype, "status": "True"}]}}
    )


# -- futures ------------------------------------------------------------------------------
def test_submit_returns_a_future_with_what_wait_returns(kube, engine):
    kube.pod("a")
    fut = engine.submit("pod/a", for_="condition=Ready", timeout=20)
    assert isinstance(fut, concurrent.futures.Future)
    _until(lambda: engine.stats()["polls"] >= 1)  # first check done: not met yet
    assert not fut.done()
    kube.ready("a")
    obj = fut.result(timeout=10)
    assert obj["metadata"]["name"] == "a"
    assert obj["status"]["conditions"][0]["status"] == "True"
    assert engine.pending() == 0


def test_many_futures_run_on_a_few_engine_threads(fake_apiserver, kube):
    """200 pending futures: no thread per wait (watchers + sweeper + reader ≤ 4),
    and no GET while the shared watch is healthy."""
    n = 200
    for i in range(n):
        kube.pod(f"p{i}")
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=30) as eng:
        futs = [eng.submit(f"pod/p{i}", for_="condition=Ready", timeout=120) for i in range(n)]
        _until(lambda: eng.stats()["polls"] >= n, timeout=30)  # every first check ran
        peak = _engine_threads()
        # one watch per scope (+ the first object's narrow one, stopping once the
        # wide one has synced), one sweeper, one reader (it ends when idle)
        assert len([t for t in peak if t.startswith("hybridwait-reader")]) <= 1, peak
        assert len([t for t in peak if t.startswith("hybridwait-sweeper")]) == 1, peak
        assert len([t for t in peak if t.startswith("hybridwait-watch")]) <= 2, peak
        assert len(peak) <= 4, peak
        assert not any(f.done() for f in futs)
        # A first check that finds the namespace-wide watch still listing judges
        # nothing (it counts in polls all the same): the wait's first look at its
        # object is the LIST's copy, and a met state seen there would be confirmed
        # by a GET (docs/engine.md, "Watch sharing"). So the objects change only
        # once the hand-over is over: the wide watch has synced (the narrow one
        # is stopped after its waits were woken to read the cache) and no check
        # is left on a reader thread (the reader ends when idle, after 1 s).
        _until(lambda: [(s.name, s.healthy) for s in eng.watch_status()] == [(None, True)],
               timeout=30)
        _until(lambda: not any(t.startswith("hybridwait-reader") for t in _engine_threads()),
               timeout=30)
        gets = eng.stats()["direct_gets"]
        for i in range(n):
            kube.ready(f"p{i}")
        done, not_done = concurrent.futures.wait(futs, timeout=60)
        assert not not_done
        names = sorted(f.result()["metadata"]["name"] for f in done)
        assert names == sorted(f"p{i}" for i in range(n))
        assert gets == 0, eng.stats()  # the hand-over cost no read of its own
        assert eng.stats()["direct_gets"] == 0, eng.stats()  # nor did the changes
        assert eng.stats()["waits_by_watch"] == n


def test_bad_input_raises_at_submit_api_errors_arrive_through_the_future(kube, engine):
    kube.pod("a")
    with pytest.raises(ValueError, match='unrecognized condition: "bogus"'):
        engine.submit("pod/a", for_="bogus")
    with pytest.raises(ValueError, match='unrecognized condition: "nope"'):
        engine.submit("pod/a", for_="condition=Ready", fail_for="nope")
    with pytest.raises(ValueError, match="single resource and name"):
        engine.submit("pod/a/b", for_="condition=Ready")
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        engine.submit("pod/a", for_="condition=Ready", timeout="10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="poll_interval must be > 0"):
        engine.submit("pod/a", for_="condition=Ready", poll_interval=0)
    assert engine.pending() == 0
    unknown = engine.submit("foos/x", for_="condition=Ready", timeout=30)
    missing = engine.submit("pod/missing", for_="condition=Ready", timeout=30)
    assert isinstance(unknown.exception(timeout=10), UnknownResourceType)
    err = missing.exception(timeout=10)
    assert isinstance(err, NotFound)
    assert str(err) == 'Error from server (NotFound): pods "missing" not found'


def test_cancel_ends_the_wait_and_frees_what_it_held(kube, engine):
    kube.pod("a")
    fut = engine.submit("pod/a", for_="condition=Ready", timeout=60)
    _until(lambda: any(s.waiters == 1 for s in engine.watch_status()))
    assert engine.pending() == 1
    assert fut.cancel()
    assert fut.cancelled()
    assert engine.pending() == 0
    assert all(s.waiters == 0 for s in engine.watch_status())  # lingering, unused
    assert fut.cancel()  # cancelling again is harmless
    kube.ready("a")
    done = engine.submit("pod/a", for_="condition=Ready", timeout=10)
    assert done.result(timeout=10)["metadata"]["name"] == "a"
    assert not done.cancel()  # a finished future cannot be cancelled: harmless
    assert done.result()["metadata"]["name"] == "a"


def test_close_ends_every_pending_future_with_canceled_and_joins(fake_apiserver, kube):
    kube.pod("a")
    eng = Engine(api_client=fake_apiserver.api_client())
    futs = [eng.submit("pod/a", for_="condition=Ready", timeout=60) for _ in range(20)]
    _until(lambda: eng.stats()["polls"] >= 20)
    start = time.monotonic()
    eng.close()
    assert time.monotonic() - start < 2.0
    assert all(isinstance(f.exception(timeout=1), Canceled) for f in futs)
    _until(lambda: not _engine_threads(), timeout=5.0)  # close() joined them (generous bound)
    with pytest.raises(Canceled):
        eng.submit("pod/a", for_="condition=Ready")


def test_a_done_callback_that_raises_is_logged_and_affects_no_other_wait(kube, engine, caplog):
    kube.pod("a")
    kube.pod("b")
    seen: list[str] = []

    def bad(f: concurrent.futures.Future[Any]) -> None:
        raise RuntimeError("callback bug")

    fa = engine.submit("pod/a", for_="condition=Ready", timeout=20)
    fb = engine.submit("pod/b", for_="condition=Ready", timeout=20)
    fa.add_done_callback(bad)
    fb.add_done_callback(lambda f: seen.append(f.result()["metadata"]["name"]))
    with caplog.at_level(logging.ERROR):
        kube.ready("a")
        kube.ready("b")
        assert fa.result(timeout=10)["metadata"]["name"] == "a"
        assert fb.result(timeout=10)["metadata"]["name"] == "b"
        _until(lambda: seen == ["b"])
        # callbacks run right after result() is released: wait for the record
        _until(lambda: any("callback" in r.getMessage() and r.exc_info for r in caplog.records))


# -- asyncio ------------------------------------------------------------------------------
def test_wait_async_awaits_the_wait_and_task_cancel_cancels_it(kube, engine):
    kube.pod("a")
    kube.pod("b")

    async def main() -> None:
        later = asyncio.get_running_loop().call_later(0.2, kube.ready, "a")
        obj = await engine.wait_async("pod/a", for_="condition=Ready", timeout=20)
        later.cancel()
        assert obj["metadata"]["name"] == "a"
        task = asyncio.create_task(engine.wait_async("pod/b", for_="condition=Ready", timeout=60))
        while engine.pending() == 0:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert engine.pending() == 0
        with pytest.raises(ValueError, match="unrecognized condition"):
            await engine.wait_async("pod/a", for_="bogus")

    asyncio.run(main())
    assert threading.active_count() >= 1


# -- fail_for -----------------------------------------------------------------------------
def test_fail_for_job_complete_or_failed(kube, engine):
    _job(kube, "ok")
    _job(kube, "bad")
    ok = engine.submit("job/ok", for_="condition=Complete", fail_for="condition=Failed", timeout=20)
    bad = engine.submit(
        "job/bad", for_="condition=Complete", fail_for=["condition=Failed", "delete"], timeout=20
    )
    _until(lambda: engine.stats()["polls"] >= 2)
    _job_condition(kube, "ok", "Complete")
    _job_condition(kube, "bad", "Failed")
    assert ok.result(timeout=10)["metadata"]["name"] == "ok"
    err = bad.exception(timeout=10)
    assert isinstance(err, WaitFailed)
    assert str(err) == "jobs/bad: condition Failed=True"
    assert err.resource == "jobs/bad"
    assert err.object is not None and err.object["metadata"]["name"] == "bad"
    # already failed when the wait starts: ends at once, through wait() too
    start = time.monotonic()
    with pytest.raises(WaitFailed, match="jobs/bad: condition Failed=True"):
        engine.wait("job/bad", for_="condition=Complete", fail_for="condition=Failed", timeout=20)
    assert time.monotonic() - start < 5.0


def test_fail_for_delete_ends_a_condition_wait_when_the_object_goes(kube, engine):
    kube.pod("a")
    engine.wait("pod/a", for_="create", timeout=10)  # the watch is up and has listed "a"
    fut = engine.submit("pod/a", for_="condition=Ready", fail_for="delete", timeout=30)
    _until(lambda: engine.stats()["polls"] >= 2)  # its first check saw the object
    kube.delete("a")
    err = fut.exception(timeout=10)
    assert isinstance(err, WaitFailed)
    assert str(err) == "pods/a: deleted"
    assert err.object is not None and err.object["metadata"]["name"] == "a"  # last seen


def test_a_condition_that_raises_ends_the_wait_with_its_exception(kube, engine):
    kube.pod("a")

    def explode(obj: Any) -> bool:
        if obj is not None and obj.get("status", {}).get("phase") == "Running":
            raise WaitFailed("it ran")
        return False

    fut = engine.submit("pod/a", for_=explode, timeout=30)
    _until(lambda: engine.stats()["polls"] >= 1)
    kube.ready("a")
    err = fut.exception(timeout=10)
    assert isinstance(err, WaitFailed) and str(err) == "pods/a: it ran"


# -- cancellation by ctx ------------------------------------------------------------------
@pytest.mark.parametrize("watch", [True, False])
def test_a_ctx_event_set_later_cancels_within_100ms(kube, fake_apiserver, watch):
    """The Event's set() is reached through a bound method taken before the
    wait starts (a signal handler, a Timer): still observed promptly."""
    kube.pod("a")
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=30, watch=watch) as eng:
        ev = threading.Event()
        setter = ev.set
        fut = eng.submit("pod/a", for_="condition=Ready", ctx=ev)
        _until(lambda: eng.stats()["polls"] >= 1)
        fired = time.monotonic()
        setter()
        assert isinstance(fut.exception(timeout=5), Canceled)
        assert time.monotonic() - fired < 1.0  # promised: 100 ms; generous for a busy machine


def test_ctx_cancel_and_a_set_event_end_sync_waits(kube, engine):
    kube.pod("a")
    ctx, cancel = with_cancel(background())
    t = threading.Timer(0.2, cancel)
    t.start()
    with pytest.raises(Canceled):
        engine.wait("pod/a", for_="condition=Ready", ctx=ctx)
    t.join()
    ev = threading.Event()
    ev.set()
    with pytest.raises(Canceled):
        engine.wait("pod/a", for_="condition=Ready", ctx=ev)
    assert engine.pending() == 0


# -- timeouts -----------------------------------------------------------------------------
def test_timeout_runs_on_the_engine_clock_and_names_the_unmet(fake_apiserver, kube):
    kube.pod("a")
    kube.pod("b")
    kube.ready("a")
    clock = FakeClock()
    with Engine(api_client=fake_apiserver.api_client(), clock=clock, poll_interval=60) as eng:
        fut = eng.submit(["pod/a", "pod/b"], for_="condition=Ready", timeout=timedelta(seconds=10))
        _until(lambda: eng.stats()["polls"] >= 1)
        clock.step(9.9)
        time.sleep(0.1)
        assert not fut.done()
        clock.step(0.2)
        err = fut.exception(timeout=5)
    assert isinstance(err, ConditionTimeout) and isinstance(err, WaitTimeout)
    assert str(err) == "timed out waiting for the condition on pods/b"
    assert err.unmet == ["pods/b"]
    assert [o["metadata"]["name"] for o in err.met if o] == ["a"]


def test_timeout_zero_checks_once(kube, engine):
    kube.pod("a")
    with pytest.raises(ConditionTimeout, match="condition not met for pods/a"):
        engine.wait("pod/a", for_="condition=Ready", timeout=0)
    kube.ready("a")
    assert engine.submit("pod/a", for_="condition=Ready", timeout=0).result(10)


# -- kubectl's argument rules, one home for engine and CLI --------------------------------
@pytest.mark.parametrize(("args", "kw", "text"), [
    (["pod/a", "pods"], {}, "there is no need to specify a resource type as a separate argument"),
    (["pod/a"], {"selector": "app=web"}, "selectors and the all flag cannot be used"),
    (["pods", "a"], {"selector": "app=web"}, "name cannot be provided when a selector"),
    (["pods"], {}, "resource(s) were provided, but no name was specified"),
    (["pods"], {"all_namespaces": True}, "resource(s) were provided, but no name was specified"),
    (["pod/a"], {"all_namespaces": True}, "cannot be retrieved by name across all namespaces"),
])
def test_kubectl_argument_rules_are_the_same_in_engine_and_cli(
    engine: Engine, args: list[str], kw: dict[str, Any], text: str
) -> None:
    from hybridwait.kube.kubectl import ArgumentError, resource_args

    with pytest.raises(ArgumentError) as direct:
        resource_args(args, **{("all_" if k == "all" else k): v for k, v in kw.items()})
    assert text in str(direct.value)
    if len(args) == 1 or "/" in args[1]:  # the engine takes TYPE/NAME or TYPE arguments
        with pytest.raises(ValueError) as via_engine:
            engine.submit(args, for_="create", **kw)
        assert str(via_engine.value) == str(direct.value)
    assert engine.pending() == 0


def test_kubectl_forms_resolve_to_named_targets_or_types() -> None:
    from hybridwait.kube.kubectl import resource_args, timeout_text

    assert resource_args(["pods,deploy", "a", "b"]).named == [
        ("pods", "a"), ("pods", "b"), ("deploy", "a"), ("deploy", "b")
    ]
    assert resource_args(["pod/a", "deploy/b"]).named == [("pod", "a"), ("deploy", "b")]
    assert resource_args(["pods"], all_=True).types == ["pods"]
    assert timeout_text("pods/a", checked_once=True) == "condition not met for pods/a"
    assert timeout_text("pods/a", checked_once=False) == (
        "timed out waiting for the condition on pods/a"
    )


def test_an_interrupt_in_the_blocked_thread_cancels_the_wait(kube, engine):
    """Ctrl-C (SIGINT) while the main thread blocks in wait(): KeyboardInterrupt
    reaches the caller and the wait is cancelled, holding nothing."""
    import os
    import signal

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    kube.pod("a")
    # Python's own Ctrl-C handler, whatever the runner left: a shell that starts
    # a job in the background (`cmd &`) makes SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler (the wait would run to its timeout)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            engine.wait("pod/a", for_="condition=Ready", timeout=30)
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert engine.pending() == 0
    assert all(s.waiters == 0 for s in engine.watch_status())


def test_wait_futures_work_with_every_concurrent_futures_helper(kube, engine):
    """A wait's future has a slim internal condition (a pending wait is mostly its
    future): result(timeout), wait(), as_completed() and cancel() behave as usual."""
    for name in ("a", "b", "c"):
        kube.pod(name)
    futs = {n: engine.submit(f"pod/{n}", for_="condition=Ready", timeout=30) for n in "abc"}
    with pytest.raises(concurrent.futures.TimeoutError):
        futs["a"].result(timeout=0.05)
    done, pending = concurrent.futures.wait(futs.values(), timeout=0.05)
    assert not done and len(pending) == 3
    results: list[str] = []

    def collect() -> None:
        for f in concurrent.futures.as_completed(futs.values(), timeout=20):
            results.append(f.result()["metadata"]["name"])

    t = threading.Thread(target=collect)
    t.start()
    blocked = [threading.Thread(target=futs["c"].result, kwargs={"timeout": 20}) for _ in range(5)]
    for b in blocked:
        b.start()
    kube.ready("b")
    kube.ready("a")
    kube.ready("c")
    t.join(20)
    for b in blocked:
        b.join(20)
    assert sorted(results) == ["a", "b", "c"]
    first = concurrent.futures.wait(futs.values(), return_when="FIRST_COMPLETED", timeout=1)[0]
    assert first
    assert "finished" in repr(futs["a"])


def test_done_callbacks_run_outside_engine_locks_and_may_use_the_engine(kube, engine):
    """A callback may call back into the engine (submit, stats, watch_status,
    cancel another future) without deadlocking: no engine lock is held."""
    kube.pod("a")
    kube.pod("b")
    other = engine.submit("pod/b", for_="delete", timeout=30)
    chained: dict[str, Any] = {}

    def then(f: concurrent.futures.Future[Any]) -> None:
        chained["stats"] = engine.stats()["waits_pending"]
        chained["watches"] = len(engine.watch_status())
        chained["cancelled"] = other.cancel()
        chained["next"] = engine.submit("pod/a", for_="create", timeout=10)

    first = engine.submit("pod/a", for_="condition=Ready", timeout=30)
    first.add_done_callback(then)
    _until(lambda: engine.stats()["polls"] >= 2)
    kube.ready("a")
    _until(lambda: "next" in chained)
    assert chained["next"].result(timeout=10)["metadata"]["name"] == "a"
    assert chained["cancelled"] and other.cancelled()
    assert chained["watches"] >= 1
    assert engine.pending() == 0


def test_a_ctx_deadline_ends_the_wait_as_a_timeout(kube, engine):
    from hybridwait import with_timeout

    kube.pod("a")
    ctx, cancel = with_timeout(background(), 0.3)
    try:
        start = time.monotonic()
        fut = engine.submit("pod/a", for_="condition=Ready", ctx=ctx)
        err = fut.exception(timeout=10)
    finally:
        cancel()
    assert isinstance(err, ConditionTimeout)
    assert str(err) == "timed out waiting for the condition on pods/a"
    assert 0.25 <= time.monotonic() - start < 5.0


def test_pure_polling_waits_run_on_the_sweeper_and_a_few_readers(fake_apiserver, kube):
    """watch=False: no watcher thread; the sweeper and at most 3 readers at any
    moment, for 50 waits reading the API every 0.3 s."""
    for i in range(50):
        kube.pod(f"q{i}")
    peak = 0
    watchers: set[str] = set()

    def sample() -> None:
        nonlocal peak
        names = _engine_threads()
        peak = max(peak, len(names))
        watchers.update(n for n in names if n.startswith("hybridwait-watch"))

    with Engine(api_client=fake_apiserver.api_client(), watch=False, poll_interval=0.3) as eng:
        futs = [eng.submit(f"pod/q{i}", for_="condition=Ready", timeout=30) for i in range(50)]
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            sample()
            time.sleep(0.005)
        for i in range(50):
            kube.ready(f"q{i}")
        names = sorted(f.result(timeout=20)["metadata"]["name"] for f in futs)
        sample()
    assert names == sorted(f"q{i}" for i in range(50))
    assert not watchers
    assert 2 <= peak <= 4  # the sweeper + 1..3 readers


def test_reader_pool_bounds_threads_logs_failures_and_ends_idle_threads(caplog):
    """The pool behind a wait's blocking steps: at most `size` threads, a job that
    raises is logged and the next jobs still run, idle threads end, close joins."""
    from hybridwait.kube.readers import ReaderPool

    pool = ReaderPool(size=2, idle=0.2)
    gate = threading.Event()
    ran: list[int] = []
    lock = threading.Lock()

    def job(i: int) -> None:
        gate.wait(10)
        with lock:
            ran.append(i)

    def bad() -> None:
        raise RuntimeError("step bug")

    with caplog.at_level(logging.ERROR, logger="hybridwait.kube.readers"):
        assert pool.submit(bad)
        for i in range(20):
            assert pool.submit(lambda i=i: job(i))
        _until(lambda: pool.threads == 2)
        time.sleep(0.05)
        assert pool.threads == 2  # never more than size, however many jobs queue
        gate.set()
        _until(lambda: len(ran) == 20)
    assert any("step bug" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    _until(lambda: pool.threads == 0)  # idle threads end on their own
    assert pool.submit(lambda: ran.append(99))
    _until(lambda: 99 in ran)
    assert pool.close(timeout=2)
    assert not pool.submit(lambda: None)  # closed: refused


# -- a blocked engine thread (done-callbacks) -------------------------------------------
def test_a_blocking_wait_in_a_done_callback_raises_at_once_and_other_waits_time_out(
    kube, engine, caplog
):
    """eng.wait() inside a done-callback is refused with a clear error instead
    of wedging the engine; the callback's exception is logged and an unrelated
    wait still times out on time."""
    kube.pod("a")
    kube.pod("b")
    got: dict[str, Any] = {}

    def cb(f: concurrent.futures.Future[Any]) -> None:
        start = time.monotonic()
        try:
            engine.wait("pod/b", for_="condition=Ready", timeout=20)
        except RuntimeError as exc:
            got["error"] = str(exc)
            got["took"] = time.monotonic() - start
            raise

    with caplog.at_level(logging.ERROR):
        f = engine.submit("pod/a", for_="condition=Ready", timeout=30)
        f.add_done_callback(cb)
        kube.ready("a")
        f.result(timeout=10)
        _until(lambda: "error" in got)
        assert got["error"] == (
            "Engine.wait() called from an engine thread (a done-callback); "
            "use submit() and add_done_callback instead"
        )
        assert got["took"] < 5.0
        _until(lambda: any(r.exc_info for r in caplog.records))
    start = time.monotonic()
    with pytest.raises(WaitTimeout):
        engine.submit("pod/b", for_="condition=Ready", timeout=1).result(timeout=20)
    assert time.monotonic() - start < 10.0  # 1 s timeout; generous bound for a busy machine
    _until(lambda: engine.pending() == 0)


def test_a_timeout_fires_even_while_the_only_reader_is_blocked(fake_apiserver, kube):
    """The deadline is armed on the sweeper at submission: a wait times out
    on time even when every reader thread is held (here by a slow callback)."""
    eng = Engine(api_client=fake_apiserver.api_client(), readers=1, poll_interval=0.2)
    gate = threading.Event()
    seen: dict[str, str] = {}

    def slow(f: concurrent.futures.Future[Any]) -> None:
        seen["thread"] = threading.current_thread().name
        gate.wait(30)

    try:
        kube.pod("a")
        kube.pod("b")
        f = eng.submit("pod/a", for_="condition=Ready", watch=False, timeout=30)
        f.add_done_callback(slow)
        _until(lambda: eng.stats()["polls"] >= 1)
        kube.ready("a")
        _until(lambda: "thread" in seen)
        assert seen["thread"].startswith("hybridwait-reader")  # the one reader is held
        start = time.monotonic()
        with pytest.raises(WaitTimeout) as info:
            eng.submit("pod/b", for_="condition=Ready", timeout=1).result(timeout=20)
        assert time.monotonic() - start < 10.0  # 1 s timeout; generous bound
        assert "pod" in str(info.value) and "b" in str(info.value)
    finally:
        gate.set()
        eng.close()


def test_fail_for_equal_to_for_is_refused_at_submit_as_the_cli_does(kube, engine):
    """A failure condition that is also a wanted one could never let the wait
    succeed: the engine refuses it at once, with the CLI's words."""
    text = "--fail-for=condition=Ready is also a --for condition: the wait could never succeed"
    kube.pod("a")
    with pytest.raises(ValueError) as info:
        engine.submit("pod/a", for_="condition=Ready", fail_for="condition=Ready")
    assert str(info.value) == text
    with pytest.raises(ValueError, match="--fail-for=delete is also a --for condition"):
        engine.wait("pod/a", for_=["condition=Ready", "delete"], fail_for=["delete"], timeout=5)
    assert engine.pending() == 0
    # a different failure condition is fine
    fut = engine.submit("pod/a", for_="condition=Ready", fail_for="delete", timeout=20)
    kube.ready("a")
    assert fut.result(timeout=10)["metadata"]["name"] == "a"


# -- memory: an ended wait is freed by reference counting -----------------------------------
def _live_waits() -> int:
    from hybridwait.kube.wait import Wait

    return sum(1 for o in gc.get_objects() if type(o) is Wait)


def test_ended_waits_are_freed_without_the_garbage_collector(kube, fake_apiserver):
    """A wait that ended (met, cancelled, timed out, failed by a raised error)
    and whose future the caller dropped leaves no reference cycle behind and is
    not kept by the engine: with the collector off it is freed at once, long
    before its next poll (5 s) would have come due."""
    eng = Engine(api_client=fake_apiserver.api_client(), poll_interval=5.0, stall_timeout=5.0)
    kube.pod("a")
    kube.pod("b")
    kube.pod("c")
    kube.ready("a")
    gc.collect()
    gc.disable()
    try:
        base = _live_waits()
        met = eng.submit("pod/a", for_="condition=Ready", timeout=20)
        cancelled = eng.submit("pod/b", for_="condition=Ready", timeout=20)
        late = eng.submit("pod/b", for_="condition=Ready", timeout=0.5)
        missing = eng.submit("pod/nope", for_="condition=Ready", timeout=20)
        gone = eng.submit("pod/c", for_="condition=Ready", fail_for="delete", timeout=20)
        assert met.result(timeout=10)["metadata"]["name"] == "a"
        _until(lambda: eng.stats()["polls"] >= 5)
        assert cancelled.cancel()
        assert isinstance(late.exception(timeout=10), ConditionTimeout)
        kube.delete("c")  # after every first check (the timeout took 0.5 s)
        assert isinstance(missing.exception(timeout=10), NotFound)
        err = gone.exception(timeout=10)
        assert isinstance(err, WaitFailed) and str(err) == "pods/c: deleted"
        del met, cancelled, late, missing, gone, err
        deadline = time.monotonic() + 3  # an engine thread may still be returning
        while _live_waits() > base:
            assert time.monotonic() < deadline, f"{_live_waits() - base} ended waits still held"
            time.sleep(0.05)
    finally:
        gc.enable()
        eng.close()


def test_an_error_raised_by_a_condition_callable_keeps_its_traceback(kube, engine):
    """The library's own errors carry no traceback into the engine (their text
    says it all); an error from the caller's condition keeps one that shows
    the caller's code, for debugging."""

    def my_condition(obj: Any) -> bool:
        return obj["status"]["no-such-field"] == 1

    kube.pod("a")
    err = engine.submit("pod/a", for_=my_condition, timeout=20).exception(timeout=10)
    assert isinstance(err, KeyError)
    assert "my_condition" in [f.name for f in traceback.extract_tb(err.__traceback__)]
    missing = engine.submit("pod/nope", for_="condition=Ready", timeout=20).exception(timeout=10)
    assert isinstance(missing, NotFound) and missing.__traceback__ is None


def test_each_wait_returns_its_own_copy_of_the_object(kube, engine):
    """Objects are cached packed: two waits on one pod get equal, separate dicts,
    and a caller may change what it got without touching the cache or the other."""
    kube.pod("a")
    kube.ready("a")
    first = engine.submit("pod/a", for_="condition=Ready", timeout=20)
    second = engine.submit("pod/a", for_="condition=Ready", timeout=20)
    one, two = first.result(timeout=10), second.result(timeout=10)
    assert one == two and one is not two
    assert first.result() is one  # a future's result is one object, as in the stdlib
    one["status"]["conditions"].clear()
    again = engine.wait("pod/a", for_="condition=Ready", timeout=20)
    assert again["status"]["conditions"] == two["status"]["conditions"] != []
