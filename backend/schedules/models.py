from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow


class RunState(StrEnum):
    REQUESTED = "requested"  # "run now" from the admin page, waiting for a worker to queue it
    QUEUED = "queued"  # on the task queue
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # tried again by the queue's retry, or by the next "run now"


class RunTrigger(StrEnum):
    SCHEDULE = "schedule"  # its crontab fired
    CATCH_UP = "catch_up"  # a worker started after the firing and found the slot not run
    MANUAL = "manual"  # "run now"


class ScheduleRun(Base):
    """One run of a schedule in one slot: the date for a daily schedule, the
    hour for an hourly one, ``manual-<time>`` for "run now". The unique
    (name, slot) is the claim: of several workers the one whose row goes in
    runs it, the others skip."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        UniqueConstraint("name", "slot", name="uq_schedule_runs_name_slot"),
        Index("ix_schedule_runs_name_id", "name", "id"),
        Index("ix_schedule_runs_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(48))
    slot: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict | None] = mapped_column(JSON)
    summary: Mapped[str | None] = mapped_column(String(400))
    error: Mapped[str | None] = mapped_column(Text)
