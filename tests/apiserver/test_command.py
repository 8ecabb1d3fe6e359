"""``hybridwait fake-apiserver`` from a shell, and the pytest fixture's cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from hybridwait.testing import FakeAPIServer


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_fake_apiserver_command_serves_until_signal(tmp_path: Path, sig: int) -> None:
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hybridwait.cli", "fake-apiserver", "--kubeconfig",
         str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        second = proc.stdout.readline().strip()
        assert first.startswith("serving on http://127.0.0.1:"), first
        url = first.split()[-1]
        assert second == f"kubeconfig: {kubeconfig}"
        cfg = yaml.safe_load(kubeconfig.read_text())
        assert cfg["clusters"][0]["cluster"]["server"] == url
        with urllib.request.urlopen(url + "/version", timeout=10) as resp:
            assert json.load(resp)["major"] == "1"
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_port_in_use_is_a_clear_error(fake_apiserver: FakeAPIServer) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "hybridwait.cli", "fake-apiserver", "--port",
         str(fake_apiserver.port)],
        capture_output=True, text=True, timeout=30, check=False)
    assert res.returncode == 2 and "cannot listen" in res.stderr


def test_fixture_server_stops_all_threads() -> None:
    before = set(threading.enumerate())
    with FakeAPIServer() as srv:
        with urllib.request.urlopen(srv.url + "/api", timeout=10) as resp:
            assert json.load(resp)["kind"] == "APIVersions"
        kc = srv.kubeconfig
        assert os.path.exists(kc)
        assert srv.url.startswith("http://127.0.0.1:")
    assert set(threading.enumerate()) <= before
    assert not os.path.exists(kc)  # the temporary kubeconfig is removed
