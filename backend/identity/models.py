from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, Base, UTCDateTime, utcnow


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    TECHNICIAN = "technician"
    MANAGER = "manager"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    max_chats: Mapped[int] = mapped_column(default=3)
    # What an hour of this user's (a technician's) time costs: the job-wise P&L's labour cost.
    cost_rate_per_hour: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("250.00"), server_default="250.00")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A user made by an admin (or the demo) is vouched for: verified when made. A self sign-up is
    # made with None and cannot log in until the link mailed to the address is opened.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The last password reset: sessions issued before it are refused (backend/web/session.py).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
