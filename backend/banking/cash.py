"""Technicians' collections and the bank deposits of their cash, inside the
caller's transaction (the use cases are ``backend.processes.collections``).

- A **collection** is money a technician took at the door against an invoice.
  It issues the customer's receipt through billing (``take_payment``), whose
  voucher debits, instead of the office's cash or bank:
  cash → ``1020 Cash with technicians`` with the technician as party (their
  cash in hand); UPI → ``1010 Bank`` (it went to the company's VPA at once and
  waits for the bank reconciliation, by the receipt's reference).
- A **deposit** takes one or more cash collections to the bank: one journal
  voucher, Dr bank (the whole slip), Cr 1020 per technician, and each
  collection marked with the deposit.
- **Cash in hand** of a technician is the balance of their entries on 1020,
  from the ledger, never from the collections table; it is never negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import fields
from backend.banking.models import Collection, Deposit
from backend.billing import service as billing
from backend.billing.models import Invoice, Receipt
from backend.db import money
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.ledger import chart
from backend.ledger.models import Account, InvoiceBalance, LedgerEntry, Voucher, VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.references import assign_number, format_reference, parse

TECHNICIAN = "technician"  # the ledger's party type of a technician (party id: their user id)
METHODS = ("cash", "upi")  # what a technician collects at the door
MAX_PER_DEPOSIT = 100  # collections on one deposit slip
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CollectionView:
    number: str
    job_number: str
    invoice_number: str
    receipt_number: str
    technician_id: int
    technician_name: str
    method: str
    amount: Decimal
    reference: str | None
    collected_on: date
    invoice_outstanding: Decimal  # what is still due on the invoice now
    deposit_number: str | None  # the deposit that took this cash to the bank (UPI: always None)
    created: bool = True  # False: a retry with the same idempotency key, answered with the first collection


@dataclass(frozen=True)
class DepositShare:
    """One technician's part of a deposit."""

    technician_id: int
    technician_name: str
    amount: Decimal
    collections: list[str]


@dataclass(frozen=True)
class DepositView:
    number: str
    slip_reference: str
    amount: Decimal
    deposited_on: date
    voucher_number: str | None
    collections: list[str]
    technicians: list[DepositShare]
    recorded_by: str | None
    created: bool = True  # False: a retry with the same idempotency key, answered with the first deposit


@dataclass(frozen=True)
class CashInHand:
    """What a technician holds: the balance of their entries on 1020."""

    technician_id: int
    technician_name: str
    cash_in_hand: Decimal
    undeposited: int  # cash collections not yet on a deposit
    oldest_undeposited: date | None


# --- checks of the input (before anything is written) ---------------------------------------------

def collection_method(method: str) -> str:
    if method not in METHODS:
        raise invalid(f"a technician collects {' or '.join(METHODS)}, not '{method}'", field="method",
                      allowed=list(METHODS))
    return method


def collection_date(on: date | str | None, *, today: date | None = None) -> date:
    """The day of a collection: today by default, not in the future, in the open year."""
    on = _a_date(on, "collected_on")
    try:
        return billing.payment_date(on, today=today)
    except DomainError as exc:
        exc.details["field"] = "collected_on"
        raise


def deposit_date(on: date | str | None, *, today: date | None = None) -> date:
    today = today or date.today()
    on = _a_date(on, "deposited_on") or today
    if on > today:
        raise invalid("a deposit cannot be made in the future", field="deposited_on", latest=today.isoformat())
    if on < today - billing.BACKDATE_LIMIT:
        raise invalid(f"a deposit more than {billing.BACKDATE_LIMIT.days} days back is outside the open books",
                      field="deposited_on", earliest=(today - billing.BACKDATE_LIMIT).isoformat())
    return on


def slip_reference(value: str | None) -> str:
    return fields.text(value, "slip_reference", max_len=80, what="deposit slip reference")


def collection_numbers(values) -> list[str]:
    """The collections named for a deposit: CL-… references, each once, in order."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise invalid("name one or more collections (CL-…)", field="collection_numbers")
    if len(values) > MAX_PER_DEPOSIT:
        raise invalid(f"one deposit slip takes at most {MAX_PER_DEPOSIT} collections", field="collection_numbers")
    out: list[str] = []
    for value in values:
        parsed = parse(value) if isinstance(value, str) else None
        if not parsed or parsed[0] != "CL":
            raise not_found("collection", value)
        number = format_reference(*parsed)
        if number not in out:
            out.append(number)
    return out


def _a_date(value: date | str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise invalid("give a date like 2025-01-31", field=name) from None
    if not isinstance(value, date):
        raise invalid("give a date like 2025-01-31", field=name)
    return value


# --- writing ------------------------------------------------------------------------------------------

def collect(s: Session, actor: Actor, inv: Invoice, *, job_id: int, technician_id: int, amount: Decimal,
            method: str, reference: str | None, on: date) -> Collection:
    """The customer's receipt (and its notice) through billing, debiting the
    technician's cash in hand (cash) or the bank (UPI), and the collection row.
    ``inv`` is locked by the caller; an amount above what is due is refused."""
    debit = (chart.TECH_CASH, (TECHNICIAN, technician_id)) if method == "cash" else (chart.BANK, None)
    receipt = billing.take_payment(s, actor, inv, amount=amount, method=method, reference=reference, on=on,
                                   key=None, debit_account=debit[0], debit_party=debit[1])
    row = Collection(receipt_id=parse(receipt.number)[1], technician_id=technician_id, job_id=job_id,
                     method=method, amount=amount, collected_on=on)
    s.add(row)
    assign_number(s, row, "CL")
    return row


def deposit(s: Session, actor: Actor, *, numbers: list[str], slip: str, on: date) -> Deposit:
    """Take these cash collections to the bank: refused (before anything is
    written) for an unknown collection, a UPI one, one already deposited, a
    day before a collection, or cash in hand that would go negative."""
    ids = [parse(n)[1] for n in numbers]
    rows = {c.id: c for c in s.scalars(select(Collection).where(Collection.id.in_(ids))
                                        .order_by(Collection.id).with_for_update())}
    for number, cid in zip(numbers, ids):
        c = rows.get(cid)
        if c is None:
            raise not_found("collection", number)
        if c.method != "cash":
            raise DomainError(ErrorCode.CONFLICT, f"{number} was collected by {c.method.upper()}: it went to the "
                              "bank directly, there is no cash to deposit", field="collection_numbers",
                              collection=number, method=c.method)
        if c.deposit_id is not None:
            raise DomainError(ErrorCode.ALREADY_DONE, f"{number} is already on deposit "
                              f"{format_reference('DP', c.deposit_id)}", field="collection_numbers",
                              collection=number, deposit=format_reference("DP", c.deposit_id))
        if c.collected_on > on:
            raise invalid(f"{number} was collected on {c.collected_on}, after the deposit date",
                          field="deposited_on", collection=number, collected_on=c.collected_on.isoformat())
    per_tech: dict[int, Decimal] = {}
    for cid in ids:
        per_tech[rows[cid].technician_id] = per_tech.get(rows[cid].technician_id, ZERO) + rows[cid].amount
    held = cash_balances(s, list(per_tech))
    for tech, amount in per_tech.items():
        if held.get(tech, ZERO) < amount:
            name = _names(s, [tech]).get(tech, f"technician {tech}")
            raise DomainError(ErrorCode.CONFLICT, f"{name} holds {held.get(tech, ZERO)} in cash; depositing {amount} "
                              "would leave their cash in hand negative", field="collection_numbers",
                              technician_id=tech, cash_in_hand=str(held.get(tech, ZERO)), amount=str(amount))
    total = money(sum(per_tech.values(), ZERO))
    dep = Deposit(slip_reference=slip, amount=total, deposited_on=on, recorded_by=actor.user_id)
    s.add(dep)
    assign_number(s, dep, "DP")
    names = _names(s, list(per_tech))
    voucher = post_voucher(
        s, kind=VoucherKind.JOURNAL, on=on,
        narration=f"Deposit {dep.number}, slip {slip}: cash from {', '.join(names[t] for t in sorted(per_tech))}",
        lines=[Line(chart.BANK, debit=total),
               *(Line(chart.TECH_CASH, credit=amount, party_type=TECHNICIAN, party_id=tech)
                 for tech, amount in sorted(per_tech.items()))],
        actor=actor, source_type="deposit", source_id=dep.id,
    )
    dep.voucher_id = voucher.id
    for c in rows.values():
        c.deposit_id = dep.id
    s.flush()
    return dep


# --- reading ------------------------------------------------------------------------------------------

def cash_balances(s: Session, technician_ids: list[int] | None = None, *, as_of: date | None = None
                  ) -> dict[int, Decimal]:
    """Each technician's cash in hand: the sum of their entries on 1020."""
    q = (select(LedgerEntry.party_id, func.sum(LedgerEntry.debit - LedgerEntry.credit))
         .join(Account, Account.id == LedgerEntry.account_id)
         .where(Account.code == chart.TECH_CASH, LedgerEntry.party_type == TECHNICIAN)
         .group_by(LedgerEntry.party_id))
    if technician_ids is not None:
        q = q.where(LedgerEntry.party_id.in_(technician_ids))
    if as_of is not None:
        q = q.where(LedgerEntry.on <= as_of)
    return {pid: money(total or 0) for pid, total in s.execute(q)}


def cash_in_hand(s: Session, technician_id: int | None = None) -> list[CashInHand]:
    """Every technician who holds cash or has undeposited collections (or the one asked about)."""
    held = cash_balances(s, [technician_id] if technician_id is not None else None)
    pending = {tid: (n, oldest) for tid, n, oldest in s.execute(
        select(Collection.technician_id, func.count(), func.min(Collection.collected_on))
        .where(Collection.method == "cash", Collection.deposit_id.is_(None),
               *([Collection.technician_id == technician_id] if technician_id is not None else []))
        .group_by(Collection.technician_id))}
    ids = set(held) | set(pending) | ({technician_id} if technician_id is not None else set())
    names = _names(s, list(ids))
    rows = [CashInHand(t, names.get(t, ""), held.get(t, ZERO), pending.get(t, (0, None))[0],
                       pending.get(t, (0, None))[1]) for t in ids]
    return sorted(rows, key=lambda r: (-r.cash_in_hand, r.technician_name, r.technician_id))


def collection_views(s: Session, rows: list[Collection]) -> list[CollectionView]:
    if not rows:
        return []
    receipts = {r.id: r for r in s.scalars(select(Receipt).where(Receipt.id.in_({c.receipt_id for c in rows})))}
    invoice_ids = {r.invoice_id for r in receipts.values()}
    invoices = {i.id: i for i in s.scalars(select(Invoice).where(Invoice.id.in_(invoice_ids)))}
    owed = dict(s.execute(select(InvoiceBalance.invoice_id, InvoiceBalance.balance)
                          .where(InvoiceBalance.invoice_id.in_(invoices))).all())
    names = _names(s, list({c.technician_id for c in rows}))
    out = []
    for c in rows:
        r = receipts[c.receipt_id]
        inv = invoices[r.invoice_id]
        out.append(CollectionView(
            c.number, format_reference("JB", c.job_id), inv.number, r.number, c.technician_id,
            names.get(c.technician_id, ""), c.method, c.amount, r.reference, c.collected_on,
            money(owed.get(inv.id) or 0),
            format_reference("DP", c.deposit_id) if c.deposit_id else None))
    return out


def list_collections(s: Session, *, technician_id: int | None = None, job_id: int | None = None,
                     undeposited: bool = False, limit: int = 500) -> list[CollectionView]:
    """Collections, the newest first; ``undeposited``: cash not yet on a deposit, the oldest first."""
    q = select(Collection)
    if technician_id is not None:
        q = q.where(Collection.technician_id == technician_id)
    if job_id is not None:
        q = q.where(Collection.job_id == job_id)
    if undeposited:
        q = q.where(Collection.method == "cash", Collection.deposit_id.is_(None)).order_by(
            Collection.collected_on, Collection.id)
    else:
        q = q.order_by(Collection.id.desc())
    return collection_views(s, list(s.scalars(q.limit(limit))))


def deposit_views(s: Session, deps: list[Deposit]) -> list[DepositView]:
    if not deps:
        return []
    cols = list(s.scalars(select(Collection).where(Collection.deposit_id.in_({d.id for d in deps}))
                          .order_by(Collection.id)))
    vouchers = dict(s.execute(select(Voucher.id, Voucher.number)
                              .where(Voucher.id.in_({d.voucher_id for d in deps if d.voucher_id}))).all())
    names = _names(s, list({c.technician_id for c in cols} | {d.recorded_by for d in deps if d.recorded_by}))
    out = []
    for d in deps:
        mine = [c for c in cols if c.deposit_id == d.id]
        shares: dict[int, list[Collection]] = {}
        for c in mine:
            shares.setdefault(c.technician_id, []).append(c)
        out.append(DepositView(
            d.number, d.slip_reference, d.amount, d.deposited_on, vouchers.get(d.voucher_id),
            [c.number for c in mine],
            [DepositShare(t, names.get(t, ""), money(sum((c.amount for c in cs), ZERO)), [c.number for c in cs])
             for t, cs in sorted(shares.items())],
            names.get(d.recorded_by) if d.recorded_by else None))
    return out


def list_deposits(s: Session, *, start: date | None = None, end: date | None = None,
                  limit: int = 500) -> list[DepositView]:
    """Deposits, the latest first."""
    q = select(Deposit)
    if start is not None:
        q = q.where(Deposit.deposited_on >= start)
    if end is not None:
        q = q.where(Deposit.deposited_on <= end)
    return deposit_views(s, list(s.scalars(q.order_by(Deposit.deposited_on.desc(), Deposit.id.desc()).limit(limit))))


def _names(s: Session, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(s.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


__all__ = [
    "CashInHand", "CollectionView", "DepositShare", "DepositView", "METHODS", "TECHNICIAN", "cash_balances",
    "cash_in_hand", "collect", "collection_date", "collection_method", "collection_numbers", "collection_views",
    "deposit", "deposit_date", "deposit_views", "list_collections", "list_deposits", "slip_reference",
]
