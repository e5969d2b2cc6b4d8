from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, synonym

from backend.db import Base, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # CU-000012 for a customer created through backend/customers/service.py (the prefix and the id, as the
    # other references); records loaded before that keep the code they came with (the demo's C-0001).
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10), default="person", server_default="person")  # person, business
    # Lower-cased by the use cases; with the mobile, what the duplicate check compares.
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    # The customer's mobile in E.164 (+919820011111, backend/customers/phones.py), which notices and the
    # delivery channels (SMS, WhatsApp) use; ``mobile`` is the same column.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    mobile = synonym("phone")
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the notices they receive: en, hi
    # GST registration (backend/customers/gstin.py checks both): the GSTIN of a registered business, None
    # for a consumer; the two-digit GST state code of the address on record (a GSTIN's own state when
    # registered). Together they decide an invoice's place of supply.
    gstin: Mapped[str | None] = mapped_column(String(15))
    state_code: Mapped[str | None] = mapped_column(String(2))
    # A deactivated customer keeps their records; their mobile and e-mail are free for someone else.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    deactivated_reason: Mapped[str | None] = mapped_column(String(200))
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(400))
    city: Mapped[str | None] = mapped_column(String(80))
    pin_code: Mapped[str | None] = mapped_column(String(6))  # Indian PIN code: six digits, the first 1-9
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # the contact's mobile, E.164
    mobile = synonym("phone")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
