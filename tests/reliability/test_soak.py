"""The chaos soak, short form (CI): ``HYBRIDWAIT_SOAK_SECONDS`` (default 75: two
rounds, 1,000 waits) of rounds of 500 waits on one shared Engine under random
faults. Long form:
``HYBRIDWAIT_SOAK_SECONDS=900 python3 -m pytest -m soak tests/reliability -s``
or ``python3 -m tests.reliability.soak --seconds 900``. See soak.py."""

from __future__ import annotations

import json
import os

import pytest

from tests.reliability.soak import run_soak

SECONDS = float(os.environ.get("HYBRIDWAIT_SOAK_SECONDS", "75"))
SEED = int(os.environ.get("HYBRIDWAIT_SOAK_SEED", "1"))


@pytest.mark.soak
@pytest.mark.timeout(SECONDS + 180)
def test_chaos_soak() -> None:
    rep = run_soak(SECONDS, SEED)
    summary = rep.summary()
    print("SOAK", json.dumps(summary))
    assert rep.waits >= 1000 and rep.true_waits > 0 and rep.control_waits > 0
    assert sum(rep.faults.values()) >= 5, summary
    problems = "\n".join(rep.problems()[:30])
    assert not rep.false, f"waits ended on a condition that was never true:\n{problems}"
    assert not rep.missed and not rep.late, f"missed or late waits:\n{problems}"
    assert not rep.control_bad, f"control waits not ending at their timeout:\n{problems}"
    assert not rep.unrecovered, f"the watch did not recover:\n{problems}"
    assert not rep.leaks, f"leaks after a round:\n{problems}"
