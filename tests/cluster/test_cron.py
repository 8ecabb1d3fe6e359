"""Cron schedules as the CronJob controller reads them."""

from __future__ import annotations

import datetime

import pytest

from hybridwait.testing.cluster.cron import CronError, Schedule

UTC = datetime.timezone.utc


def _t(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("spec", "after", "want"), [
    ("*/15 9-17 * * MON-FRI", _t(2026, 11, 30, 9, 7), _t(2026, 11, 30, 9, 15)),
    ("*/15 9-17 * * MON-FRI", _t(2026, 11, 28, 9, 7), _t(2026, 11, 30, 9, 0)),  # Sat -> Mon
    ("0 0 * * 7", _t(2026, 11, 30), _t(2026, 12, 6)),  # 7 is Sunday
    ("@monthly", _t(2026, 12, 15), _t(2027, 1, 1)),
    ("@hourly", _t(2026, 1, 1, 10, 0), _t(2026, 1, 1, 11, 0)),  # strictly after
    ("30 4 1,15 * 5", _t(2026, 11, 2), _t(2026, 11, 6, 4, 30)),  # day OR weekday
    ("5 4 * feb *", _t(2026, 3, 1), _t(2027, 2, 1, 4, 5)),
    ("0 0 30 2 *", _t(2026, 1, 1), None),  # never
])
def test_next_run(spec: str, after: datetime.datetime, want: datetime.datetime | None) -> None:
    assert Schedule.parse(spec).next_after(after) == want


@pytest.mark.parametrize("spec", ["* * * *", "60 * * * *", "*/0 * * * *", "a b c d e",
                                  "5-1 * * * *", ""])
def test_bad_schedules(spec: str) -> None:
    with pytest.raises(CronError):
        Schedule.parse(spec)
