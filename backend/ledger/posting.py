"""Posting balanced vouchers. Every money move in the system comes through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import money
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.ledger.models import Account, LedgerEntry, Voucher, VoucherKind
from backend.references import assign_number

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Line:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    party_type: str | None = None
    party_id: int | None = None


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
) -> Voucher:
    lines = [Line(l.account, money(l.debit), money(l.credit), l.party_type, l.party_id) for l in lines]
    lines = [l for l in lines if l.debit or l.credit]
    debit = sum((l.debit for l in lines), ZERO)
    credit = sum((l.credit for l in lines), ZERO)
    if len(lines) < 2 or debit != credit or debit <= 0 or any(l.debit < 0 or l.credit < 0 for l in lines):
        raise DomainError(ErrorCode.UNBALANCED, "a voucher needs balanced, positive debit and credit lines",
                          debit=str(debit), credit=str(credit))
    accounts = {a.code: a.id for a in s.scalars(select(Account).where(Account.code.in_({l.account for l in lines})))}
    voucher = Voucher(kind=str(kind), on=on, narration=narration[:240], source_type=source_type,
                      source_id=source_id, created_by=actor.user_id)
    s.add(voucher)
    assign_number(s, voucher, "VO")
    for l in lines:
        if l.account not in accounts:
            raise DomainError(ErrorCode.NOT_FOUND, f"account {l.account} is not in the chart")
        s.add(LedgerEntry(voucher_id=voucher.id, account_id=accounts[l.account], party_type=l.party_type,
                          party_id=l.party_id, on=on, debit=l.debit, credit=l.credit))
    return voucher
