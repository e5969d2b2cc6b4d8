"""Posting balanced vouchers. Every money move in the system comes through here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from backend.db import money
from backend.errors import DomainError, ErrorCode, invalid
from backend.identity.actor import Actor
from backend.ledger.chart import RECEIVABLE
from backend.ledger.models import (
    Account,
    InvoiceBalance,
    LedgerEntry,
    Voucher,
    VoucherKind,
)
from backend.references import assign_number

ZERO = Decimal("0.00")


class Receivable(Protocol):
    """The invoice a voucher raises or settles, as the ledger needs it (billing's
    ``Invoice`` row is one): the ledger keeps its balance without knowing billing."""

    id: int
    customer_id: int
    due_on: date


@dataclass(frozen=True)
class Line:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    party_type: str | None = None
    party_id: int | None = None
    invoice_id: int | None = None  # receivable lines: the invoice this line raises or settles


def post_voucher(
    s: Session,
    *,
    kind: VoucherKind,
    on: date,
    narration: str,
    lines: list[Line],
    actor: Actor,
    source_type: str | None = None,
    source_id: int | None = None,
    invoice: Receivable | None = None,
) -> Voucher:
    """Post balanced lines. ``invoice``: the invoice this voucher raises (a sales
    or contract invoice) or settles (a receipt); its customer's receivable
    lines are tied to it and its balance row moves with them."""
    lines = [Line(l.account, money(l.debit), money(l.credit), l.party_type, l.party_id, l.invoice_id) for l in lines]
    lines = [l for l in lines if l.debit or l.credit]
    debit = sum((l.debit for l in lines), ZERO)
    credit = sum((l.credit for l in lines), ZERO)
    if len(lines) < 2 or debit != credit or debit <= 0 or any(l.debit < 0 or l.credit < 0 for l in lines):
        raise DomainError(ErrorCode.UNBALANCED, "a voucher needs balanced, positive debit and credit lines",
                          debit=str(debit), credit=str(credit))
    if any(l.invoice_id is not None and not _receivable(l) for l in lines):
        raise invalid("only a customer's receivable line is tied to an invoice", field="invoice_id")
    source_invoice = invoice.id if invoice is not None else None
    if any(l.invoice_id is not None and l.invoice_id != source_invoice for l in lines):
        raise invalid("a receivable line is tied to another invoice than the voucher's source", field="invoice_id")
    lines = [replace(l, invoice_id=source_invoice) if _receivable(l) else l for l in lines]
    tied = [l for l in lines if l.invoice_id is not None]
    if tied and any(l.party_id != invoice.customer_id for l in tied):
        raise invalid("a receivable line is for the customer of the voucher's invoice", field="party_id")
    accounts = {a.code: a.id for a in s.scalars(select(Account).where(Account.code.in_({l.account for l in lines})))}
    voucher = Voucher(kind=str(kind), on=on, narration=narration[:240], source_type=source_type,
                      source_id=source_id, created_by=actor.user_id)
    s.add(voucher)
    assign_number(s, voucher, "VO")
    for l in lines:
        if l.account not in accounts:
            raise DomainError(ErrorCode.NOT_FOUND, f"account {l.account} is not in the chart")
        s.add(LedgerEntry(voucher_id=voucher.id, account_id=accounts[l.account], party_type=l.party_type,
                          party_id=l.party_id, on=on, debit=l.debit, credit=l.credit, invoice_id=l.invoice_id))
    if tied:
        _move_balance(s, invoice, sum((l.debit - l.credit for l in tied), ZERO), on)
    return voucher


def _receivable(line: Line) -> bool:
    return line.account == RECEIVABLE and line.party_type == "customer"


def _move_balance(s: Session, invoice: Receivable, delta: Decimal, on: date) -> None:
    """Keep the invoice's balance row: one atomic UPDATE (the row lock orders
    concurrent postings), or the first row when the invoice is issued."""
    done = s.execute(
        update(InvoiceBalance).where(InvoiceBalance.invoice_id == invoice.id)
        .values(balance=func.round(InvoiceBalance.balance + delta, 2),
                last_on=case((InvoiceBalance.last_on < on, on), else_=InvoiceBalance.last_on))
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 0:
        s.add(InvoiceBalance(invoice_id=invoice.id, customer_id=invoice.customer_id, due_on=invoice.due_on,
                             balance=delta, last_on=on))
