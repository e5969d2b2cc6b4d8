"""The schedules: what runs when, and the use case each one runs.

Crontabs are read in the company's time zone (``SCHEDULE_TIMEZONE``, else
``PORTAL_TIMEZONE``, else Asia/Kolkata), and so is "today" for the bodies.
A daily schedule's slot is that day; an hourly one's is the hour.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.db import UnitOfWork
from backend.processes import reminders
from backend.schedules.crontab import Crontab

DEFAULT_ZONE = "Asia/Kolkata"
LISTED = 20  # references kept in a run's result


@dataclass(frozen=True)
class ScheduleConfig:
    """What the schedules read from the environment (by the composition root)."""

    zone: str = DEFAULT_ZONE
    ticket_autoclose_days: int = reminders.TICKET_AUTOCLOSE_DAYS
    overdue_job_days: int = reminders.OVERDUE_JOB_DAYS
    overdue_ticket_days: int = reminders.OVERDUE_TICKET_DAYS
    visit_horizon_days: int = reminders.VISIT_HORIZON_DAYS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScheduleConfig:
        env = os.environ if env is None else env
        return cls(
            zone=env.get("SCHEDULE_TIMEZONE") or env.get("PORTAL_TIMEZONE") or DEFAULT_ZONE,
            ticket_autoclose_days=int(env.get("TICKET_AUTOCLOSE_DAYS", cls.ticket_autoclose_days)),
            overdue_job_days=int(env.get("OVERDUE_JOB_DAYS", cls.overdue_job_days)),
            overdue_ticket_days=int(env.get("OVERDUE_TICKET_DAYS", cls.overdue_ticket_days)),
            visit_horizon_days=int(env.get("VISIT_HORIZON_DAYS", cls.visit_horizon_days)),
        )


@dataclass(frozen=True)
class Moment:
    """When a run runs: ``now`` (aware UTC) and the company's ``today``."""

    now: datetime
    today: date


@dataclass(frozen=True)
class Outcome:
    summary: str  # one line for the admin page
    result: dict[str, Any] = field(default_factory=dict)  # small, JSON


Body = Callable[[UnitOfWork, Moment, ScheduleConfig], Outcome]


@dataclass(frozen=True)
class Schedule:
    name: str
    title: str
    description: str  # may name the config's fields: {ticket_autoclose_days}
    cron: str  # minute hour day month day-of-week, in the company's zone
    period: str  # "day" or "hour": what one slot is
    body: Body

    def describe(self, cfg: ScheduleConfig) -> str:
        return self.description.format(**asdict(cfg))

    @property
    def crontab(self) -> Crontab:
        return Crontab.parse(self.cron)

    def slot(self, fire: datetime, zone: ZoneInfo) -> str:
        """The slot of a firing (aware): its day, or its hour, in the zone."""
        local = fire.astimezone(zone)
        return local.date().isoformat() if self.period == "day" else local.strftime("%Y-%m-%dT%H")

    def slot_at(self, now: datetime, zone: ZoneInfo) -> str | None:
        """The slot of the latest firing at or before ``now``: what a periodic run started now is for."""
        fire = self.crontab.last_at_or_before(now, zone)
        return self.slot(fire, zone) if fire is not None else None


def _refs(refs: list[str]) -> list[str]:
    return list(refs[:LISTED])


def _contracts(uow: UnitOfWork, at: Moment, cfg: ScheduleConfig) -> Outcome:
    run = reminders.run_contracts(uow, as_of=at.today, horizon_days=cfg.visit_horizon_days)
    return Outcome(f"{len(run.reminded)} renewal reminders, {len(run.expired)} expired, "
                   f"{len(run.jobs_created)} visit jobs",
                   {"reminded": _refs(run.reminded), "expired": _refs(run.expired),
                    "jobs_created": _refs(run.jobs_created), "counts": [len(run.reminded), len(run.expired),
                                                                        len(run.jobs_created)]})


def _appointments(uow: UnitOfWork, at: Moment, cfg: ScheduleConfig) -> Outcome:
    run = reminders.send_appointment_reminders(uow, as_of=at.today, zone=cfg.zone)
    return Outcome(f"{len(run.reminded)} reminders for {run.day.isoformat()}",
                   {"day": run.day.isoformat(), "reminded": _refs(run.reminded), "count": len(run.reminded)})


def _collections(uow: UnitOfWork, at: Moment, cfg: ScheduleConfig) -> Outcome:
    sent = reminders.send_collection_reminders(uow, as_of=at.today)
    by_level = {name: sum(1 for r in sent if r.level == name) for name, _ in reminders.COLLECTION_LEVELS}
    return Outcome(", ".join(f"{n} {level}" for level, n in by_level.items()) + " reminders",
                   {"levels": by_level, "invoices": _refs([f"{r.invoice_number}:{r.level}" for r in sent])})


def _tickets(uow: UnitOfWork, at: Moment, cfg: ScheduleConfig) -> Outcome:
    closed = reminders.close_quiet_tickets(uow, now=at.now, after_days=cfg.ticket_autoclose_days)
    return Outcome(f"{len(closed)} tickets closed", {"closed": _refs(closed), "count": len(closed)})


def _overdue(uow: UnitOfWork, at: Moment, cfg: ScheduleConfig) -> Outcome:
    run = reminders.alert_overdue_work(uow, now=at.now, as_of=at.today, job_days=cfg.overdue_job_days,
                                       ticket_days=cfg.overdue_ticket_days)
    return Outcome(f"{len(run.items)} overdue, {run.alerts} alerts sent",
                   {"overdue": _refs([i.reference for i in run.items]), "alerts": run.alerts})


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("contract_daily", "Daily contract run",
             "Renewal reminders 30 and 7 days before a contract ends; contracts ended unrenewed expire; "
             "planned visits due within {visit_horizon_days} days become jobs.", "30 1 * * *", "day", _contracts),
    Schedule("appointment_reminders", "Appointment reminders",
             "Customers with a visit booked for tomorrow are reminded, once per visit and day.",
             "0 17 * * *", "day", _appointments),
    Schedule("collection_reminders", "Collection reminders",
             "Overdue invoices are reminded: polite the day after the due date, firm at 15 days, final at 30; "
             "each reminder is recorded as a follow-up on the invoice.", "0 10 * * *", "day", _collections),
    Schedule("ticket_autoclose", "Ticket auto-close",
             "Help-desk tickets answered and left without a reply for {ticket_autoclose_days} days are closed, "
             "with a note; the customer is told.", "0 3 * * *", "day", _tickets),
    Schedule("overdue_alerts", "Overdue alerts",
             "Managers are told of jobs past their booked visit or unresolved {overdue_job_days} days after "
             "opening, and of tickets unanswered for {overdue_ticket_days} days; once per item and day.", "15 * * * *", "hour", _overdue),
)
BY_NAME: dict[str, Schedule] = {s.name: s for s in SCHEDULES}
