"""Read side of the ledger: statements, outstanding with ageing, trial balance.
Every figure is summed from ledger entries; nothing is kept by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select

from backend.billing.models import Invoice, Receipt
from backend.db import UnitOfWork, money
from backend.errors import invalid
from backend.identity.actor import STAFF, Actor, require_customer_access, require_role
from backend.identity.models import Role
from backend.ledger.chart import PARTY_ACCOUNT, RECEIVABLE
from backend.ledger.models import Account, LedgerEntry, Voucher

ZERO = Decimal("0.00")
BUCKETS = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


@dataclass(frozen=True)
class StatementLine:
    on: date
    voucher: str
    kind: str
    narration: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    party_type: str
    party_id: int
    start: date | None
    end: date | None
    opening: Decimal
    lines: list[StatementLine]
    closing: Decimal
    total_debit: Decimal
    total_credit: Decimal


@dataclass(frozen=True)
class Ageing:
    party_type: str
    party_id: int
    total: Decimal
    buckets: dict[str, Decimal] = field(default_factory=dict)


def _check_party(actor: Actor, party_type: str, party_id: int) -> None:
    if party_type not in PARTY_ACCOUNT:
        raise invalid(f"unknown party type '{party_type}'", field="party_type")
    if party_type == "customer":
        require_customer_access(actor, party_id)
    elif not (actor.is_staff or (actor.role == Role.TECHNICIAN and actor.user_id == party_id)):
        require_role(actor, *STAFF)


def party_statement(
    uow: UnitOfWork, actor: Actor, *, party_type: str, party_id: int,
    start: date | None = None, end: date | None = None,
) -> Statement:
    _check_party(actor, party_type, party_id)
    if start and end and start > end:
        raise invalid("the start date is after the end date", field="start")
    signed = LedgerEntry.debit - LedgerEntry.credit
    with uow() as s:
        base = (
            select(LedgerEntry, Voucher)
            .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(Account.code == PARTY_ACCOUNT[party_type], LedgerEntry.party_type == party_type,
                   LedgerEntry.party_id == party_id)
        )
        opening = ZERO
        if start:
            opening = s.scalar(
                select(func.coalesce(func.sum(signed), 0))
                .join(Account, Account.id == LedgerEntry.account_id)
                .where(Account.code == PARTY_ACCOUNT[party_type], LedgerEntry.party_type == party_type,
                       LedgerEntry.party_id == party_id, LedgerEntry.on < start)
            )
            base = base.where(LedgerEntry.on >= start)
        if end:
            base = base.where(LedgerEntry.on <= end)
        balance = money(opening)
        lines, td, tc = [], ZERO, ZERO
        for entry, voucher in s.execute(base.order_by(LedgerEntry.on, LedgerEntry.id)):
            balance += entry.debit - entry.credit
            td += entry.debit
            tc += entry.credit
            lines.append(StatementLine(entry.on, voucher.number, voucher.kind, voucher.narration,
                                       money(entry.debit), money(entry.credit), money(balance)))
        return Statement(party_type, party_id, start, end, money(opening), lines, money(balance), money(td), money(tc))


def outstanding(
    uow: UnitOfWork, actor: Actor, *, party_type: str = "customer", as_of: date | None = None,
    party_id: int | None = None,
) -> list[Ageing]:
    """What each customer owes, split into ageing buckets by invoice due date.

    Each receivable entry is tied to its invoice (sales voucher → invoice,
    receipt voucher → receipt → invoice), so ageing comes from the ledger too.
    """
    if party_type != "customer":
        raise invalid("ageing is kept for customers", field="party_type")
    if party_id is not None:
        require_customer_access(actor, party_id)
    elif not actor.is_staff:
        require_role(actor, *STAFF)
    as_of = as_of or date.today()
    invoice_of_entry = case(
        (Voucher.source_type == "invoice", Voucher.source_id),
        (Voucher.source_type == "receipt", select(Receipt.invoice_id).where(Receipt.id == Voucher.source_id).scalar_subquery()),
        else_=literal(None),
    )
    with uow() as s:
        per_invoice = (
            select(
                LedgerEntry.party_id.label("party_id"),
                invoice_of_entry.label("invoice_id"),
                func.sum(LedgerEntry.debit - LedgerEntry.credit).label("due"),
            )
            .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(Account.code == RECEIVABLE, LedgerEntry.party_type == "customer", LedgerEntry.on <= as_of)
            .group_by(LedgerEntry.party_id, invoice_of_entry)
        )
        if party_id is not None:
            per_invoice = per_invoice.where(LedgerEntry.party_id == party_id)
        sub = per_invoice.subquery()
        rows = s.execute(
            select(sub.c.party_id, sub.c.due, Invoice.due_on)
            .join(Invoice, Invoice.id == sub.c.invoice_id, isouter=True)
            .where(sub.c.due != 0)
        ).all()
    result: dict[int, dict[str, Decimal]] = {}
    for pid, due, due_on in rows:
        days = (as_of - due_on).days if due_on else 0
        bucket = next(name for name, lo, hi in BUCKETS
                      if (lo is None and days <= 0) or (lo is not None and days >= lo and (hi is None or days <= hi)))
        b = result.setdefault(pid, {name: ZERO for name, _, _ in BUCKETS})
        b[bucket] += money(due)
    return [Ageing("customer", pid, money(sum(b.values(), ZERO)), b) for pid, b in sorted(result.items())]


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal


def trial_balance(uow: UnitOfWork, actor: Actor) -> list[TrialBalanceRow]:
    require_role(actor, Role.MANAGER, Role.ADMIN, Role.AGENT)
    with uow() as s:
        rows = s.execute(
            select(Account.code, Account.name, Account.type,
                   func.coalesce(func.sum(LedgerEntry.debit), 0), func.coalesce(func.sum(LedgerEntry.credit), 0))
            .join(LedgerEntry, and_(LedgerEntry.account_id == Account.id), isouter=True)
            .group_by(Account.code, Account.name, Account.type)
            .order_by(Account.code)
        ).all()
        return [TrialBalanceRow(c, n, t, money(d), money(cr)) for c, n, t, d, cr in rows]
