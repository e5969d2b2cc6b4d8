"""What every report shares: the definitions (SLA, on time, first-visit fix,
labour cost), the date range, filter checks, access, and the few SQL pieces
that SQLite and PostgreSQL spell differently.

The definitions, in one place
-----------------------------
- **Date range**: ``start`` and ``end`` are calendar dates in UTC, both
  included: a timestamp belongs to the range when ``start 00:00 <= t <
  (end + 1 day) 00:00``. Left out, the range is the ``DEFAULT_DAYS`` days
  ending today. ``start`` after ``end`` is refused (``invalid_input``,
  field ``start``), and so are dates outside 2000-2100.
- **Job done**: a job that reached ``resolved`` (``resolved_at`` is set) and
  was not cancelled; it counts in the range holding its ``resolved_at``.
- **On-time arrival**: ``arrived_at <= scheduled_start + ON_TIME_GRACE``.
  Only jobs with both times count towards the percentage.
- **First-visit fix**: a job done in one visit (``visits <= 1``) after which
  no other request-raised job (not a planned contract visit) was opened for
  the same item within ``FIRST_FIX_WINDOW`` of its resolution. Jobs without
  an item count on their visits alone.
- **SLA breaches** (dashboard), counted over requests raised in the range:
  *unscheduled*: a job still ``new`` more than ``SCHEDULE_WITHIN`` after it
  was raised; *past slot*: a job scheduled, confirmed, released or in
  progress whose appointment ended before now; *late arrival*: an arrival
  later than the grace; *resolved after slot*: resolved after
  ``scheduled_end``.
- **Labour cost** (P&L): hours on site (``resolved_at - arrived_at``; for a
  repair, the hours of the labour lines it was invoiced on) times the
  technician's own ``users.cost_rate_per_hour`` (``LABOUR_COST_PER_HOUR``
  for none), unless the caller gives one rate for everyone.
- **Revenue of a job** (P&L, scoreboard): the net (pre-tax) subtotal of the
  invoices raised on the job, plus its service order's invoice (process D),
  plus, for a planned contract visit, the contract's value shared equally
  among the contract's planned visits (not counting carried-over ones).
  Scoreboard revenue is what was billed (no contract share).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Float, cast, func, literal, literal_column, text
from sqlalchemy.orm import Session

from backend.db import money
from backend.errors import invalid
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role

# --- the definitions -----------------------------------------------------------------------------
ON_TIME_GRACE = timedelta(minutes=15)
SCHEDULE_WITHIN = timedelta(hours=24)
FIRST_FIX_WINDOW = timedelta(days=30)
LABOUR_COST_PER_HOUR = Decimal("250.00")
LOW_RATING = 2  # a rating at or below this is "low" in the feedback analysis
DEFAULT_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
DEFAULT_ROWS, MAX_ROWS = 1000, 10000
MAX_CALENDAR_DAYS = 92  # a calendar shows days one by one: at most a quarter at a time

# --- who may read what ----------------------------------------------------------------------------
MANAGERS = (Role.MANAGER, Role.ADMIN)
OPERATIONS = (Role.AGENT, Role.MANAGER, Role.ADMIN)
CUSTOMER_OR_OPERATIONS = (Role.CUSTOMER, *OPERATIONS)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def t0(self) -> datetime:
        return datetime.combine(self.start, time.min, timezone.utc)

    @property
    def t1(self) -> datetime:
        """The first moment after the range."""
        return datetime.combine(self.end + timedelta(days=1), time.min, timezone.utc)

    @property
    def as_of(self) -> datetime:
        """'Now' as the report sees it: the present, or the end of a range in the past."""
        return min(datetime.now(timezone.utc), self.t1)


def _a_date(value: Any, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise invalid(f"{name} must be a date like 2025-01-31", field=name) from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise invalid(f"{name} must be a date like 2025-01-31", field=name)
    if not EARLIEST <= value <= LATEST:
        raise invalid(f"{name} must lie between {EARLIEST} and {LATEST}", field=name)
    return value


def period(start: Any, end: Any, *, default_days: int | None = DEFAULT_DAYS) -> Period:
    """The inclusive range; with ``default_days=None`` a missing bound is open."""
    start, end = _a_date(start, "start"), _a_date(end, "end")
    if end is None:
        if default_days is None:
            end = LATEST
        elif start is not None and start > date.today():
            end = min(start + timedelta(days=default_days - 1), LATEST)  # a range in the future
        else:
            end = min(max(date.today(), EARLIEST), LATEST)
    if start is None:
        start = end - timedelta(days=default_days - 1) if default_days is not None else EARLIEST
        start = max(start, EARLIEST)
    if start > end:
        raise invalid("the start date is after the end date", field="start", start=str(start), end=str(end))
    return Period(start, end)


def calendar_span(p: Period) -> Period:
    if (p.end - p.start).days + 1 > MAX_CALENDAR_DAYS:
        raise invalid(f"a calendar covers at most {MAX_CALENDAR_DAYS} days", field="end",
                      days=(p.end - p.start).days + 1)
    return p


def refuse_unknown(unknown: dict[str, Any]) -> None:
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(f"'{name}' is not a filter of this report", field=name)


def one_of(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise invalid(f"{name} must be one of {', '.join(allowed)}", field=name, allowed=list(allowed))
    return value


def an_id(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise invalid(f"{name} must be a positive whole number", field=name)
    return value


def row_limit(value: Any, default: int = DEFAULT_ROWS, maximum: int = MAX_ROWS, name: str = "limit") -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise invalid(f"{name} must be a whole number from 1 to {maximum}", field=name)
    return value


def begin(actor: Actor, roles: tuple[Role, ...], start: Any, end: Any, unknown: dict[str, Any],
          *, default_days: int | None = DEFAULT_DAYS) -> Period:
    """The checks every report makes first: role, unknown filters, the range."""
    require_role(actor, *roles)
    refuse_unknown(unknown)
    return period(start, end, default_days=default_days)


def pct(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def dec(value: Any) -> Decimal:
    """Money from an SQL aggregate (None, int, float or Decimal)."""
    if value is None:
        return ZERO
    return money(Decimal(str(value)) if isinstance(value, float) else value)


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def as_utc(value: Any) -> datetime | None:
    """Timestamps from raw SQL (SQLite gives text) as aware UTC datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class Sql:
    """The expressions SQLite and PostgreSQL write differently."""

    def __init__(self, session: Session) -> None:
        self.dialect = session.get_bind().dialect.name
        self.pg = self.dialect == "postgresql"

    def minutes(self, since, until):
        """Minutes from ``since`` to ``until`` (timestamps), as a float."""
        if self.pg:
            return func.extract("epoch", until - since) / 60.0
        return (func.julianday(until) - func.julianday(since)) * 1440.0

    def plus(self, moment, delta: timedelta):
        """A timestamp column moved by a fixed delta, comparable with the column."""
        seconds = int(delta.total_seconds())
        if self.pg:
            return moment + literal_column(f"interval '{seconds} seconds'")
        return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"+{seconds} seconds")

    def day(self, moment):
        """The UTC calendar day of a timestamp."""
        if self.pg:
            return cast(func.timezone("UTC", moment), Date)
        return func.date(moment)

    def bucket(self, day_col, by: str):
        """The first day of the day / ISO week / month holding a date."""
        if by == "day":
            return day_col
        if self.pg:
            return cast(func.date_trunc(by, day_col), Date)
        if by == "week":
            return func.date(day_col, "-6 days", "weekday 1")
        return func.strftime("%Y-%m-01", day_col)

    def to_float(self, expr):
        return cast(expr, Float)

    def tune(self, session: Session) -> None:
        """PostgreSQL, this transaction only: room to sort and hash in memory, index probes priced
        for cached data, and no JIT
        compilation (the per-row look-ups make the planner's cost large enough to trigger
        it, and compiling took longer than running: 0.7 s of 1.2 s on a P&L at 50k jobs)."""
        if self.pg:
            session.execute(text("SET LOCAL work_mem = '64MB'"))
            session.execute(text("SET LOCAL jit = off"))
            # the data a report reads is mostly cached: index probes cost about what a sequential read does
            session.execute(text("SET LOCAL random_page_cost = 1.1"))


def range_filter(col, p: Period):
    return (col >= p.t0) & (col < p.t1)


def day_filter(col, p: Period):
    return (col >= p.start) & (col <= p.end)


TRUE = literal(True)
