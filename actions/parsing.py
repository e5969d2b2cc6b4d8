"""Reading what people type: references, dates and times, ratings, money.

Pure functions (no Rasa, no database), so they are tested on their own.
Dates and times are read with the standard library only: ISO and Indian
day-first dates, weekday names, "today"/"tomorrow"/"day after tomorrow",
"10am", "3:30 pm", "15:00" and the parts of the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation

from backend import references

# --- references ---------------------------------------------------------------

_REFERENCE = re.compile(r"\b([A-Za-z]{2,3})[-\s]?0*(\d{1,9})\b")


def normalise_reference(text: str | None) -> str | None:
    """'sr 123', 'SR000123' or 'jb-45' -> 'SR-000123' / 'JB-000045'; None if not ours."""
    for match in _REFERENCE.finditer(text or ""):
        found = references.normalise(f"{match.group(1)}-{match.group(2)}")
        if found:
            return found
    return None


def prefix_of(reference: str | None) -> str | None:
    parsed = references.parse(reference or "")
    return parsed[0] if parsed else None


# --- dates and times ------------------------------------------------------------

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {name[:3]: i for i, name in enumerate(WEEKDAYS)}
MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
PARTS_OF_DAY = {"morning": time(10, 0), "noon": time(12, 0), "afternoon": time(14, 0),
                "evening": time(17, 0), "night": time(19, 0), "tonight": time(19, 0)}
DEFAULT_TIME = time(10, 0)

_AMPM = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")
_D_MON = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3})[a-z]*\b")
_MON_D = re.compile(r"\b([a-z]{3})[a-z]*\s+(\d{1,2})(?:st|nd|rd|th)?\b")


class WhenError(ValueError):
    """The text holds no date or time we can read (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unreadable" | "past"


@dataclass(frozen=True)
class When:
    at: datetime  # timezone-aware, in the customer's zone

    @property
    def label(self) -> str:
        """What the slot holds and the user sees: '2025-12-05 15:00'."""
        return self.at.strftime("%Y-%m-%d %H:%M")


def parse_when(text: str, now: datetime) -> When:
    """Read a date and time relative to ``now`` (aware). Raises WhenError."""
    s = " " + (text or "").lower().strip() + " "
    day = _read_day(s, now.date())
    clock = _read_time(s)
    if day is None and clock is None:
        raise WhenError("unreadable")
    if day is None:  # a time alone: today if still ahead, else tomorrow
        day = now.date()
        if datetime.combine(day, clock, now.tzinfo) <= now:
            day += timedelta(days=1)
    at = datetime.combine(day, clock or DEFAULT_TIME, now.tzinfo)
    if at <= now:
        raise WhenError("past")
    return When(at)


def parse_label(label: str, zone: tzinfo) -> datetime:
    """The slot's 'YYYY-MM-DD HH:MM' back to an aware datetime."""
    return datetime.strptime(label, "%Y-%m-%d %H:%M").replace(tzinfo=zone)


def _read_day(s: str, today: date) -> date | None:
    if "day after tomorrow" in s:
        return today + timedelta(days=2)
    if "tomorrow" in s or "tmrw" in s or "tmw" in s:
        return today + timedelta(days=1)
    if "today" in s or "tonight" in s:
        return today
    if m := _ISO.search(s):
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DMY.search(s):
        if not _looks_like_clock(s, m):
            return _with_year(int(m.group(1)), int(m.group(2)), m.group(3), today)
    for pattern, day_group, month_group in ((_D_MON, 1, 2), (_MON_D, 2, 1)):
        for m in pattern.finditer(s):
            month = MONTHS.get(m.group(month_group)[:3])
            if month:
                return _with_year(int(m.group(day_group)), month, None, today)
    for word in re.findall(r"[a-z]+", s):
        index = WEEKDAYS.index(word) if word in WEEKDAYS else _WEEKDAY_ABBR.get(word)
        if index is not None:
            # "friday" and "next friday" both mean the coming one, as people say it here
            return today + timedelta(days=(index - today.weekday()) % 7 or 7)
    return None


def _looks_like_clock(s: str, m: re.Match) -> bool:
    return m.group(3) is None and s[m.start():m.end()].count(".") == 1 and bool(_AMPM.search(s[m.start():]))


def _with_year(day: int, month: int, year: str | None, today: date) -> date:
    if year:
        y = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(y, month, day)
    found = _safe_date(today.year, month, day)
    return found if found >= today else _safe_date(today.year + 1, month, day)


def _safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError("unreadable") from None


def _read_time(s: str) -> time | None:
    if m := _AMPM.search(s):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise WhenError("unreadable")
        hour = hour % 12 + (12 if m.group(3).startswith("p") else 0)
        return time(hour, minute)
    if m := _CLOCK.search(s):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise WhenError("unreadable")
        return time(hour, minute)
    for word, at in PARTS_OF_DAY.items():
        if re.search(rf"\b{word}\b", s):
            return at
    return None


# --- a day that has already come (a purchase, an installation) ---------------------

_AGO = re.compile(r"\b(\d{1,3}|a|an|one|two|three|four|five|six)\s+(day|week|month|year)s?\s+(?:ago|back)\b")
_D_MON_Y = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?([a-z]{3})[a-z]*\.?,?(?:\s+'?(\d{4}|\d{2})\b)?")
_MON_D_Y = re.compile(r"\b([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b,?(?:\s+'?(\d{4}|\d{2})\b)?")
_AGO_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def parse_past_day(text: str | None, today: date) -> date:
    """Read the day something happened: "3 Nov", "3rd November 2026", "Nov 3",
    "03/11/2026" (day first, as written here), "2026-11-03", "yesterday",
    "today", "2 weeks ago". Without a year, the most recent such day.
    Raises WhenError("unreadable") or WhenError("future")."""
    s = " " + (text or "").lower().strip() + " "
    day = _past_relative(s, today) or _past_written(s, today)
    if day is None:
        raise WhenError("unreadable")
    if day > today:
        raise WhenError("future")
    return day


def _past_relative(s: str, today: date) -> date | None:
    if "day before yesterday" in s:
        return today - timedelta(days=2)
    if "yesterday" in s or "kal" in s.split():
        return today - timedelta(days=1)
    if "today" in s or "aaj" in s.split():
        return today
    if m := _AGO.search(s):
        count = int(m.group(1)) if m.group(1).isdigit() else _WORD_NUMBERS.get(m.group(1), 1)
        return today - timedelta(days=count * _AGO_DAYS[m.group(2)])
    return None


def _past_written(s: str, today: date) -> date | None:
    if m := _ISO.search(s):
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DMY.search(s):
        return _past_with_year(int(m.group(1)), int(m.group(2)), m.group(3), today)
    for pattern, day_group, month_group in ((_D_MON_Y, 1, 2), (_MON_D_Y, 2, 1)):
        for m in pattern.finditer(s):
            month = MONTHS.get(m.group(month_group)[:3])
            if month:
                return _past_with_year(int(m.group(day_group)), month, m.group(3), today)
    return None


def _past_with_year(day: int, month: int, year: str | None, today: date) -> date:
    if year:
        return _safe_date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    found = _safe_date(today.year, month, day)
    return found if found <= today else _safe_date(today.year - 1, month, day)


# --- numbers ---------------------------------------------------------------------

_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "a": 1, "an": 1, "single": 1}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def parse_rating(text: str | None) -> int | None:
    s = (text or "").lower()
    if m := re.search(r"\b([1-5])(?:\s*/\s*5|\s*out of\s*5)?\b", s):
        return int(m.group(1))
    for word, value in _WORD_NUMBERS.items():
        if len(word) > 2 and re.search(rf"\b{word}\b", s) and 1 <= value <= 5:
            return value
    return None


def parse_quantity(text: str | None) -> Decimal | None:
    s = (text or "").lower()
    if m := _NUMBER.search(s):
        try:
            qty = Decimal(m.group(0).replace(",", ""))
        except InvalidOperation:
            return None
        return qty if qty > 0 else None
    for word, value in _WORD_NUMBERS.items():
        if re.search(rf"\b{word}\b", s):
            return Decimal(value)
    return None


def parse_amount(text: str | None) -> Decimal | None:
    """'₹1,500', 'Rs. 800', '2000 rupees', '1.5k' -> Decimal; None if no positive amount."""
    s = (text or "").lower().replace("₹", " ")
    m = re.search(r"(\d[\d,]*(?:\.\d{1,2})?)\s*(k\b)?", s)
    if not m:
        return None
    try:
        amount = Decimal(m.group(1).replace(",", ""))
    except InvalidOperation:
        return None
    if m.group(2):
        amount *= 1000
    return amount if amount > 0 else None


# --- expense categories (backend.jobs.expenses.CATEGORIES) -----------------------

_CATEGORY_WORDS = {
    "travel": ("auto", "bus", "taxi", "cab", "fare", "fuel", "petrol", "diesel", "train", "metro", "travel",
               "toll", "parking", "ride", "bike", "ola", "uber", "rickshaw"),
    "food": ("food", "lunch", "dinner", "breakfast", "meal", "tea", "snack", "coffee"),
    "lodging": ("hotel", "lodge", "room", "stay", "lodging"),
    "local_purchase": ("purchase", "bought", "buy", "hardware", "shop", "tape", "screws", "material"),
}


def expense_category(description: str | None) -> str:
    words = set(re.findall(r"[a-z]+", (description or "").lower()))
    for category, hints in _CATEGORY_WORDS.items():
        if words & set(hints):
            return category
    return "other"
