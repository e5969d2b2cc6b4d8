from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow


class IdempotencyKey(Base):
    """One keyed call that did its work: who (scope), what (operation), the
    client's key, a fingerprint of the arguments and the reference of what it
    made. Written in the same transaction as the work, so the key exists
    exactly when the work was done; the unique constraint lets only one of two
    concurrent calls with the same key commit."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "operation", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))  # "user:12"; keys of different users never meet
    operation: Mapped[str] = mapped_column(String(60))  # e.g. "jobs.add_parts_used"
    key: Mapped[str] = mapped_column(String(120))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised arguments
    result_ref: Mapped[str | None] = mapped_column(String(40))  # JB-000045, EC-000003, an id...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
