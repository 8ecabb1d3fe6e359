"""``python -m hybridwait`` runs the CLI (for users without the script on PATH)."""

import subprocess
import sys

import hybridwait


def test_python_dash_m_hybridwait_prints_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hybridwait", "--version"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert hybridwait.__version__ in out.stdout


def test_python_dash_m_hybridwait_rejects_unknown_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hybridwait", "no-such-command"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode != 0
