from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, QTY, Base, UTCDateTime, utcnow


class OrderState(StrEnum):
    NEW = "new"
    INVOICED = "invoiced"
    PLANNED = "planned"
    DONE = "done"
    PAID = "paid"
    CANCELLED = "cancelled"


class ServiceOrder(Base):
    """Process D: a one-time service order, invoiced up front, delivered as a job."""

    __tablename__ = "service_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=OrderState.NEW, index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    # Its job points here (jobs.order_id).
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderLine(Base):
    __tablename__ = "service_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # labour | part
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY)
