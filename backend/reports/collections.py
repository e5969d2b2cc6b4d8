"""Money coming in, by the way it came, and the technicians' cash on its way to
the bank (issue 14 item 6): collections by channel, cash in hand per
technician, deposits.

Definitions
-----------
- **Channel** of a receipt, from the receipt and its voucher: *technician
  cash* (a technician's collection in cash: the voucher debits 1020 Cash
  with technicians), *technician UPI* (a technician's collection by UPI,
  debiting the bank), *gateway* (posted from a payment gateway's webhook),
  *office cash* (the voucher debits 1000 Cash on hand), *card*, *cheque*,
  *UPI / bank transfer* (methods upi and bank entered at the office), and
  *other* for any method not listed. The amount is the voucher's debit,
  counted on the voucher's day.
- **Cash in hand** of a technician: their entries on 1020, opening before
  the range, collected (debits) and paid in (credits) within it, closing at
  its end. Never the collections table.
- **Deposits**: the bank deposits made in the range, with their slips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, exists, func, select

from backend.banking.cash import TECHNICIAN
from backend.banking.models import Collection, Deposit
from backend.billing.models import Receipt
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.ledger import chart
from backend.ledger.models import Account, LedgerEntry, Voucher
from backend.processes.models import GatewayEvent
from backend.references import format_reference
from backend.reports.common import MANAGERS, OPERATIONS, Sql, an_id, begin, dec, day_filter, row_limit

CHANNELS = ("office_cash", "technician_cash", "technician_upi", "upi_bank_transfer", "card", "cheque", "gateway",
            "other")


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    receipts: int
    amount: Decimal


@dataclass(frozen=True)
class CashInHandRow:
    technician_id: int
    technician: str
    opening: Decimal
    collected: Decimal
    paid_in: Decimal
    closing: Decimal


@dataclass(frozen=True)
class DepositRow:
    number: str
    deposited_on: date
    slip_reference: str
    amount: Decimal
    collections: int
    technicians: str
    voucher: str | None
    recorded_by: str | None


def collections_by_channel(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                           technician_id: int | None = None, **unknown: Any) -> list[ChannelRow]:
    """Receipts in the range by channel: office cash, technician cash,
    technician UPI, UPI / bank transfer, card, cheque, gateway (and other),
    each with the number of receipts and the amount their vouchers debited.
    ``technician_id``: only that technician's collections."""
    p = begin(actor, MANAGERS, start, end, unknown)
    technician_id = an_id(technician_id, "technician_id")
    debit = (select(LedgerEntry.voucher_id.label("voucher_id"), Account.code.label("code"),
                    LedgerEntry.debit.label("amount"))
             .join(Account, Account.id == LedgerEntry.account_id)
             .where(LedgerEntry.debit > 0).subquery())
    by_gateway = exists().where(GatewayEvent.receipt_id == Receipt.id)
    channel = case(
        (Collection.method == "cash", "technician_cash"),
        (Collection.method == "upi", "technician_upi"),
        (by_gateway, "gateway"),
        (debit.c.code == chart.CASH, "office_cash"),
        (Receipt.method == "card", "card"),
        (Receipt.method == "cheque", "cheque"),
        (Receipt.method.in_(("upi", "bank")), "upi_bank_transfer"),
        else_="other",
    ).label("channel")
    each = (select(channel, debit.c.amount.label("amount"))
            .select_from(Receipt)
            .join(Voucher, Voucher.id == Receipt.voucher_id)
            .join(debit, debit.c.voucher_id == Voucher.id)
            .outerjoin(Collection, Collection.receipt_id == Receipt.id)
            .where(day_filter(Voucher.on, p)))
    if technician_id is not None:
        each = each.where(Collection.technician_id == technician_id)
    each = each.subquery()
    q = select(each.c.channel, func.count(), func.sum(each.c.amount)).group_by(each.c.channel)
    with uow() as s:
        Sql(s).tune(s)
        found = {ch: (n, amount) for ch, n, amount in s.execute(q)}
    return [ChannelRow(ch, found.get(ch, (0, None))[0], dec(found.get(ch, (0, None))[1])) for ch in CHANNELS]


def cash_in_hand(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                 technician_id: int | None = None, **unknown: Any) -> list[CashInHandRow]:
    """Cash in hand per technician from the ledger (1020 Cash with
    technicians): opening, collected and paid in during the range, closing."""
    p = begin(actor, OPERATIONS, start, end, unknown)
    technician_id = an_id(technician_id, "technician_id")
    before = LedgerEntry.on < p.start
    inside = day_filter(LedgerEntry.on, p)
    q = (select(LedgerEntry.party_id, User.name,
                func.sum(case((before, LedgerEntry.debit - LedgerEntry.credit), else_=0)),
                func.sum(case((inside, LedgerEntry.debit), else_=0)),
                func.sum(case((inside, LedgerEntry.credit), else_=0)))
         .join(Account, Account.id == LedgerEntry.account_id)
         .join(User, User.id == LedgerEntry.party_id)
         .where(Account.code == chart.TECH_CASH, LedgerEntry.party_type == TECHNICIAN, LedgerEntry.on <= p.end)
         .group_by(LedgerEntry.party_id, User.name)
         .order_by(User.name, LedgerEntry.party_id))
    if technician_id is not None:
        q = q.where(LedgerEntry.party_id == technician_id)
    with uow() as s:
        rows = s.execute(q).all()
    return [CashInHandRow(tid, name, dec(o), dec(c), dec(d), dec(o) + dec(c) - dec(d)) for tid, name, o, c, d in rows]


def deposits(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
             limit: int | None = None, **unknown: Any) -> list[DepositRow]:
    """Bank deposits of technicians' cash made in the range, the latest first:
    slip reference, amount, how many collections and whose."""
    p = begin(actor, OPERATIONS, start, end, unknown)
    limit = row_limit(limit)
    with uow() as s:
        deps = list(s.scalars(select(Deposit).where(day_filter(Deposit.deposited_on, p))
                              .order_by(Deposit.deposited_on.desc(), Deposit.id.desc()).limit(limit)))
        ids = [d.id for d in deps]
        shares: dict[int, list[tuple[int, str]]] = {}
        if ids:
            for dep_id, tid, name in s.execute(
                    select(Collection.deposit_id, Collection.technician_id, User.name)
                    .join(User, User.id == Collection.technician_id)
                    .where(Collection.deposit_id.in_(ids)).order_by(Collection.id)):
                shares.setdefault(dep_id, []).append((tid, name))
        vouchers = dict(s.execute(select(Voucher.id, Voucher.number)
                                  .where(Voucher.id.in_({d.voucher_id for d in deps if d.voucher_id}))).all())
        staff = dict(s.execute(select(User.id, User.name)
                               .where(User.id.in_({d.recorded_by for d in deps if d.recorded_by}))).all())
    out = []
    for d in deps:
        mine = shares.get(d.id, [])
        names = ", ".join(dict.fromkeys(name for _, name in mine))
        out.append(DepositRow(d.number or format_reference("DP", d.id), d.deposited_on, d.slip_reference,
                              dec(d.amount), len(mine), names, vouchers.get(d.voucher_id),
                              staff.get(d.recorded_by)))
    return out
