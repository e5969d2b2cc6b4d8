"""A customer's "I have paid": a UPI payment reported on the invoice's public
payment page, with its transaction reference (UTR) and amount.

``reported → confirmed | rejected`` (``PAYMENT_REPORT_MOVES``). Nothing is
posted while it is reported. It is confirmed by an agent, or by a bank
statement line with the same UTR and amount (``backend.processes.bank``),
either way through ``confirm_in_session``: the receipt (method ``upi``,
reference the UTR) through billing, in the same transaction as the move; what
a paid invoice settles is the processes layer's business. An agent who finds
no such payment rejects it with a reason, and the customer is told.

A UTR names one bank transaction: reported once (unique). The same report
sent again (same UTR, invoice and amount) answers with the first one
(``created: false``); the UTR with another invoice or amount is refused
(``duplicate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import fields
from backend.banking.models import PaymentReport, PaymentReportState as R
from backend.banking.paylinks import PayLinks, load_by_token
from backend.billing import service as billing
from backend.billing.models import Invoice, InvoiceState, Receipt
from backend.customers.models import Customer
from backend.db import UnitOfWork, money, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role
from backend.lifecycle import Lifecycle
from backend.notifications.outbox import notify

PAYMENT_REPORT_MOVES = Lifecycle("payment report", {R.REPORTED: {R.CONFIRMED, R.REJECTED}})
UTR = re.compile(r"\d{12}")
MAX_WAITING = 5  # reports awaiting confirmation on one invoice: more is refused (a public page)


@dataclass(frozen=True)
class PaymentReportView:
    id: int
    invoice_number: str
    customer_id: int
    customer: str
    utr: str
    amount: Decimal
    paid_on: date
    state: str
    reported_at: datetime
    receipt_number: str | None
    reason: str | None
    decided_at: datetime | None
    created: bool = True  # False: the same report sent again, answered with the first


def utr_of(value) -> str:
    """A UPI transaction reference: 12 digits (spaces and dashes typed between them are dropped)."""
    raw = value if isinstance(value, str) else ""
    cleaned = re.sub(r"[\s-]", "", raw)
    if not UTR.fullmatch(cleaned):
        raise invalid("the UPI transaction reference (UTR) is the 12-digit number your UPI app shows for the "
                      "payment", field="utr")
    return cleaned


def report_view(s: Session, r: PaymentReport, *, created: bool = True) -> PaymentReportView:
    inv = s.get(Invoice, r.invoice_id)
    receipt = s.get(Receipt, r.receipt_id) if r.receipt_id else None
    name = s.scalar(select(Customer.name).where(Customer.id == r.customer_id)) or ""
    return PaymentReportView(r.id, inv.number, r.customer_id, name, r.utr, r.amount, r.paid_on, r.state,
                             r.reported_at, receipt.number if receipt else None, r.reason, r.decided_at, created)


def payer(inv: Invoice) -> Actor:
    """Who acts on the public page: the holder of the invoice's payment link, for its customer."""
    return Actor(Role.CUSTOMER, None, inv.customer_id, "payment link", "pay_link")


def report_payment(uow: UnitOfWork, *, token: str, utr: str, amount, paid_on: date | None = None,
                   links: PayLinks | None = None) -> PaymentReportView:
    """The holder of an invoice's payment link reports a UPI payment on it (no
    login: the signed link is the authority). Refused, with nothing written:
    an expired or altered link, a UTR that is not 12 digits, an amount above
    what is due less what is already reported, a day in the future, a UTR
    reported before for something else."""
    links = links or PayLinks.from_env()
    links.read(token)  # an expired or altered link is the first thing to say
    utr = utr_of(utr)
    amount = billing.payment_amount(amount)
    try:
        paid_on = billing.payment_date(paid_on)
    except DomainError as exc:  # the page's field is "paid on"
        raise DomainError(exc.code, exc.message, **{**exc.details, "field": "paid_on"}) from None
    try:
        with uow() as s:
            inv = load_by_token(s, token, links, lock=True)
            existing = s.scalar(select(PaymentReport).where(PaymentReport.utr == utr))
            if existing is not None:
                return _replay(s, existing, inv, amount)
            if inv.state != InvoiceState.OPEN:
                raise DomainError(ErrorCode.ALREADY_DONE, f"{inv.number} is {inv.state}: nothing is due on it")
            waiting = list(s.scalars(select(PaymentReport.amount).where(
                PaymentReport.invoice_id == inv.id, PaymentReport.state == R.REPORTED)))
            if len(waiting) >= MAX_WAITING:
                raise DomainError(ErrorCode.CONFLICT, f"{len(waiting)} payments on {inv.number} are already waiting "
                                  "to be confirmed; we will confirm them first")
            due = billing.invoice_view(s, inv).outstanding
            open_to_report = money(due - sum(waiting, Decimal("0")))
            if amount > open_to_report:
                raise DomainError(ErrorCode.OVERPAYMENT,
                                  f"only {open_to_report} is due on {inv.number}"
                                  + (f" beyond the {money(sum(waiting, Decimal('0')))} already reported"
                                     if waiting else ""), outstanding=str(open_to_report), amount=str(amount))
            r = PaymentReport(invoice_id=inv.id, customer_id=inv.customer_id, utr=utr, amount=amount,
                              paid_on=paid_on, state=R.REPORTED)
            s.add(r)
            s.flush()
            who = payer(inv)
            record(s, entity_type="payment_report", entity_id=r.id, to_state=R.REPORTED, actor=who)
            notify(s, event="payment_reported", subject_type="invoice", subject_id=inv.id,
                   customer_id=inv.customer_id, invoice=inv.number, amount=str(amount), utr=utr)
            return report_view(s, r)
    except IntegrityError:
        with uow() as s:  # the same UTR reported at the same moment: answer with the one that won
            existing = s.scalar(select(PaymentReport).where(PaymentReport.utr == utr))
            if existing is None:
                raise
            return _replay(s, existing, None, amount, token_invoice=links.read(token))


def _replay(s: Session, existing: PaymentReport, inv: Invoice | None, amount: Decimal, *,
            token_invoice: str | None = None) -> PaymentReportView:
    number = token_invoice or (inv.number if inv is not None else None)
    mine = s.get(Invoice, existing.invoice_id)
    if mine.number != number or existing.amount != amount:
        raise DomainError(ErrorCode.DUPLICATE, "this UPI transaction reference (UTR) was already reported for "
                          "another payment; check the 12 digits in your UPI app", field="utr")
    return report_view(s, existing, created=False)


def list_payment_reports(uow: UnitOfWork, actor: Actor, *, state: str | None = "reported",
                         limit: int = 200) -> list[PaymentReportView]:
    """Staff: the payment reports in a state (default: waiting), oldest first."""
    require_role(actor, *STAFF)
    if state is not None and state not in set(R):
        raise invalid(f"unknown payment report state '{state}'", field="state", allowed=sorted(R))
    with uow() as s:
        q = select(PaymentReport)
        if state:
            q = q.where(PaymentReport.state == state)
        q = q.order_by(PaymentReport.id if state == R.REPORTED else PaymentReport.id.desc())
        return [report_view(s, r) for r in s.scalars(q.limit(min(max(limit, 1), 1000)))]


def load_report(s: Session, report_id: int, *, lock: bool = False) -> PaymentReport:
    q = select(PaymentReport).where(PaymentReport.id == report_id)
    r = s.scalar(q.with_for_update() if lock else q)
    if r is None:
        raise not_found("payment report", report_id)
    return r


def _undecided(r: PaymentReport) -> None:
    if r.state != R.REPORTED:
        raise DomainError(ErrorCode.ALREADY_DONE, f"payment report {r.id} (UTR {r.utr}) is already {r.state}",
                          state=r.state)


def confirm_in_session(s: Session, actor: Actor, r: PaymentReport, inv: Invoice, *,
                       received_on: date | None = None, note: str | None = None) -> billing.ReceiptView:
    """Inside the caller's transaction (the invoice locked by the caller): the
    report's receipt (method upi, reference the UTR, the idempotency key
    ``payment-report:<id>``) and the move to ``confirmed``. Refusals
    (already decided, more than is now due) come before anything is written."""
    _undecided(r)
    PAYMENT_REPORT_MOVES.check(r.state, R.CONFIRMED)
    on = billing.payment_date(received_on or r.paid_on)
    receipt = billing.take_payment(s, actor, inv, amount=r.amount, method="upi", reference=r.utr, on=on,
                                   key=f"payment-report:{r.id}")
    r.receipt_id = s.scalar(select(Receipt.id).where(Receipt.number == receipt.number))
    r.decided_by, r.decided_at = actor.user_id, utcnow()
    move(s, PAYMENT_REPORT_MOVES, r, R.CONFIRMED, actor, entity_type="payment_report", note=note)
    return receipt


def reject_payment_report(uow: UnitOfWork, actor: Actor, *, report_id: int, reason: str) -> PaymentReportView:
    """Staff: no such payment reached the bank (or not as reported). The
    report is closed with the reason and the customer is told, with nothing
    posted."""
    require_role(actor, *STAFF)
    reason = fields.text(reason, "reason", max_len=400, what="reason")
    with uow() as s:
        r = load_report(s, report_id, lock=True)
        _undecided(r)
        inv = s.get(Invoice, r.invoice_id)
        r.reason, r.decided_by, r.decided_at = reason, actor.user_id, utcnow()
        move(s, PAYMENT_REPORT_MOVES, r, R.REJECTED, actor, entity_type="payment_report", note=reason)
        notify(s, event="payment_report_rejected", subject_type="invoice", subject_id=inv.id,
               customer_id=inv.customer_id, invoice=inv.number, amount=str(r.amount), utr=r.utr, reason=reason)
        return report_view(s, r)


def waiting_count(s: Session) -> int:
    return s.scalar(select(func.count(PaymentReport.id)).where(PaymentReport.state == R.REPORTED)) or 0
