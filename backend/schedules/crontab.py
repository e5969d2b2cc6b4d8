"""Crontab text (``minute hour day month day-of-week``) read the way huey's
``crontab()`` reads it, so the next run shown on the admin page is the one
the worker's scheduler fires.

Each field is ``*``, a number, ``m-n``, ``*/n`` (not for the day of week)
or a comma list of those; the day of week counts from Sunday (0, also 7).
As in huey, a time matches when *every* field matches (a day and a day of
week both given must both hold, unlike classic cron's either-or). Times are
matched in the zone given, as wall-clock minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_RANGES = {"minute": range(60), "hour": range(24), "day": range(1, 32), "month": range(1, 13),
           "day_of_week": range(8)}
_DASH = re.compile(r"^(\d+)-(\d+)$")
_EVERY = re.compile(r"^\*/(\d+)$")
_SEARCH_DAYS = 366 * 4 + 1  # a 29 February comes round within four years


class CrontabError(ValueError):
    pass


def _values(name: str, text: str) -> frozenset[int]:
    acceptable = _RANGES[name]
    found: set[int] = set()
    for piece in text.split(","):
        if piece == "*":
            found.update(acceptable)
        elif piece.isdigit():
            n = int(piece)
            if n not in acceptable:
                raise CrontabError(f"{name}: {n} is out of range")
            found.add(n % 7 if name == "day_of_week" else n)
        elif m := _DASH.match(piece):
            lo, hi = int(m[1]), int(m[2])
            if lo not in acceptable or hi not in acceptable:
                raise CrontabError(f"{name}: {piece} is out of range")
            if name == "day_of_week":
                lo, hi = lo % 7, hi % 7
            found.update(range(lo, hi + 1))
        elif m := _EVERY.match(piece):
            if name == "day_of_week":
                raise CrontabError("day_of_week: */n is not allowed")
            step = int(m[1])
            if step < 1:
                raise CrontabError(f"{name}: */0 is not allowed")
            found.update(acceptable[::step])
        else:
            raise CrontabError(f"{name}: cannot read '{piece}'")
    if not found:
        raise CrontabError(f"{name}: matches nothing")
    return frozenset(found)


@dataclass(frozen=True)
class Crontab:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, text: str) -> Crontab:
        parts = text.split()
        if len(parts) != 5:
            raise CrontabError(f"a crontab has five fields ({' '.join(FIELDS)}), not '{text}'")
        minutes, hours, days, months, weekdays = (_values(n, p) for n, p in zip(FIELDS, parts))
        return cls(" ".join(parts), minutes, hours, days, months, weekdays)

    def fields(self) -> dict[str, str]:
        """The text by huey's keyword names: ``crontab(**c.fields())``."""
        return dict(zip(FIELDS, self.text.split()))

    def words(self) -> str:
        """The common shapes in words ("every day at 01:30", "every hour at :15"); else the text."""
        every_day = len(self.days) == 31 and len(self.months) == 12 and self.weekdays >= set(range(7))
        if every_day and len(self.minutes) == 1:
            (minute,) = self.minutes
            if len(self.hours) == 1:
                return f"every day at {min(self.hours):02d}:{minute:02d}"
            if len(self.hours) == 24:
                return f"every hour at :{minute:02d}"
        return self.text

    def day_matches(self, d: date) -> bool:
        return d.month in self.months and d.day in self.days and (d.weekday() + 1) % 7 in self.weekdays

    def matches(self, local: datetime) -> bool:
        """``local``: a wall-clock time (naive, or aware in the zone meant)."""
        return self.day_matches(local.date()) and local.hour in self.hours and local.minute in self.minutes

    def _times(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]

    def next_after(self, at: datetime, zone: ZoneInfo) -> datetime | None:
        """The first firing strictly after ``at`` (aware), as aware UTC."""
        local = at.astimezone(zone)
        start = local.replace(second=0, microsecond=0, tzinfo=None)
        times = self._times()
        for offset in range(_SEARCH_DAYS):
            day = start.date() + timedelta(days=offset)
            if not self.day_matches(day):
                continue
            for t in times:
                wall = datetime.combine(day, t)
                if wall > start:
                    return wall.replace(tzinfo=zone).astimezone(timezone.utc)
        return None  # e.g. 31 February

    def last_at_or_before(self, at: datetime, zone: ZoneInfo) -> datetime | None:
        """The latest firing at or before ``at`` (aware), as aware UTC."""
        local = at.astimezone(zone)
        end = local.replace(second=0, microsecond=0, tzinfo=None)
        times = self._times()[::-1]
        for offset in range(_SEARCH_DAYS):
            day = end.date() - timedelta(days=offset)
            if not self.day_matches(day):
                continue
            for t in times:
                wall = datetime.combine(day, t)
                if wall <= end:
                    return wall.replace(tzinfo=zone).astimezone(timezone.utc)
        return None
