"""The tables of cash and bank: collections and deposits (``cash``), payment
reports and bank statements (``statements``, ``reconcile``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, Base, UTCDateTime, utcnow


class Collection(Base):
    """Money a technician took at the door against a job's invoice: the
    customer's receipt it issued and, for cash, the deposit that took it to
    the bank. The money itself is in the ledger: cash on 1020 "Cash with
    technicians" (party: the technician) until deposited, UPI on the bank
    account. Written by ``backend.banking.cash``; numbered CL-…."""

    __tablename__ = "collections"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("method IN ('cash', 'upi')", name="method_known"),
        # only cash goes to the bank by a deposit; UPI went to the company's VPA at once
        CheckConstraint("deposit_id IS NULL OR method = 'cash'", name="only_cash_deposited"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), unique=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    method: Mapped[str] = mapped_column(String(12))  # cash | upi
    amount: Mapped[Decimal] = mapped_column(MONEY)
    collected_on: Mapped[date] = mapped_column(Date)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposits.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deposit(Base):
    """Cash paid into the bank (one or more collections), with the bank's
    deposit slip reference: a journal voucher from the technicians' cash in
    hand to the bank account. A bank statement line matches it by the slip
    reference and the amount. Numbered DP-…; a retry with the same
    idempotency key is answered from ``idempotency_keys``."""

    __tablename__ = "deposits"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    slip_reference: Mapped[str] = mapped_column(String(80), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    deposited_on: Mapped[date] = mapped_column(Date, index=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- payment reports and bank statements (``payment_reports``, ``statements``, ``reconcile``) ---------

from enum import StrEnum  # noqa: E402

from sqlalchemy import Integer  # noqa: E402


class PaymentReportState(StrEnum):
    REPORTED = "reported"  # the customer says they paid; nothing is posted yet
    CONFIRMED = "confirmed"  # an agent, or a bank statement line, confirmed it: a receipt was posted
    REJECTED = "rejected"  # an agent found no such payment; the customer was told why


class PaymentReport(Base):
    """A customer's word, from the invoice's payment page, that they paid it by
    UPI: the UPI transaction reference (UTR, 12 digits) and the amount. Nothing
    is posted until it is confirmed (by an agent, or by a bank statement line
    carrying the same UTR and amount), which records the receipt (``receipt_id``).
    A UTR names one bank transaction, so it is reported once (unique)."""

    __tablename__ = "payment_reports"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    utr: Mapped[str] = mapped_column(String(12), unique=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=PaymentReportState.REPORTED, index=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(400))  # why it was rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankFormat(Base):
    """How one bank's CSV export reads: which column holds the date (and its
    ``strptime`` format), the amount (one signed column, credits positive, or a
    credit and a debit column), the reference and the narration; the
    delimiter and how many lines come before the header row."""

    __tablename__ = "bank_formats"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    delimiter: Mapped[str] = mapped_column(String(1), default=",")
    skip_rows: Mapped[int] = mapped_column(Integer, default=0)
    date_column: Mapped[str] = mapped_column(String(60))
    date_format: Mapped[str] = mapped_column(String(30))
    amount_column: Mapped[str | None] = mapped_column(String(60))
    credit_column: Mapped[str | None] = mapped_column(String(60))
    debit_column: Mapped[str | None] = mapped_column(String(60))
    reference_column: Mapped[str | None] = mapped_column(String(60))
    narration_column: Mapped[str | None] = mapped_column(String(60))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankStatement(Base):
    """One imported statement file (CSV through a saved format, or OFX). The
    file's hash is unique: the same file imported again is the same statement."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(8))  # csv | ofx
    format_id: Mapped[int | None] = mapped_column(ForeignKey("bank_formats.id"))
    filename: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    account: Mapped[str | None] = mapped_column(String(40))
    first_on: Mapped[date | None] = mapped_column(Date)
    last_on: Mapped[date | None] = mapped_column(Date)
    lines_read: Mapped[int] = mapped_column(Integer, default=0)
    lines_new: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementLineState(StrEnum):
    UNMATCHED = "unmatched"  # a credit with nothing in the books found for it (yet)
    PROPOSED = "proposed"  # matched by amount and date only: an agent confirms or fixes it
    MATCHED = "matched"  # reconciled with a receipt, a deposit or a confirmed UPI report
    OUTGOING = "outgoing"  # a debit: money out, not matched against receipts


class StatementLine(Base):
    """One transaction of a bank statement (amount signed: credits positive)
    and what it was reconciled with. The fingerprint (the bank's transaction id
    for OFX; date, amount, reference, narration and its repeat number in the
    file for CSV) is unique, so a line imported again is not added twice; the
    unique receipt, deposit and report columns let each be matched once."""

    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    posted_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    reference: Mapped[str | None] = mapped_column(String(80))
    narration: Mapped[str | None] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(12), index=True)
    rule: Mapped[str | None] = mapped_column(String(12))  # exact | amount_date | manual
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), unique=True)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposits.id"), unique=True)
    payment_report_id: Mapped[int | None] = mapped_column(ForeignKey("payment_reports.id"), unique=True)
    matched_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
