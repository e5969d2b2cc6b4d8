"""Unreconciled items: what the bank and the books do not yet agree on.

Over the range (by the item's own date):

- **bank**: statement credits with nothing in the books (``unmatched``) or
  matched by amount and date only and not yet confirmed (``proposed``);
- **books**: receipts posted to the bank account (bank, UPI, card, cheque)
  and deposits of collected cash that no statement line holds ("not on a
  statement": in transit, or missing at the bank);
- **reported**: customers' UPI payment reports still waiting for a bank line
  or an agent (nothing posted for them yet).

Each row says how many days it has been open (to the end of the range, or
today). Staff only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from backend.banking import reconcile as rec
from backend.banking.models import PaymentReport, PaymentReportState, StatementLine, StatementLineState
from backend.billing.models import Invoice
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.reports.common import OPERATIONS, ZERO, begin, row_limit

SIDES = ("bank", "books", "reported")


@dataclass(frozen=True)
class UnreconciledRow:
    side: str  # bank | books | reported
    kind: str  # statement_line | receipt | deposit | payment_report
    id: int
    on: date
    amount: Decimal
    state: str  # unmatched | proposed | not on a statement | reported
    detail: str
    days_open: int


@dataclass(frozen=True)
class Unreconciled:
    start: date
    end: date
    bank_count: int
    bank_total: Decimal
    books_count: int
    books_total: Decimal
    reported_count: int
    reported_total: Decimal
    rows: list[UnreconciledRow]
    truncated: bool


def unreconciled(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                 limit: int | None = None, **unknown: Any) -> Unreconciled:
    """Statement lines not reconciled, bank-side receipts and deposits on no
    statement, and UPI payment reports still waiting, in the range."""
    p = begin(actor, OPERATIONS, start, end, unknown)
    limit = row_limit(limit)
    today = min(date.today(), p.end)
    rows: list[UnreconciledRow] = []
    with uow() as s:
        for line in s.scalars(select(StatementLine).where(
                StatementLine.state.in_((StatementLineState.UNMATCHED, StatementLineState.PROPOSED)),
                StatementLine.posted_on >= p.start, StatementLine.posted_on <= p.end)
                .order_by(StatementLine.posted_on, StatementLine.id)):
            text = " · ".join(t for t in (line.reference, line.narration) if t)
            held = rec.held_items(s, line)
            if held:
                text += f" — proposed: {held[0].label}"
            rows.append(UnreconciledRow("bank", "statement_line", line.id, line.posted_on, line.amount, line.state,
                                        text[:300], (today - line.posted_on).days))
        for item in rec.unmatched_books(s, since=p.start, until=p.end, today=today):
            rows.append(UnreconciledRow("books", item.kind, item.id, item.on, item.amount, "not on a statement",
                                        item.label, item.days_open))
        for r, number in s.execute(
                select(PaymentReport, Invoice.number).join(Invoice, Invoice.id == PaymentReport.invoice_id)
                .where(PaymentReport.state == PaymentReportState.REPORTED, PaymentReport.paid_on >= p.start,
                       PaymentReport.paid_on <= p.end).order_by(PaymentReport.paid_on, PaymentReport.id)):
            rows.append(UnreconciledRow("reported", "payment_report", r.id, r.paid_on, r.amount, r.state,
                                        f"UTR {r.utr} on {number}", (today - r.paid_on).days))

    def total(side: str) -> tuple[int, Decimal]:
        mine = [r.amount for r in rows if r.side == side]
        return len(mine), sum(mine, ZERO)

    (bn, bt), (kn, kt), (rn, rt) = total("bank"), total("books"), total("reported")
    rows.sort(key=lambda r: (SIDES.index(r.side), r.on, r.id))
    return Unreconciled(p.start, p.end, bn, bt, kn, kt, rn, rt, rows[:limit], len(rows) > limit)
