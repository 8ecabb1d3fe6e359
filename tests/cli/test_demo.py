"""`hybridwait demo` end to end: a subprocess smoke run (plain progress lines, summary
table, exit code), with and without --chaos, plus its bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.conftest import run_cli


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hybridwait.cli", "demo", *args],
                          capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)


def test_demo_50_pods() -> None:
    p = _demo("--pods", "50", "--spread=2s", "--seed=7")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "waits met                    50/50 (all correct)" in p.stdout
    assert "wake latency p50 / p99" in p.stdout and "API requests used" in p.stdout
    assert "/50 waits ended" in p.stderr  # plain progress lines when not a terminal
    assert "Traceback" not in p.stderr


@pytest.mark.soak
def test_demo_chaos_every_wait_ends_correctly() -> None:
    p = _demo("--pods", "50", "--chaos", "--spread=4s", "--seed=7")
    assert "chaos: API server restart" in p.stderr
    assert p.returncode == 0, p.stdout + p.stderr
    assert "50/50 (all correct)" in p.stdout


@pytest.mark.parametrize(("argv", "err"), [
    (["--pods=0"], "error: --pods must be between 1 and 5000"),
    (["--spread=5"], "Error: invalid argument \"5\" for \"--spread\" flag: "
                     "time: missing unit in duration \"5\""),
    (["--bogus"], "Error: unknown flag: --bogus"),
])
def test_demo_bad_input(argv: list[str], err: str, capsys) -> None:
    r = run_cli(["demo", *argv], capsys)
    assert r.code == 1 and r.err[0] == err


def test_summary_says_honestly_when_polling_would_have_cost_less() -> None:
    from hybridwait.cli.demo import _compare_cost

    assert _compare_cost(364, 5) == "73x more"
    # under --chaos the engine may read the API more than naive polling would
    assert _compare_cost(372, 556).startswith("1.5x fewer")
