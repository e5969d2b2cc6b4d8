from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, Base, UTCDateTime, utcnow


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


class VoucherKind(StrEnum):
    SALES = "sales"
    RECEIPT = "receipt"
    ADVANCE = "advance"
    EXPENSE = "expense"
    PAYMENT = "payment"
    CONTRACT_INVOICE = "contract_invoice"
    JOURNAL = "journal"
    CREDIT_NOTE = "credit_note"
    REFUND = "refund"


class PartyType(StrEnum):
    CUSTOMER = "customer"
    TECHNICIAN = "technician"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(12))


class Voucher(Base):
    __tablename__ = "vouchers"
    __table_args__ = (Index("ix_vouchers_source", "source_type", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    on: Mapped[date] = mapped_column(Date, index=True)
    narration: Mapped[str] = mapped_column(String(240))
    source_type: Mapped[str | None] = mapped_column(String(16))
    source_id: Mapped[int | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="non_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="one_side"),
        Index("ix_ledger_entries_party", "party_type", "party_id"),
        # outstanding: an invoice's entries up to a day, by index only (invoices that moved after the day asked about)
        Index("ix_ledger_entries_invoice", "invoice_id", "on", "debit", "credit", "party_id"),
        # outstanding: customer entries tied to no invoice (none are posted today; an index keeps the check free)
        Index("ix_ledger_entries_untied", "party_id",
              postgresql_where=text("invoice_id IS NULL AND party_type = 'customer'"),
              sqlite_where=text("invoice_id IS NULL AND party_type = 'customer'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    party_type: Mapped[str | None] = mapped_column(String(12))
    party_id: Mapped[int | None]
    on: Mapped[date] = mapped_column(Date)
    debit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    # the invoice whose debt this entry raises (sales voucher) or settles (receipt voucher); set on
    # receivable (1100) customer entries only, by ``backend.ledger.posting``
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))


class InvoiceBalance(Base):
    """Per invoice, the sum of its receivable entries (debit - credit) and the
    day of its latest entry, kept by ``backend.ledger.posting`` in the same
    transaction as the entries, with the invoice's customer and due date
    (copied when it is issued; neither changes afterwards). Outstanding on a
    day on or after ``last_on`` is ``balance``; for an invoice with entries
    after the day, it is summed from the entries."""

    __tablename__ = "invoice_balances"
    __table_args__ = (
        # outstanding: the open invoices, ageing data included, by index only
        Index("ix_invoice_balances_open", "customer_id", "due_on", "balance", "last_on",
              postgresql_where=text("balance <> 0"), sqlite_where=text("balance <> 0")),
    )

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    due_on: Mapped[date] = mapped_column(Date)
    balance: Mapped[Decimal] = mapped_column(MONEY)
    last_on: Mapped[date] = mapped_column(Date, index=True)


class InvoiceDuePart(Base):
    """When an invoice's money falls due, when it is not due whole on its due
    date: a contract invoice split into instalments has one row per
    instalment (written by billing in the same transaction as the split).
    Only the dates and shares are kept; what is still owed comes from the
    ledger (``InvoiceBalance``), paying the oldest part first
    (``backend.ledger.dues``)."""

    __tablename__ = "invoice_due_parts"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
