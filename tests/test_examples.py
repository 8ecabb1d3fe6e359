"""Every example runs against the emulator and finishes with exit code 0 (run as a
subprocess, as a user would: `python examples/NAME.py`)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
MINE = {
    "reconcile_loop.py": "drift repaired after",
    "wait_deployment.py": "deployment.apps/web available",
    "crd_status.py": "backup.example.com/nightly Completed",
    "thread_pool.py": "50 pods Succeeded",
    "retry_flaky_api.py": "configmap/settings created after 4 attempt(s)",
    "apply_and_wait.py": "failed at once: jobs/broken: condition Failed=True",
}


@pytest.mark.parametrize(("script", "expected"), sorted(MINE.items()))
def test_example_runs_against_the_emulator(script: str, expected: str) -> None:
    p = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True,
                       text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout + p.stderr
    assert expected in p.stdout


def test_every_example_is_exercised() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    others = {"core_backoff.py"}  # the core engineer's, tested in tests/core
    assert scripts - others <= set(MINE), scripts - others - set(MINE)
