"""Correcting an issued invoice: credit notes, cancellation and refunds,
inside the caller's transaction.

A tax invoice is never edited once issued. A **credit note** (full or
partial, with its reason) posts a voucher that reverses the invoice's
revenue and output tax in proportion to its amount (the accounts and
shares the invoice's own sales voucher used, less what earlier notes
reversed; the last note reverses exactly what is left, so a fully
credited invoice nets to nil on every account) and credits the customer's
receivable on that invoice. The invoice's balance is then what the ledger
says: an open invoice with nothing left to pay moves to ``paid`` when
money was received on it, else to ``cancelled``; a paid invoice credited
further leaves the customer in credit, which a **refund** (a payment
voucher out of cash or bank) pays back. What a moved invoice means for
its job, order or repair is ``backend.processes.invoice_corrections``'
business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import fields
from backend.billing.lifecycle import INVOICE_MOVES
from backend.billing.models import CreditNote, Invoice, InvoiceState, Receipt, Refund
from backend.billing.service import METHODS, owed
from backend.db import money
from backend.errors import DomainError, ErrorCode, invalid
from backend.history.moves import move, record
from backend.identity.actor import Actor
from backend.ledger import chart
from backend.ledger.models import Account, AccountType, LedgerEntry, VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.notifications.outbox import notify
from backend.references import assign_number

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CreditNoteView:
    number: str
    invoice_number: str
    amount: Decimal
    taxable: Decimal
    tax: Decimal
    reason: str
    cancels: bool
    issued_on: date
    invoice_state: str
    invoice_outstanding: Decimal  # negative: the customer is in credit (refundable)
    created: bool = True


@dataclass(frozen=True)
class RefundView:
    number: str
    invoice_number: str
    amount: Decimal
    method: str
    paid_on: date
    invoice_outstanding: Decimal
    created: bool = True


balance = owed  # what the customer owes on the invoice; negative: in credit


def credited(s: Session, invoice: Invoice) -> Decimal:
    return money(s.scalar(select(func.coalesce(func.sum(CreditNote.amount), 0))
                          .where(CreditNote.invoice_id == invoice.id)))


def refunded(s: Session, invoice: Invoice) -> Decimal:
    return money(s.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.invoice_id == invoice.id)))


def received(s: Session, invoice: Invoice) -> Decimal:
    return money(s.scalar(select(func.coalesce(func.sum(Receipt.amount), 0)).where(Receipt.invoice_id == invoice.id)))


def reason_text(reason: str | None) -> str:
    return fields.text(reason, "reason", max_len=400, what="reason for the credit note")


def _remaining_by_account(s: Session, invoice: Invoice) -> dict[int, tuple[str, Decimal]]:
    """Per revenue or tax account of the invoice's sales voucher: what is
    still credited there after the earlier notes (account id -> (type, amount))."""
    rows = s.execute(
        select(LedgerEntry.account_id, Account.type, func.sum(LedgerEntry.credit))
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.voucher_id == invoice.voucher_id, LedgerEntry.credit > 0)
        .group_by(LedgerEntry.account_id, Account.type)
    ).all()
    remaining = {acc: (typ, money(amt)) for acc, typ, amt in rows}
    notes = select(CreditNote.voucher_id).where(CreditNote.invoice_id == invoice.id)
    for acc, amt in s.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.debit))
                              .where(LedgerEntry.voucher_id.in_(notes), LedgerEntry.debit > 0)
                              .group_by(LedgerEntry.account_id)):
        typ, left = remaining[acc]
        remaining[acc] = (typ, money(left - amt))
    return {acc: v for acc, v in remaining.items() if v[1] > 0}


def _shares(remaining: dict[int, tuple[str, Decimal]], amount: Decimal) -> dict[int, Decimal]:
    """``amount`` split over the accounts in proportion to what is left on
    each, in paise; the rounding difference goes to the largest share."""
    left = sum((v for _, v in remaining.values()), ZERO)
    if amount == left:
        return {acc: v for acc, (_, v) in remaining.items()}
    shares = {acc: money(v * amount / left) for acc, (_, v) in remaining.items()}
    biggest = max(shares, key=lambda a: (shares[a], -a))
    shares[biggest] += amount - sum(shares.values(), ZERO)
    return {acc: v for acc, v in shares.items() if v}


def credit(s: Session, actor: Actor, inv: Invoice, *, amount: Decimal | None, reason: str, on: date,
           key: str | None = None, cancels: bool = False) -> CreditNoteView:
    """A credit note of ``amount`` (``None``: all that is left to credit) on
    an issued invoice, locked by the caller. Refused, with nothing written,
    beyond what the invoice has left to credit, or on a cancelled invoice."""
    if inv.state == InvoiceState.CANCELLED:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{inv.number} is cancelled; nothing is left to credit",
                          current=inv.state)
    remaining = _remaining_by_account(s, inv)
    creditable = sum((v for _, v in remaining.values()), ZERO)
    amount = creditable if amount is None else amount
    if amount <= 0 or creditable <= 0:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{inv.number} is wholly credited already")
    if amount > creditable:
        raise invalid(f"only {creditable} of {inv.number} is left to credit", field="amount",
                      creditable=str(creditable), amount=str(amount))
    shares = _shares(remaining, amount)
    types = {acc: typ for acc, (typ, _) in remaining.items()}
    codes = dict(s.execute(select(Account.id, Account.code).where(Account.id.in_(shares))).all())
    note = CreditNote(invoice_id=inv.id, customer_id=inv.customer_id, amount=amount,
                      taxable=sum((v for a, v in shares.items() if types[a] != AccountType.LIABILITY), ZERO),
                      tax=sum((v for a, v in shares.items() if types[a] == AccountType.LIABILITY), ZERO),
                      reason=reason, cancels=cancels, issued_on=on, idempotency_key=key, created_by=actor.user_id)
    s.add(note)
    assign_number(s, note, "CN")
    lines = [Line(codes[acc], debit=v) for acc, v in sorted(shares.items())]
    lines.append(Line(chart.RECEIVABLE, credit=amount, party_type="customer", party_id=inv.customer_id,
                      invoice_id=inv.id))
    voucher = post_voucher(s, kind=VoucherKind.CREDIT_NOTE, on=on,
                           narration=f"Credit note {note.number} on {inv.number}: {reason}", lines=lines,
                           actor=actor, source_type="credit_note", source_id=note.id, invoice=inv)
    note.voucher_id = voucher.id
    s.flush()
    left = balance(s, inv)
    if inv.state == InvoiceState.OPEN and left <= 0:
        paid_net = received(s, inv) - refunded(s, inv)
        target = InvoiceState.PAID if paid_net > 0 else InvoiceState.CANCELLED
        move(s, INVOICE_MOVES, inv, target, actor, entity_type="invoice", note=f"{note.number}: {reason}")
    else:  # in the invoice's history all the same (and the reports' cached facts see it moved)
        record(s, entity_type="invoice", entity_id=inv.id, from_state=inv.state, to_state=inv.state, actor=actor,
               note=f"{note.number}: {reason}")
    if inv.state == InvoiceState.CANCELLED:
        notify(s, event="invoice_cancelled", subject_type="invoice", subject_id=inv.id, customer_id=inv.customer_id,
               invoice=inv.number, credit_note=note.number, reason=reason)
    else:
        notify(s, event="credit_note", subject_type="invoice", subject_id=inv.id, customer_id=inv.customer_id,
               invoice=inv.number, credit_note=note.number, amount=str(amount), reason=reason,
               outstanding=str(max(left, ZERO)))
    return view_credit_note(s, note, inv)


def view_credit_note(s: Session, note: CreditNote, inv: Invoice, *, created: bool = True) -> CreditNoteView:
    return CreditNoteView(note.number, inv.number, note.amount, note.taxable, note.tax, note.reason, note.cancels,
                          note.issued_on, inv.state, balance(s, inv), created)


def refund(s: Session, actor: Actor, inv: Invoice, *, amount: Decimal, method: str, reference: str | None,
           on: date, key: str | None = None) -> RefundView:
    """Pay back what the customer has in credit on the invoice (its balance
    below nil), out of cash or bank; never more than that credit."""
    in_credit = -balance(s, inv)
    if in_credit <= 0:
        raise DomainError(ErrorCode.CONFLICT, f"the customer is not in credit on {inv.number}; nothing to refund",
                          outstanding=str(-in_credit))
    if amount > in_credit:
        raise invalid(f"only {in_credit} is refundable on {inv.number}", field="amount",
                      refundable=str(in_credit), amount=str(amount))
    r = Refund(invoice_id=inv.id, customer_id=inv.customer_id, amount=amount, method=method, reference=reference,
               paid_on=on, idempotency_key=key, recorded_by=actor.user_id)
    s.add(r)
    assign_number(s, r, "RF")
    voucher = post_voucher(
        s, kind=VoucherKind.REFUND, on=on, narration=f"Refund {r.number} on {inv.number}",
        lines=[Line(chart.RECEIVABLE, debit=amount, party_type="customer", party_id=inv.customer_id,
                    invoice_id=inv.id),
               Line(METHODS[method], credit=amount)],
        actor=actor, source_type="refund", source_id=r.id, invoice=inv)
    r.voucher_id = voucher.id
    notify(s, event="refund_paid", subject_type="invoice", subject_id=inv.id, customer_id=inv.customer_id,
           invoice=inv.number, refund=r.number, amount=str(amount), method=method)
    return view_refund(s, r, inv)


def view_refund(s: Session, r: Refund, inv: Invoice, *, created: bool = True) -> RefundView:
    return RefundView(r.number, inv.number, r.amount, r.method, r.paid_on, balance(s, inv), created)
