"""Read side of the ledger: statements, outstanding with ageing, trial balance.
Every figure is summed from ledger entries, or read from the per-invoice sums
of receivable entries that posting keeps in the same transaction
(``InvoiceBalance``); nothing is kept by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Date, Integer, and_, func, literal, select

from backend.db import CENT, UnitOfWork, money
from backend.errors import invalid
from backend.identity.actor import STAFF, Actor, require_customer_access, require_role
from backend.identity.models import Role
from backend.ledger import dues
from backend.ledger.chart import PARTY_ACCOUNT, RECEIVABLE
from backend.ledger.models import Account, InvoiceBalance, InvoiceDuePart, LedgerEntry, Voucher

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
    """What each customer owes, split into ageing buckets by invoice due date;
    an invoice paid in instalments (``backend.ledger.dues``) by the due date
    of each instalment still owed, receipts paying the oldest first, so only
    the instalments due by ``as_of`` are overdue.

    Each receivable entry names its invoice (``LedgerEntry.invoice_id``: the
    sales voucher raises it, a receipt settles it). For one customer, their
    entries are summed per invoice. For all customers, ``InvoiceBalance``
    (kept by posting with the entries) gives each invoice's sum and the day
    of its latest entry: an invoice with no entry after ``as_of`` owes its
    balance (the open ones, by index only); one with entries after it is
    summed from its entries up to ``as_of``. Receivable entries tied to no
    invoice count as current.
    """
    if party_type != "customer":
        raise invalid("ageing is kept for customers", field="party_type")
    if party_id is not None:
        require_customer_access(actor, party_id)
    elif not actor.is_staff:
        require_role(actor, *STAFF)
    as_of = as_of or date.today()
    signed = func.sum(LedgerEntry.debit - LedgerEntry.credit)
    with uow() as s:
        receivable = s.scalar(select(Account.id).where(Account.code == RECEIVABLE))
        if party_id is not None:  # one customer's entries, by ix_ledger_entries_party
            per_invoice = (
                select(LedgerEntry.invoice_id.label("invoice_id"), signed.label("due"))
                .where(LedgerEntry.account_id == receivable, LedgerEntry.party_type == "customer",
                       LedgerEntry.party_id == party_id, LedgerEntry.on <= as_of)
                .group_by(LedgerEntry.invoice_id)
            ).subquery()
            rows = s.connection().execute(
                select(literal(party_id), per_invoice.c.due, InvoiceBalance.due_on, per_invoice.c.invoice_id)
                .join(InvoiceBalance, InvoiceBalance.invoice_id == per_invoice.c.invoice_id, isouter=True)
            ).all()
            plans = dues.schedules(s, [r[3] for r in rows])
        else:
            bal = InvoiceBalance
            conn = s.connection()  # plain rows: tens of thousands at 1M jobs
            settled_by_then = conn.execute(  # nothing after as_of: the balance is what was owed then
                select(bal.customer_id, bal.balance, bal.due_on, bal.invoice_id)
                .where(bal.balance != 0, bal.last_on <= as_of)
            ).all()
            moved_since = conn.execute(  # entries after as_of: sum those up to it
                select(bal.customer_id, signed, bal.due_on, bal.invoice_id)
                .join(LedgerEntry, and_(LedgerEntry.invoice_id == bal.invoice_id, LedgerEntry.on <= as_of))
                .where(bal.last_on > as_of)
                .group_by(bal.invoice_id, bal.customer_id, bal.due_on)
            ).all()
            untied = conn.execute(
                select(LedgerEntry.party_id, signed, literal(None, Date), literal(None, Integer))
                .where(LedgerEntry.invoice_id.is_(None), LedgerEntry.party_type == "customer",
                       LedgerEntry.account_id == receivable, LedgerEntry.on <= as_of)
                .group_by(LedgerEntry.party_id)
            ).all()
            rows = settled_by_then + moved_since + untied
            plans = _plans_owing(s, as_of)
    result: dict[int, list[Decimal]] = {}
    for pid, owed, due_on, invoice_id in rows:
        owed = owed.quantize(CENT, ROUND_HALF_UP)  # each row once (money()'s rounding): sums stay in cents
        if not owed:
            continue
        b = result.get(pid)
        if b is None:
            b = result[pid] = [ZERO] * len(BUCKETS)
        # in instalments: each part still owed ages from its own due date (oldest paid first)
        for part_due, part in dues.owed_parts(owed, due_on, plans.get(invoice_id)):
            b[_bucket((as_of - part_due).days if part_due else 0)] += part
    names = [name for name, _, _ in BUCKETS]
    return [Ageing("customer", pid, sum(b, ZERO), dict(zip(names, b))) for pid, b in sorted(result.items())]


def _plans_owing(s, as_of: date) -> dict[int, list[dues.Part]]:
    """The due schedules of the invoices that owed something on ``as_of`` (few:
    contract invoices in instalments), in one pass over the schedules."""
    bal = InvoiceBalance
    ids = s.connection().execute(
        select(InvoiceDuePart.invoice_id).distinct().join(bal, bal.invoice_id == InvoiceDuePart.invoice_id)
        .where((bal.balance != 0) | (bal.last_on > as_of))
    ).scalars().all()
    return dues.schedules(s, ids)


def _bucket(days: int) -> int:
    """The index in BUCKETS of an invoice ``days`` past its due date."""
    return 0 if days <= 0 else 1 if days <= 30 else 2 if days <= 60 else 3 if days <= 90 else 4


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
