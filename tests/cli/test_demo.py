"""`hybridwait demo` end to end on the simulated control plane: a subprocess run
(plain progress lines, summary table, exit code), with and without --chaos, plus
its bad input."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.cli.conftest import run_cli


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hybridwait.cli", "demo", *args],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def _row(out: str, name: str) -> str:
    m = re.search(rf"^{re.escape(name)}\s{{2,}}(.*)$", out, re.MULTILINE)
    assert m is not None, f"no {name!r} row in:\n{out}"
    return m.group(1)


def test_demo_rolls_out_the_app_and_every_wait_ends_correctly() -> None:
    p = _demo("--pods", "30", "--seed=7")
    assert p.returncode == 0, p.stdout + p.stderr
    # 6 app objects (the Job waited on for Complete), 2 rollouts, 30 old web pods deleted
    assert _row(p.stdout, "waits met") == "38/38 (all correct)"
    assert _row(p.stdout, "ready / complete / deleted / failed") == "7 / 1 / 30 / 0"
    paths = [int(x) for x in _row(p.stdout, "ended by watch / poll / failure").split(" / ")]
    assert sum(paths) == 38 and paths[2] == 0  # every met wait counted once
    assert "API requests used" in p.stdout and "wake latency p50 / p99" in p.stdout
    started = int(_row(p.stdout, "simulated cluster").split()[0])
    assert started >= 2 * 30 + 2 * 3 + 3 + 3  # web and api twice, db, migrate
    assert "applied 6 objects to namespace 'demo'" in p.stderr
    assert "rolling out web:2.0 and api:2.0" in p.stderr
    assert "/38 waits ended" in p.stderr  # plain progress lines when not a terminal
    assert "Traceback" not in p.stderr


@pytest.mark.soak
def test_demo_chaos_the_crash_looping_rollout_fails_and_the_rest_is_met() -> None:
    p = _demo("--pods", "30", "--chaos", "--seed=7")
    assert "chaos: API server restart" in p.stderr
    assert p.returncode == 0, p.stdout + p.stderr
    assert _row(p.stdout, "waits met") == "38/38 (all correct)"
    assert _row(p.stdout, "ready / complete / deleted / failed") == "6 / 1 / 30 / 1"
    paths = [int(x) for x in _row(p.stdout, "ended by watch / poll / failure").split(" / ")]
    assert sum(paths) == 38 and paths[2] == 1  # the Failed wait counted too
    assert _row(p.stdout, "failed as expected").startswith(
        'deployments/api: progress deadline exceeded: ReplicaSet "api-')


@pytest.mark.parametrize(("argv", "err"), [
    (["--pods=0"], "error: --pods must be between 1 and 2000"),
    (["--poll-interval=5"], "Error: invalid argument \"5\" for \"--poll-interval\" flag: "
                            "time: missing unit in duration \"5\""),
    (["--spread=5s"], "Error: unknown flag: --spread"),
    (["--bogus"], "Error: unknown flag: --bogus"),
])
def test_demo_bad_input(argv: list[str], err: str, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(["demo", *argv], capsys)
    assert r.code == 1 and r.err[0] == err


def test_summary_says_honestly_when_polling_would_have_cost_less() -> None:
    from hybridwait.cli.demo import _compare_cost

    assert _compare_cost(364, 5) == "73x more"
    # under --chaos the engine may read the API more than naive polling would
    assert _compare_cost(372, 556).startswith("1.5x fewer")
