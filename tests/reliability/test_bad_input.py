"""Hostile input: every row of the bad-input table in docs/reliability.md.

Each case asserts the clear error a user gets (class and text, raised at once,
before any request where kubectl does so) or the recovery the engine makes
(and that nothing is lost: the wait still ends on the right object).
Engine defects found here (D5 to D8 in docs/reliability.md) were first marked
``xfail(strict=True)`` and the markers removed once the fixes landed.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hybridwait import Canceled, Engine, WaitTimeout
from hybridwait.cli.main import main as cli_main
from hybridwait.kube.errors import ConnectionFailed, KubeconfigError, UnknownResourceType
from hybridwait.testing import FakeAPIServer
from tests.reliability import procstat
from tests.reliability.rogue import Rogue, cm


@pytest.fixture
def srv() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as s:
        from kubernetes import client

        client.CoreV1Api(s.api_client()).create_namespaced_config_map(
            "default", {"metadata": {"name": "a"}, "data": {"s": "x"}})
        yield s


@pytest.fixture
def eng(srv: FakeAPIServer) -> Iterator[Engine]:
    e = Engine(api_client=srv.api_client(), poll_interval=1.0)
    try:
        yield e
    finally:
        e.close()


def _raises(eng: Engine, exc: type[BaseException], text: str, *args: Any, **kw: Any) -> float:
    kw.setdefault("timeout", 0)
    t = time.monotonic()
    with pytest.raises(exc) as info:
        eng.wait(*args, **kw)
    assert text in str(info.value), str(info.value)
    return time.monotonic() - t


# -- resource strings --------------------------------------------------------------------
@pytest.mark.parametrize(("arg", "exc", "text"), [
    ("", ValueError, "resource cannot be empty"),
    ("a/b/c", ValueError, 'must have a single resource and name: "a/b/c"'),
    ("pod/", ValueError, 'must have a single resource and name: "pod/"'),
    ("/x", ValueError, 'must have a resource type: "/x"'),
    ("configmaps", ValueError, "resource(s) were provided, but no name was specified"),
    ("nosuch/x", UnknownResourceType, 'the server doesn\'t have a resource type "nosuch"'),
    (["pod/a", "pods"], ValueError, "there is no need to specify a resource type"),
])
def test_malformed_resource_strings(eng: Engine, srv: FakeAPIServer, arg: Any,
                                    exc: type[BaseException], text: str) -> None:
    assert _raises(eng, exc, text, arg, for_="create", timeout=30) < 2.0


@pytest.mark.parametrize(("arg", "ns", "text"), [
    ("configmap/..", None, "may not be '..'"),
    ("configmap/.", None, "may not be '.'"),
    ("configmap/a%2Fb", None, "may not contain '%'"),
    ("configmap/a?x=1", None, "invalid resource name"),
    ("configmap/a#x", None, "invalid resource name"),
    ("configmap/a", "../..", "may not contain '/'"),
])
def test_path_segment_names_rejected(eng: Engine, srv: FakeAPIServer, arg: str,
                                     ns: str | None, text: str) -> None:
    """kubectl (client-go) refuses names that are not a valid path segment; the
    engine must not send them (``configmap/..`` would read the Namespace)."""
    before = sum(srv.request_counts().values())
    _raises(eng, ValueError, text, arg, for_="create", namespace=ns)
    assert sum(srv.request_counts().values()) == before


# -- --for forms and JSONPath -----------------------------------------------------------------
@pytest.mark.parametrize(("for_", "text"), [
    ("", 'unrecognized condition: ""'),
    ("foo", 'unrecognized condition: "foo"'),
    ("jsonpath=", "jsonpath expression cannot be empty"),
    ("jsonpath={.a}=b=c", "jsonpath wait format must be"),
    ("jsonpath={.status", "unexpected path string"),
    ("jsonpath={.a[}", "invalid jsonpath '{.a[}'"),
    ("jsonpath={range .items[*]}{end}", "unexpected path string"),
    ("jsonpath={.a}{.b}", "unexpected path string"),
    ("jsonpath={" + "[" * 2000 + "}", "invalid jsonpath"),
])
def test_malformed_for_rejected_before_any_request(eng: Engine, srv: FakeAPIServer,
                                                   for_: str, text: str) -> None:
    before = sum(srv.request_counts().values())
    assert _raises(eng, ValueError, text, "configmap/a", for_=for_) < 1.0
    assert sum(srv.request_counts().values()) == before  # kubectl needs no server either


def test_very_long_jsonpath_is_a_clear_error(eng: Engine) -> None:
    _raises(eng, ValueError, "invalid jsonpath", "configmap/a",
            for_="jsonpath={" + ".a" * 5000 + "}")


def test_jsonpath_is_never_evaluated_as_code(eng: Engine, tmp_path: Path) -> None:
    """Filters are data, not Python: dunder names and calls select nothing or are
    syntax errors, and nothing runs."""
    marker = tmp_path / "pwned"
    hostile = [
        f'jsonpath={{.data[?(@.s == __import__("os").system("touch {marker}"))]}}',
        "jsonpath={.__class__.__mro__}",
        "jsonpath={.data.__class__}",
        f'jsonpath={{.data.s}}=__import__("os").system("touch {marker}")',
    ]
    for f in hostile:
        try:
            eng.wait("configmap/a", for_=f, timeout=0)
        except (ValueError, WaitTimeout):
            pass
        else:
            raise AssertionError(f"{f!r} was met")
    assert not marker.exists()


# -- durations ----------------------------------------------------------------------------
@pytest.mark.parametrize(("kw", "exc", "text"), [
    ({"timeout": float("nan")}, ValueError, "timeout must be finite, got nan"),
    ({"timeout": float("inf")}, ValueError, "timeout must be finite, got inf"),
    ({"timeout": "10"}, TypeError, "timeout must be a number of seconds, not str"),
    ({"timeout": True}, TypeError, "timeout must be a number of seconds, not bool"),
    ({"poll_interval": 0, "timeout": 1}, ValueError, "poll_interval must be > 0"),
    ({"poll_interval": -1, "timeout": 1}, ValueError, "poll_interval must be > 0"),
    ({"poll_interval": float("nan"), "timeout": 1}, ValueError, "poll_interval must be finite"),
])
def test_bad_durations(eng: Engine, srv: FakeAPIServer, kw: dict[str, Any],
                       exc: type[BaseException], text: str) -> None:
    before = sum(srv.request_counts().values())
    _raises(eng, exc, text, "configmap/a", for_="jsonpath={.data.s}=x", **kw)
    assert sum(srv.request_counts().values()) == before


@pytest.mark.parametrize("timeout", [-1e-9, -5, 1e300, 2**63])
def test_negative_and_huge_timeouts_wait_until_cancelled(eng: Engine, timeout: float) -> None:
    """Negative waits a week (kubectl), huge is accepted as "for ever": no
    overflow, and the wait still ends at once on its ctx."""
    stop = threading.Event()
    out: list[BaseException] = []

    def run() -> None:
        try:
            eng.wait("configmap/a", for_="jsonpath={.data.s}=never", timeout=timeout, ctx=stop)
        except BaseException as exc:
            out.append(exc)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)
    assert not out, out  # still waiting
    stop.set()
    t.join(3)
    assert not t.is_alive() and isinstance(out[0], Canceled), out


def test_tiny_poll_interval_does_not_spin(srv: FakeAPIServer) -> None:
    """``poll_interval=1e-9`` is accepted; a met wait must still return at once
    (run in a child process: a spinning engine cannot hang the test run)."""
    code = (
        "import time\n"
        "from hybridwait import Engine\n"
        f"with Engine(kubeconfig={srv.kubeconfig!r}) as e:\n"
        "    t = time.monotonic()\n"
        "    e.wait('configmap/a', for_='jsonpath={.data.s}=x', poll_interval=1e-9, timeout=5)\n"
        "    print(round(time.monotonic() - t, 3))\n"
    )
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=8)
    except subprocess.TimeoutExpired:
        raise AssertionError("a met wait with poll_interval=1e-9 did not return in 8 s") from None
    assert p.returncode == 0, p.stderr[-2000:]
    assert float(p.stdout.split()[-1]) < 2.0, p.stdout


@pytest.mark.parametrize(("value", "text"), [
    ("NaN", 'time: invalid duration "NaN"'),
    ("garbage", 'time: invalid duration "garbage"'),
    ("", 'time: invalid duration ""'),
    ("5", 'time: missing unit in duration "5"'),
    ("1e400h", 'time: unknown unit "e" in duration "1e400h"'),
    ("2562048h", 'time: invalid duration "2562048h"'),  # > Go's max int64 nanoseconds
])
def test_cli_bad_durations(value: str, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        code = cli_main(["wait", "pod/x", "--for=delete", f"--timeout={value}",
                         "--kubeconfig", "/nonexistent"])
        raise SystemExit(code)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert f'invalid argument "{value}" for "--timeout" flag: {text}' in err


# -- kubeconfig ------------------------------------------------------------------------
def _kubeconfig(tmp_path: Path, doc: Any) -> str:
    p = tmp_path / "config"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(p)


def _ctx_doc(current: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "s3cr3t-token-value"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


@pytest.mark.parametrize(("doc", "context", "text"), [
    (None, None, "stat {path}: no such file or directory"),
    ("a: [unclosed\n  token: s3cr3t-token-value\n", None,
     'error loading config file "{path}": invalid YAML'),
    ("- just\n- a list\n", None, 'error loading config file "{path}": not a kubeconfig mapping'),
    (_ctx_doc(None), None, 'current-context is not set in "{path}"'),
    (_ctx_doc("gone"), None, 'context "gone" does not exist'),
    (_ctx_doc("x"), "nope", 'context "nope" does not exist'),
])
def test_kubeconfig_errors(tmp_path: Path, doc: Any, context: str | None, text: str) -> None:
    path = str(tmp_path / "missing") if doc is None else _kubeconfig(tmp_path, doc)
    with pytest.raises(KubeconfigError) as info:
        Engine(kubeconfig=path, context=context)
    assert text.format(path=path) in str(info.value)
    assert "s3cr3t" not in str(info.value) and "s3cr3t" not in repr(info.value)


# -- a misbehaving server ----------------------------------------------------------------
def _event(type_: str, obj: Any) -> bytes:
    return (json.dumps({"type": type_, "object": obj}) + "\n").encode()


def _wait_through(r: Rogue, *, change_after: float, final: dict[str, Any],
                  timeout: float = 20.0) -> tuple[Any, float, Engine]:
    """One wait on configmap/a through the rogue server; the object is met
    ``change_after`` seconds in (GET, LIST and later watches serve it)."""
    r.obj = cm("a", "pending")
    api = r.api_client()
    eng = Engine(api_client=api, poll_interval=1.0, stall_timeout=3.0)
    out: list[Any] = []
    t0 = time.monotonic()

    def run() -> None:
        try:
            out.append(eng.wait_result("configmap/a", for_="jsonpath={.data.s}=done",
                                       timeout=timeout))
        except BaseException as exc:
            out.append(exc)
        out.append(time.monotonic())

    th = threading.Thread(target=run)
    th.start()
    time.sleep(change_after)
    changed = time.monotonic()
    r.obj = final
    th.join(timeout + 5)
    eng.close()
    api.close()
    assert not th.is_alive()
    assert len(out) == 2, out
    del t0
    return out[0], out[1] - changed, eng


@pytest.mark.parametrize(("name", "script"), [
    ("non-JSON line", lambda send: send(b"<html>502 Bad Gateway</html>\n")),
    ("unknown event type", lambda send: send(_event("BOGUS", cm("a", "done", "6")))),
    ("event object not a mapping", lambda send: send(b'{"type":"MODIFIED","object":[1]}\n')),
    ("event without object", lambda send: send(b'{"type":"MODIFIED"}\n')),
    ("ERROR event 500", lambda send: send(_event("ERROR", {"kind": "Status", "code": 500}))),
])
def test_bad_watch_lines_reconnect_and_lose_nothing(name: str, script: Any) -> None:
    """A bad line breaks the stream: the engine re-watches from its last
    resourceVersion at once and the change made meanwhile still ends the wait
    (poll interval 1 s, so within 1 s + slack)."""
    with Rogue() as r:
        r.watch = script
        res, late, eng = _wait_through(r, change_after=1.0, final=cm("a", "done", "7"))
        assert not isinstance(res, BaseException), res
        assert res.objects["data"]["s"] == "done"
        assert late < 2.0, f"{name}: {late:.2f}s"
        assert eng.stats()["reconnects"] >= 1, name
        assert r.watches >= 2


def test_event_object_without_resource_version() -> None:
    """An object with no resourceVersion is still applied (not dropped, no crash)."""
    with Rogue() as r:
        r.watch = None
        res, late, _ = _wait_through(r, change_after=0.5, final=cm("a", "done", None))
        assert not isinstance(res, BaseException), res
        assert res.objects["data"]["s"] == "done" and late < 2.0


@pytest.mark.timeout(90)
def test_huge_watch_line() -> None:
    """A 100 MB watch line (in 64 KiB chunks): memory stays bounded (the line is
    refused, not buffered) and the wait still ends via the API within the
    stall timeout + poll interval + slack."""
    line = b'{"type":"MODIFIED","object":{"data":{"s":"' + b"x" * (100 << 20) + b'"}}}\n'
    with Rogue() as r:
        r.watch = lambda send: send(line)
        rss = procstat.rss_bytes()
        res, late, _ = _wait_through(r, change_after=0.5, final=cm("a", "done", "7"),
                                     timeout=12.0)
        grown = (procstat.rss_bytes() - rss) >> 20
        assert not isinstance(res, BaseException), res
        assert late < 3.0 + 1.0 + 1.0, late
        assert grown < 150, f"RSS grew {grown} MB"  # the 100 MB line itself is in this process


def test_server_that_never_answers() -> None:
    """Accepts the connection, never answers: ``ConnectionFailed`` within the
    engine's ``request_timeout``, not a hang."""
    with Rogue() as r:
        r.silent = True
        api = r.api_client()
        eng = Engine(api_client=api, request_timeout=1.0)
        t = time.monotonic()
        try:
            with pytest.raises(ConnectionFailed):
                eng.wait("configmap/a", for_="create", timeout=30)
            assert time.monotonic() - t < 1.0 + 1.5
        finally:
            eng.close()
            api.close()


def test_connect_that_never_completes() -> None:
    """A listener whose accept queue is full (SYNs dropped): connect timeout."""
    from kubernetes import client

    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    port = ls.getsockname()[1]
    fill = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fill.append(s)
        cfg = client.Configuration()
        cfg.host = f"http://127.0.0.1:{port}"
        api = client.ApiClient(cfg)
        eng = Engine(api_client=api, request_timeout=1.0)
        t = time.monotonic()
        try:
            with pytest.raises(ConnectionFailed):
                eng.wait("configmap/a", for_="create", timeout=30)
            assert time.monotonic() - t < 1.0 + 1.5
        finally:
            eng.close()
            api.close()
    finally:
        for s in fill:
            s.close()
        ls.close()

