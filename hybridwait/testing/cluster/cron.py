"""Standard five-field cron schedules (``minute hour day-of-month month
day-of-week``) as the CronJob controller reads them: ``*``, ``?``, numbers,
ranges, steps, lists, month and weekday names, ``7`` for Sunday, and the
``@yearly`` ``@annually`` ``@monthly`` ``@weekly`` ``@daily`` ``@midnight``
``@hourly`` macros. When both day fields are restricted, a day matching either
one matches (cron's rule). Times are UTC.

Example::

    sched = Schedule.parse("*/15 9-17 * * MON-FRI")
    sched.next_after(datetime.datetime(2026, 11, 30, 9, 7, tzinfo=datetime.timezone.utc))
    # 2026-11-30 09:15 UTC
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

__all__ = ["CronError", "Schedule"]

_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
           "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@hourly": "0 * * * *"}
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (low, high, names) per field
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 7, _DAYS))
# Searching further than this for the next run means the schedule never fires
# (e.g. "0 0 30 2 *").
_HORIZON = datetime.timedelta(days=366 * 5)


class CronError(ValueError):
    """A schedule that does not parse."""


def _value(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise CronError(f"invalid value {text!r}")
    return int(text)


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = _value(step_text, {}) if step_text else 1
        if step < 1:
            raise CronError(f"invalid step in {part!r}")
        if rng in ("*", "?"):
            a, b = low, high
        elif "-" in rng:
            a_text, b_text = rng.split("-", 1)
            a, b = _value(a_text, names), _value(b_text, names)
        else:
            a = _value(rng, names)
            b = high if step_text else a
        if not low <= a <= b <= high:
            raise CronError(f"{part!r} is out of range {low}-{high}")
        out.update(range(a, b + 1, step))
    return frozenset(out)


class Schedule(NamedTuple):
    """A parsed schedule: the allowed values of each field."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Parse ``text``; raise :class:`CronError` when it is not a schedule."""
        spec = _MACROS.get(text.strip().lower(), text.strip())
        parts = spec.split()
        if len(parts) != 5:
            raise CronError(f"expected exactly 5 fields, found {len(parts)}: {text!r}")
        sets = [_field(p, lo, hi, names) for p, (lo, hi, names)
                in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(sets[0], sets[1], sets[2], sets[3], weekdays,
                   parts[2] not in ("*", "?"), parts[4] not in ("*", "?"))

    def _day_ok(self, t: datetime.datetime) -> bool:
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, after: datetime.datetime) -> datetime.datetime | None:
        """The first run strictly after ``after`` (aware UTC), None if none within
        five years."""
        t = after.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
        end = after + _HORIZON
        while t <= end:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + datetime.timedelta(days=32)
                     ).replace(day=1)
                continue
            if not self._day_ok(t):
                t = t.replace(hour=0, minute=0) + datetime.timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + datetime.timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += datetime.timedelta(minutes=1)
                continue
            return t
        return None
