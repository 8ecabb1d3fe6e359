"""hybridwait-only behaviour of `hybridwait wait`: --no-watch, --poll-interval,
repeated --for, waking on a change, no traceback, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from hybridwait.testing import FakeAPIServer
from tests.cli.conftest import make_pod, run_cli


def _set_ready(srv: FakeAPIServer, name: str) -> None:
    from kubernetes import client

    v1 = client.CoreV1Api(srv.api_client())
    v1.patch_namespaced_pod_status(name, "default", {"status": {"conditions": [
        {"type": "Ready", "status": "True"}]}})


def test_wakes_when_condition_becomes_true(fake_apiserver: FakeAPIServer, capsys) -> None:
    make_pod(fake_apiserver, "late", "False")
    timer = threading.Timer(0.5, _set_ready, (fake_apiserver, "late"))
    timer.start()
    try:
        t0 = time.monotonic()
        r = run_cli(["wait", "pod/late", "--for=condition=Ready", "--timeout=20s",
                     f"--kubeconfig={fake_apiserver.kubeconfig}"], capsys)
        elapsed = time.monotonic() - t0
    finally:
        timer.join()
    assert (r.code, r.out, r.err) == (0, ["pod/late condition met"], [])
    assert elapsed < 10  # woken by the watch, long before the 20 s timeout


def test_no_watch_polls_and_never_watches(fake_apiserver: FakeAPIServer, capsys) -> None:
    make_pod(fake_apiserver, "p", "False")
    timer = threading.Timer(0.3, _set_ready, (fake_apiserver, "p"))
    fake_apiserver.reset_requests()
    timer.start()
    try:
        r = run_cli(["wait", "pod/p", "--for=condition=Ready", "--no-watch",
                     "--poll-interval=200ms", "--timeout=20s",
                     f"--kubeconfig={fake_apiserver.kubeconfig}"], capsys)
    finally:
        timer.join()
    assert (r.code, r.out) == (0, ["pod/p condition met"])
    assert fake_apiserver.request_counts().get("watch", 0) == 0


def test_repeated_for_must_all_hold(fake_apiserver: FakeAPIServer, capsys) -> None:
    make_pod(fake_apiserver, "r", "True")
    kc = f"--kubeconfig={fake_apiserver.kubeconfig}"
    both = run_cli(["wait", "pod/r", "--for=condition=Ready",
                    "--for=jsonpath={.status.phase}=Running", kc], capsys)
    assert (both.code, both.out) == (0, ["pod/r condition met"] * 2)  # kubectl >= 1.34: per --for
    one_false = run_cli(["wait", "pod/r", "--for=condition=Ready",
                         "--for=jsonpath={.status.phase}=Failed", "--timeout=500ms", kc], capsys)
    assert (one_false.code, one_false.out) == (1, [])
    assert one_false.err == ["error: timed out waiting for the condition on pods/r"]


@pytest.mark.parametrize(("argv", "err"), [
    (["--poll-interval=0s"], "error: --poll-interval must be greater than 0"),
    (["-o", "wide"], 'error: unable to match a printer suitable for the output format "wide", '
                     "allowed formats are: json,name,yaml"),
])
def test_bad_input_one_line(argv: list[str], err: str, fake_apiserver, capsys) -> None:
    r = run_cli(["wait", "pod/x", "--for=delete", f"--kubeconfig={fake_apiserver.kubeconfig}",
                 *argv], capsys)
    assert (r.code, r.out, r.err) == (1, [], [err])


def test_unreachable_server_is_one_line(tmp_path, capsys) -> None:
    with FakeAPIServer() as srv:
        kubeconfig = tmp_path / "kc"
        with open(srv.kubeconfig) as f:
            kubeconfig.write_text(f.read())
    r = run_cli(["wait", "pod/x", "--for=condition=Ready", f"--kubeconfig={kubeconfig}"], capsys)
    assert r.code == 1 and len(r.err) == 1
    assert r.err[0].startswith("The connection to the server 127.0.0.1:")


def test_help(capsys) -> None:
    r = run_cli(["wait", "--help"], capsys)
    assert r.code == 0 and "--poll-interval=5s" in "\n".join(r.out)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_cancels_and_exits_1_within_a_second(sig: int, fake_apiserver) -> None:
    make_pod(fake_apiserver, "never", "False")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hybridwait.cli", "wait", "pod/never", "--for=condition=Ready",
         "--timeout=60s", f"--kubeconfig={fake_apiserver.kubeconfig}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        # wait until the wait is really running: its watch request reached the server
        deadline = time.monotonic() + 20
        while fake_apiserver.request_counts().get("watch", 0) == 0:
            assert time.monotonic() < deadline, "the wait never started watching"
            time.sleep(0.05)
        t0 = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1
    assert elapsed < 1.0 + 0.5  # 1 s promised; margin for a loaded machine's process exit
    assert "Traceback" not in err and out == ""
