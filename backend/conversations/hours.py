"""Business hours: when agents answer. Outside them the live-chat widget says
so and offers to leave a message. Spec: ``"mon-fri 09:00-18:00, sat 09:00-13:00"``,
``"always"`` or ``"never"``, read in the company's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_PART = re.compile(r"^(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+(?P<t1>\d{1,2}:\d{2})-(?P<t2>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class BusinessHours:
    spans: tuple[tuple[int, time, time], ...]  # (weekday, opens, closes)
    zone: ZoneInfo
    spec: str

    @classmethod
    def parse(cls, spec: str, tz: str = "UTC") -> BusinessHours:
        zone = ZoneInfo(tz)
        text = spec.strip().lower()
        if text == "always":
            return cls(tuple((d, time(0, 0), time(23, 59, 59, 999999)) for d in range(7)), zone, spec)
        if text in ("never", ""):
            return cls((), zone, spec)
        spans = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            m = _PART.match(part)
            if not m or m["d1"] not in DAYS or (m["d2"] and m["d2"] not in DAYS):
                raise ValueError(f"business hours: cannot read '{part}' (like 'mon-fri 09:00-18:00')")
            first, last = DAYS.index(m["d1"]), DAYS.index(m["d2"] or m["d1"])
            opens, closes = time.fromisoformat(m["t1"].zfill(5)), time.fromisoformat(m["t2"].zfill(5))
            if closes <= opens:
                raise ValueError(f"business hours: '{part}' closes before it opens")
            day = first
            while True:
                spans.append((day, opens, closes))
                if day == last:
                    break
                day = (day + 1) % 7
        return cls(tuple(spans), zone, spec)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return any(d == local.weekday() and o <= local.time() < c for d, o, c in self.spans)

    def next_open(self, at: datetime) -> datetime | None:
        """When agents are next available (``at`` itself when open now)."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for d, o, _c in sorted(self.spans, key=lambda s: s[1]):
                start = datetime.combine(day, o, self.zone)
                if d == day.weekday() and start > local:
                    return start
        return None

    def describe(self) -> str:
        if not self.spans:
            return "our team is not taking live chats at the moment"
        if len(self.spans) == 7 and all(o == time(0) for _d, o, _c in self.spans):
            return "around the clock"
        groups: dict[tuple[time, time], list[int]] = {}
        for d, o, c in self.spans:
            groups.setdefault((o, c), []).append(d)
        parts = []
        for (o, c), days in groups.items():
            days = sorted(days)
            label = DAYS[days[0]].title() if len(days) == 1 else f"{DAYS[days[0]].title()}–{DAYS[days[-1]].title()}"
            parts.append(f"{label} {o:%H:%M}–{c:%H:%M}")
        return ", ".join(parts) + f" ({self.zone.key})"
