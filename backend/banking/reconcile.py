"""Matching bank statement lines with the books.

A credit line of a statement is matched with one of the *open items*, each
matched at most once (unique columns on ``statement_lines``):

- a customer's UPI payment report still waiting (``payment_reports``,
  state ``reported``): its UTR;
- a receipt posted to the bank account (methods bank, upi, card, cheque)
  that no line holds yet: its reference (UTR, cheque number, the gateway's
  payment id), its number (``RC-…``) and the UPI transaction reference its
  invoice's QR carried (``INV-000012-1`` for the invoice's first payment:
  ``backend.billing.upi``);
- a bank deposit of collected cash that no line holds: its deposit slip
  reference and number.

``plan`` decides, in two passes over the lines (oldest first):

1. **exact**: the amount is the same and one of the item's references
   appears in the line's reference or narration (as a whole word) — exactly
   one such item → ``matched``;
2. **amount and date**: the amount is the same and the item's date lies
   within ``WINDOW`` (3 days) of the line's — exactly one such item among
   those not taken → ``proposed``, for an agent to confirm or fix.

Anything else stays ``unmatched``. Debits are ``outgoing`` and not matched.
The moves of a line (``LINE_MOVES``) go through ``backend.history.moves``;
what matching a waiting UPI report does (confirming it into a receipt) is
the processes layer's (``backend.processes.reconciliation``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.banking.models import (
    BankStatement,
    Deposit,
    PaymentReport,
    PaymentReportState,
    StatementLine,
    StatementLineState as L,
)
from backend.billing import service as billing
from backend.billing.models import Invoice, Receipt
from backend.customers.models import Customer
from backend.db import utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move
from backend.identity.actor import Actor
from backend.ledger import chart
from backend.lifecycle import Lifecycle

WINDOW = timedelta(days=3)
MIN_KEY = 4  # shorter references would match by accident
BANK_METHODS = tuple(sorted(m for m, account in billing.METHODS.items() if account == chart.BANK))
KINDS = ("report", "receipt", "deposit")

LINE_MOVES = Lifecycle("statement line", {
    L.UNMATCHED: {L.PROPOSED, L.MATCHED},
    L.PROPOSED: {L.MATCHED, L.UNMATCHED},
    L.MATCHED: {L.UNMATCHED},
})


@dataclass(frozen=True)
class OpenItem:
    """Something in the books (or reported) that a bank line may be."""

    kind: str  # report | receipt | deposit
    id: int
    amount: Decimal
    on: date
    label: str
    keys: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def _words(keys) -> tuple[str, ...]:
    return tuple(sorted({k.strip().upper() for k in keys if k and len(k.strip()) >= MIN_KEY}))


def open_items(s: Session, *, since: date | None = None) -> list[OpenItem]:
    """Every item no statement line holds: waiting UPI reports, bank receipts, deposits."""
    held_receipts = select(StatementLine.receipt_id).where(StatementLine.receipt_id.is_not(None))
    held_deposits = select(StatementLine.deposit_id).where(StatementLine.deposit_id.is_not(None))
    held_reports = select(StatementLine.payment_report_id).where(StatementLine.payment_report_id.is_not(None))
    items: list[OpenItem] = []

    q = (select(PaymentReport, Invoice.number, Customer.name).join(Invoice, Invoice.id == PaymentReport.invoice_id)
         .join(Customer, Customer.id == PaymentReport.customer_id)
         .where(PaymentReport.state == PaymentReportState.REPORTED, PaymentReport.id.not_in(held_reports)))
    for r, number, name in s.execute(q.order_by(PaymentReport.id)):
        items.append(OpenItem("report", r.id, r.amount, r.paid_on,
                              f"UPI report {r.id}: UTR {r.utr} on {number} ({name})", _words([r.utr])))

    q = (select(Receipt, Invoice.number, Customer.name).join(Invoice, Invoice.id == Receipt.invoice_id)
         .join(Customer, Customer.id == Receipt.customer_id)
         .where(Receipt.method.in_(BANK_METHODS), Receipt.id.not_in(held_receipts)))
    if since is not None:
        q = q.where(Receipt.received_on >= since)
    rows = s.execute(q.order_by(Receipt.id)).all()
    ordinal = _receipt_ordinals(s, {r.invoice_id for r, _, _ in rows})
    for r, number, name in rows:
        upi_tr = f"{number}-{ordinal.get(r.id, 1)}"
        items.append(OpenItem("receipt", r.id, r.amount, r.received_on,
                              f"{r.number} on {number} ({name}), {r.method}"
                              + (f" ref {r.reference}" if r.reference else ""),
                              _words([r.reference, r.number, upi_tr])))

    q = select(Deposit).where(Deposit.id.not_in(held_deposits))
    if since is not None:
        q = q.where(Deposit.deposited_on >= since)
    for d in s.scalars(q.order_by(Deposit.id)):
        items.append(OpenItem("deposit", d.id, d.amount, d.deposited_on,
                              f"deposit {d.number or d.id}, slip {d.slip_reference}",
                              _words([d.slip_reference, d.number])))
    return items


def _receipt_ordinals(s: Session, invoice_ids: set[int]) -> dict[int, int]:
    """Each receipt's place among its invoice's receipts (1 for the first):
    the ``n`` of the UPI transaction reference ``INV-…-n`` it was paid with."""
    out: dict[int, int] = {}
    ids = sorted(invoice_ids)
    for i in range(0, len(ids), 500):
        count: dict[int, int] = defaultdict(int)
        for rid, inv in s.execute(select(Receipt.id, Receipt.invoice_id).where(Receipt.invoice_id.in_(ids[i:i + 500]))
                                  .order_by(Receipt.invoice_id, Receipt.id)):
            count[inv] += 1
            out[rid] = count[inv]
    return out


def _text(line: StatementLine) -> str:
    return f" {(line.reference or '').upper()} {(line.narration or '').upper()} "


def mentions(line: StatementLine, item: OpenItem) -> bool:
    text = _text(line)
    return any(re.search(rf"(?<![A-Z0-9]){re.escape(k)}(?![A-Z0-9])", text) for k in item.keys)


@dataclass(frozen=True)
class Decision:
    line_id: int
    item: OpenItem
    rule: str  # exact | amount_date
    state: str  # matched | proposed


def plan(lines: list[StatementLine], items: list[OpenItem], *, window: timedelta = WINDOW) -> list[Decision]:
    """What to match (see the module's docstring); pure, for lines not yet matched."""
    credits = sorted((ln for ln in lines if ln.state == L.UNMATCHED and ln.amount > 0),
                     key=lambda ln: (ln.posted_on, ln.id))
    by_amount: dict[Decimal, list[OpenItem]] = defaultdict(list)
    for item in items:
        by_amount[item.amount].append(item)
    taken: set[str] = set()
    out: list[Decision] = []
    decided: set[int] = set()
    for ln in credits:
        exact = [i for i in by_amount.get(ln.amount, []) if i.key not in taken and mentions(ln, i)]
        if len(exact) == 1:
            taken.add(exact[0].key)
            decided.add(ln.id)
            out.append(Decision(ln.id, exact[0], "exact", L.MATCHED))
    for ln in credits:
        if ln.id in decided:
            continue
        near = [i for i in by_amount.get(ln.amount, [])
                if i.key not in taken and abs((i.on - ln.posted_on).days) <= window.days]
        if len(near) == 1:
            taken.add(near[0].key)
            out.append(Decision(ln.id, near[0], "amount_date", L.PROPOSED))
    return out


# --- one line's match, in the caller's transaction ------------------------------------------------

def load_line(s: Session, line_id: int, *, lock: bool = False) -> StatementLine:
    q = select(StatementLine).where(StatementLine.id == line_id)
    line = s.scalar(q.with_for_update() if lock else q)
    if line is None:
        raise not_found("statement line", line_id)
    return line


def parse_item_key(value) -> tuple[str, int]:
    """``receipt:12``, ``deposit:3``, ``report:7``."""
    kind, _, ident = (value if isinstance(value, str) else "").partition(":")
    if kind not in KINDS or not ident.isdigit() or not 0 < int(ident) < 2**31:
        raise invalid("choose what the line is: receipt:<id>, deposit:<id> or report:<id>", field="item")
    return kind, int(ident)


def find_open_item(s: Session, kind: str, ident: int) -> OpenItem:
    found = next((i for i in open_items(s) if i.kind == kind and i.id == ident), None)
    if found is None:
        raise DomainError(ErrorCode.CONFLICT, f"{kind} {ident} is not open for matching (unknown, already matched, "
                          "or a report already decided)", field="item")
    return found


def link(s: Session, actor: Actor, line: StatementLine, item: OpenItem, *, rule: str, target: str,
         receipt_id: int | None = None) -> None:
    """Hold ``item`` on ``line`` and move the line to ``target`` (matched or proposed)."""
    if item.amount != line.amount:
        raise invalid(f"the line is {line.amount} and {item.label} is {item.amount}; only equal amounts match",
                      field="item")
    LINE_MOVES.check(line.state, target)
    line.receipt_id = receipt_id if receipt_id is not None else (item.id if item.kind == "receipt" else None)
    line.deposit_id = item.id if item.kind == "deposit" else None
    line.payment_report_id = item.id if item.kind == "report" else None
    line.rule, line.matched_by, line.matched_at = rule, actor.user_id, utcnow()
    s.flush()  # the unique columns refuse an item held by another line here, before the move
    move(s, LINE_MOVES, line, target, actor, entity_type="statement_line", note=f"{rule}: {item.label}"[:500])


def release(line: StatementLine) -> None:
    """Let go of what the line holds (the caller moves it)."""
    line.receipt_id = line.deposit_id = line.payment_report_id = None
    line.rule = line.matched_by = line.matched_at = None


def unlink(s: Session, actor: Actor, line: StatementLine, *, note: str | None = None) -> None:
    LINE_MOVES.check(line.state, L.UNMATCHED)
    release(line)
    move(s, LINE_MOVES, line, L.UNMATCHED, actor, entity_type="statement_line", note=note)


# --- what the page and the report show ------------------------------------------------------------

@dataclass(frozen=True)
class Held:
    kind: str
    id: int
    label: str
    amount: Decimal
    on: date


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


@dataclass(frozen=True)
class LineView:
    id: int
    statement_id: int
    posted_on: date
    amount: Decimal
    reference: str | None
    narration: str | None
    state: str
    rule: str | None
    held: list[Held]
    choices: list[Choice]  # open items of the same amount, nearest date first (to fix a match)


@dataclass(frozen=True)
class BookItem:
    kind: str
    id: int
    label: str
    amount: Decimal
    on: date
    days_open: int


def held_items(s: Session, line: StatementLine) -> list[Held]:
    out: list[Held] = []
    if line.payment_report_id:
        r = s.get(PaymentReport, line.payment_report_id)
        out.append(Held("report", r.id, f"UPI report {r.id}: UTR {r.utr} ({r.state})", r.amount, r.paid_on))
    if line.receipt_id:
        r = s.get(Receipt, line.receipt_id)
        inv = s.get(Invoice, r.invoice_id)
        out.append(Held("receipt", r.id, f"{r.number} on {inv.number}, {r.method}"
                        + (f" ref {r.reference}" if r.reference else ""), r.amount, r.received_on))
    if line.deposit_id:
        d = s.get(Deposit, line.deposit_id)
        out.append(Held("deposit", d.id, f"deposit {d.number or d.id}, slip {d.slip_reference}", d.amount,
                        d.deposited_on))
    return out


def line_view(s: Session, line: StatementLine, items: list[OpenItem] | None = None) -> LineView:
    choices: list[Choice] = []
    if items is not None and line.state in (L.UNMATCHED, L.PROPOSED):
        same = sorted((i for i in items if i.amount == line.amount),
                      key=lambda i: (not mentions(line, i), abs((i.on - line.posted_on).days), i.key))
        choices = [Choice(i.key, f"{i.label} — {i.amount} on {i.on.isoformat()}") for i in same[:25]]
    return LineView(line.id, line.statement_id, line.posted_on, line.amount, line.reference, line.narration,
                    line.state, line.rule, held_items(s, line), choices)


def books_since(s: Session, default_days: int = 60) -> date:
    """From when bank-side items are expected on a statement: the first statement's first day (less the window)."""
    first = s.scalar(select(BankStatement.first_on).where(BankStatement.first_on.is_not(None))
                     .order_by(BankStatement.first_on).limit(1))
    return (first - WINDOW) if first else date.today() - timedelta(days=default_days)


def unmatched_books(s: Session, *, since: date, until: date | None = None, today: date | None = None) -> list[BookItem]:
    """Bank-side receipts and deposits no statement line holds (reports are not in the books)."""
    today = today or date.today()
    return [BookItem(i.kind, i.id, i.label, i.amount, i.on, (today - i.on).days)
            for i in open_items(s, since=since) if i.kind != "report" and (until is None or i.on <= until)]
