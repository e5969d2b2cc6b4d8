from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime


class TaskState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PortalTask(Base):
    """One long operation of the portal (an import's check or run): who started
    it, how far it is, and how it ended. The process running it refreshes
    ``heartbeat_at`` every few seconds, so a row still ``running`` whose
    heartbeat has stopped belongs to a process that died. The row is its own
    history (no state-history row): the work it runs writes its own."""

    __tablename__ = "portal_tasks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the url-safe token in the progress page's URL
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(Text)  # "import of customers.csv"
    state: Mapped[str] = mapped_column(String(12))
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)  # JSON: {"code", "message"}
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    runner: Mapped[str] = mapped_column(String(120))  # the process running it: "host:pid"
