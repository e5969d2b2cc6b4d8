from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, QTY, Base, UTCDateTime, utcnow


GST_RATE = Numeric(6, 3)  # a half rate has three places: 0.25 % splits into 0.125 % + 0.125 %


class InvoiceState(StrEnum):
    OPEN = "open"
    PAID = "paid"  # nothing left to pay
    CANCELLED = "cancelled"  # unpaid, and wholly credited


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_source", "source_type", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int]
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    due_on: Mapped[date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    state: Mapped[str] = mapped_column(String(12), default=InvoiceState.OPEN, index=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # GST (backend/billing/gst.py), fixed when the invoice is issued; all None/0 on invoices issued before
    # tax invoices (their tax went undivided to account 2100). ``tax`` = cgst + sgst + igst, each the sum
    # of its lines.
    place_of_supply: Mapped[str | None] = mapped_column(String(2))  # GST state code
    supplier_gstin: Mapped[str | None] = mapped_column(String(15))
    customer_gstin: Mapped[str | None] = mapped_column(String(15))  # None: an unregistered customer (B2C)
    cgst: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    sgst: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    igst: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # labour | part | contract | other
    description: Mapped[str] = mapped_column(String(200))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)  # the taxable value
    tax: Mapped[Decimal] = mapped_column(MONEY)  # cgst + sgst + igst on GST invoices
    # GST: the HSN (goods) or SAC (services) code, and the split of ``tax_rate``: CGST + SGST at half the
    # rate each within the supplier's state, else IGST at the whole rate; each amount rounded to the paisa.
    hsn_sac: Mapped[str | None] = mapped_column(String(8))
    cgst_rate: Mapped[Decimal] = mapped_column(GST_RATE, default=Decimal(0), server_default="0")
    cgst: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    sgst_rate: Mapped[Decimal] = mapped_column(GST_RATE, default=Decimal(0), server_default="0")
    sgst: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    igst_rate: Mapped[Decimal] = mapped_column(GST_RATE, default=Decimal(0), server_default="0")
    igst: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    method: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str | None] = mapped_column(String(80))
    received_on: Mapped[date] = mapped_column(Date)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CollectionFollowUp(Base):
    __tablename__ = "collection_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    by_user: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduled collection run
    note: Mapped[str] = mapped_column(Text)
    next_on: Mapped[date | None] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditNote(Base):
    """A correction of an issued invoice (full or partial, with its reason):
    a voucher reversing the invoice's revenue and tax in proportion, and
    crediting the customer's receivable on that invoice. The invoice itself
    is never edited (a tax invoice, once issued, is corrected by a note)."""

    __tablename__ = "credit_notes"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)  # with tax, as the invoice's total is
    taxable: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(String(400))
    cancels: Mapped[bool] = mapped_column(default=False)  # the whole invoice, which moved to cancelled
    issued_on: Mapped[date] = mapped_column(Date)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    """Money paid back to a customer who paid more than an invoice now asks
    (after a credit note): a payment voucher out of cash or bank, debiting the
    customer's receivable on that invoice back to nil."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    method: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str | None] = mapped_column(String(80))
    paid_on: Mapped[date] = mapped_column(Date)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
