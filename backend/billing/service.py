"""Invoices, receipts and collection follow-ups (B 9–12, D 3–6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import fields, idempotency
from backend.billing.lifecycle import INVOICE_MOVES
from backend.billing.models import CollectionFollowUp, CreditNote, Invoice, InvoiceLine, InvoiceState, Receipt, Refund
from backend.db import UnitOfWork, money
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role
from backend.ledger import chart, dues
from backend.ledger.models import InvoiceBalance, VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.notifications.outbox import notify
from backend.references import assign_number, normalise, parse

BACKDATE_LIMIT = timedelta(days=365)  # how far back a payment may be entered: the books' open year
METHODS = {"cash": chart.CASH, "bank": chart.BANK, "upi": chart.BANK, "card": chart.BANK, "cheque": chart.BANK}
MAX_AMOUNT = Decimal("10000000")


@dataclass(frozen=True)
class InvoiceLineView:
    kind: str
    description: str
    qty: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal  # the taxable value
    tax: Decimal
    # GST (tax invoices; none on invoices issued before them): HSN/SAC and the split of rate and tax
    hsn_sac: str | None = None
    cgst_rate: Decimal = Decimal(0)
    cgst: Decimal = Decimal("0.00")
    sgst_rate: Decimal = Decimal(0)
    sgst: Decimal = Decimal("0.00")
    igst_rate: Decimal = Decimal(0)
    igst: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class InvoiceView:
    number: str
    customer_id: int
    source_type: str
    source_id: int
    issued_on: date
    due_on: date
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    state: str
    lines: list[InvoiceLineView]
    credited: Decimal = Decimal("0.00")  # by credit notes
    refunded: Decimal = Decimal("0.00")  # paid back of what was paid over
    # GST: the place of supply (state code; None on invoices issued before tax invoices), both GSTINs as
    # issued (customer None: unregistered) and the tax totals by kind
    place_of_supply: str | None = None
    supplier_gstin: str | None = None
    customer_gstin: str | None = None
    cgst: Decimal = Decimal("0.00")
    sgst: Decimal = Decimal("0.00")
    igst: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class ReceiptView:
    number: str
    invoice_number: str
    amount: Decimal
    method: str
    received_on: date
    invoice_outstanding: Decimal
    created: bool


@dataclass(frozen=True)
class FollowUpView:
    invoice_number: str
    note: str
    next_on: date | None
    at: datetime
    created: bool = True  # False: a retry with the same idempotency key, answered with the first follow-up


def _paid(s: Session, invoice_id: int) -> Decimal:
    return money(s.scalar(select(func.coalesce(func.sum(Receipt.amount), 0)).where(Receipt.invoice_id == invoice_id)))


def owed(s: Session, inv: Invoice) -> Decimal:
    """What the customer still owes on an invoice, from its receivable
    entries (the balance posting keeps): invoiced − credit notes − receipts
    + refunds. Negative: the customer is in credit on it."""
    return money(s.scalar(select(InvoiceBalance.balance).where(InvoiceBalance.invoice_id == inv.id)) or 0)


def _sum(s: Session, model, invoice_id: int) -> Decimal:
    return money(s.scalar(select(func.coalesce(func.sum(model.amount), 0)).where(model.invoice_id == invoice_id)))


def invoice_view(s: Session, inv: Invoice) -> InvoiceView:
    paid = _paid(s, inv.id)
    lines = [InvoiceLineView(l.kind, l.description, l.qty, l.unit_price, l.tax_rate, l.amount, l.tax, l.hsn_sac,
                             l.cgst_rate, l.cgst, l.sgst_rate, l.sgst, l.igst_rate, l.igst)
             for l in s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id).order_by(InvoiceLine.id))]
    return InvoiceView(inv.number, inv.customer_id, inv.source_type, inv.source_id, inv.issued_on, inv.due_on,
                       inv.subtotal, inv.tax, inv.total, paid, owed(s, inv), inv.state, lines,
                       _sum(s, CreditNote, inv.id), _sum(s, Refund, inv.id),
                       place_of_supply=inv.place_of_supply, supplier_gstin=inv.supplier_gstin,
                       customer_gstin=inv.customer_gstin, cgst=inv.cgst, sgst=inv.sgst, igst=inv.igst)


def load_invoice(s: Session, actor: Actor, ref: str, *, lock: bool = False) -> Invoice:
    parsed = parse(ref)
    if not parsed or parsed[0] != "INV":
        raise not_found("invoice", ref)
    q = select(Invoice).where(Invoice.id == parsed[1])
    inv = s.scalar(q.with_for_update() if lock else q)
    if inv is None:
        raise not_found("invoice", ref)
    if not actor.is_staff and not (actor.role == Role.CUSTOMER and actor.customer_id == inv.customer_id):
        raise not_found("invoice", ref)  # do not reveal that someone else's invoice exists
    return inv


def get_invoice(uow: UnitOfWork, actor: Actor, *, invoice_ref: str) -> InvoiceView:
    with uow() as s:
        return invoice_view(s, load_invoice(s, actor, invoice_ref))


def list_invoices(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None, state: str | None = None) -> list[InvoiceView]:
    if actor.role == Role.CUSTOMER:
        customer_id = actor.customer_id
    else:
        require_role(actor, *STAFF)
    if state is not None and state not in set(InvoiceState):
        raise invalid(f"unknown invoice state '{state}'", field="state")
    with uow() as s:
        q = select(Invoice).order_by(Invoice.id)
        if customer_id is not None:
            q = q.where(Invoice.customer_id == customer_id)
        if state:
            q = q.where(Invoice.state == state)
        return [invoice_view(s, inv) for inv in s.scalars(q.limit(1000))]


def payment_amount(value) -> Decimal:
    """A payment's amount, refused unless positive and plausible."""
    try:
        amount = money(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        raise invalid("the amount is not a number", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise invalid("the amount must be positive and plausible", field="amount")
    return amount


def payment_method(method: str) -> str:
    if method not in METHODS:
        raise invalid(f"unknown payment method '{method}'", field="method", allowed=sorted(METHODS))
    return method


def payment_reference(reference: str | None) -> str | None:
    """The cheque number, bank or UPI reference of a payment, if given."""
    return fields.text(reference, "reference", max_len=80, required=False, what="payment reference")


def payment_date(received_on: date | None, *, today: date | None = None) -> date:
    """The day a payment was received: today by default, never in the future,
    and within the books' open year (so the ledger, the ageing and the
    statement all see it)."""
    today = today or date.today()
    on = received_on or today
    if on > today:
        raise invalid("a payment cannot be received in the future", field="received_on", latest=today.isoformat())
    if on < today - BACKDATE_LIMIT:
        raise invalid(f"a payment more than {BACKDATE_LIMIT.days} days back is outside the open books; "
                      "ask an accountant to post it as a journal", field="received_on",
                      earliest=(today - BACKDATE_LIMIT).isoformat())
    return on


def receipt_with_key(s: Session, key: str | None) -> Receipt | None:
    """The receipt an idempotency key already recorded, if any."""
    return s.scalar(select(Receipt).where(Receipt.idempotency_key == key)) if key else None


def replay_receipt(s: Session, existing: Receipt, invoice_ref: str, amount: Decimal) -> ReceiptView:
    """A retried payment: the first receipt, if the retry asks for the same thing."""
    inv = s.get(Invoice, existing.invoice_id)
    if parse(invoice_ref) != ("INV", existing.invoice_id) or existing.amount != amount:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for a different payment")
    return ReceiptView(existing.number, inv.number, existing.amount, existing.method, existing.received_on,
                       owed(s, inv), created=False)


def take_payment(s: Session, actor: Actor, inv: Invoice, *, amount: Decimal, method: str, reference: str | None,
                 on: date, key: str | None, debit_account: str | None = None,
                 debit_party: tuple[str, int] | None = None) -> ReceiptView:
    """B12 / D6 inside the caller's transaction: the receipt and its voucher;
    the invoice moves to ``paid`` when nothing is left. What a paid invoice
    settles elsewhere is ``backend.processes.payments``' business.
    ``debit_account`` (with ``debit_party``, a (party_type, party_id)): where the
    money went instead of the method's account, e.g. a technician's cash in
    hand (``backend.banking.cash``)."""
    if inv.state == InvoiceState.CANCELLED:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{inv.number} is cancelled; nothing is due on it",
                          current=inv.state)
    due = owed(s, inv)
    if amount > due:
        raise DomainError(ErrorCode.OVERPAYMENT, f"only {due} is outstanding on {inv.number}",
                          outstanding=str(due), amount=str(amount))
    receipt = Receipt(invoice_id=inv.id, customer_id=inv.customer_id, amount=amount, method=method,
                      reference=reference, received_on=on, idempotency_key=key, recorded_by=actor.user_id)
    s.add(receipt)
    assign_number(s, receipt, "RC")
    voucher = post_voucher(
        s, kind=VoucherKind.RECEIPT, on=on, narration=f"Receipt {receipt.number} against {inv.number}",
        lines=[Line(debit_account or METHODS[method], debit=amount,
                    party_type=debit_party[0] if debit_party else None,
                    party_id=debit_party[1] if debit_party else None),
               Line(chart.RECEIVABLE, credit=amount, party_type="customer", party_id=inv.customer_id,
                    invoice_id=inv.id)],
        actor=actor, source_type="receipt", source_id=receipt.id, invoice=inv,
    )
    receipt.voucher_id = voucher.id
    remaining = money(due - amount)
    notify(s, event="payment_received", subject_type="invoice", subject_id=inv.id, customer_id=inv.customer_id,
           invoice=inv.number, receipt=receipt.number, amount=str(amount), outstanding=str(remaining))
    if remaining == 0:
        move(s, INVOICE_MOVES, inv, InvoiceState.PAID, actor, entity_type="invoice")
    return ReceiptView(receipt.number, inv.number, amount, method, on, remaining, created=True)


def add_follow_up(uow: UnitOfWork, actor: Actor, *, invoice_ref: str, note: str, next_on: date | None = None,
                  idempotency_key: str | None = None) -> FollowUpView:
    """B11: a collection follow-up on an unpaid invoice (and its reminder to the
    customer); a retry with the same idempotency key answers with the first."""
    require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    note = fields.text(note, "note", max_len=2000, multiline=True, what="follow-up note")
    with uow() as s:
        once = idempotency.claim(s, actor, "billing.add_follow_up", idempotency_key, invoice=normalise(invoice_ref),
                                 note=note, next_on=next_on)
        if once.replay is not None:
            f = s.get(CollectionFollowUp, int(once.replay))
            return FollowUpView(load_invoice(s, actor, invoice_ref).number, f.note, f.next_on, f.at, created=False)
        inv = load_invoice(s, actor, invoice_ref)
        if inv.state != InvoiceState.OPEN:
            raise DomainError(ErrorCode.ALREADY_DONE, f"{inv.number} is {inv.state}; nothing to collect")
        if next_on and next_on < date.today():
            raise invalid("the next follow-up date is in the past", field="next_on")
        f = CollectionFollowUp(invoice_id=inv.id, by_user=actor.user_id, note=note, next_on=next_on)
        s.add(f)
        s.flush()
        notify(s, event="payment_reminder", subject_type="invoice", subject_id=inv.id, customer_id=inv.customer_id,
               invoice=inv.number, outstanding=str(owed(s, inv)))
        once.done(f.id)
        return FollowUpView(inv.number, note, next_on, f.at)


@dataclass(frozen=True)
class CollectionDue:
    invoice_number: str
    customer_id: int
    due_on: date  # the oldest unpaid due date: the invoice's, or of its oldest instalment still owed
    outstanding: Decimal  # what is due by the day asked about (in instalments: the parts due by then)
    days_overdue: int
    last_follow_up: datetime | None
    next_follow_up: date | None
    balance: Decimal | None = None  # all that is still owed on the invoice, due or not


def collections_due(uow: UnitOfWork, actor: Actor, *, as_of: date | None = None) -> list[CollectionDue]:
    """Open invoices with money due by ``as_of``. An invoice in instalments
    counts only the instalments due by then (receipts pay the oldest first),
    aged from the oldest one still owed; its later instalments are not due."""
    require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    as_of = as_of or date.today()
    last = (select(CollectionFollowUp.invoice_id, func.max(CollectionFollowUp.at).label("at"),
                   func.max(CollectionFollowUp.next_on).label("next_on"))
            .group_by(CollectionFollowUp.invoice_id).subquery())
    with uow() as s:
        rows = s.execute(
            select(Invoice.id, Invoice.number, Invoice.customer_id, Invoice.due_on,
                   InvoiceBalance.balance, last.c.at, last.c.next_on)
            .join(InvoiceBalance, InvoiceBalance.invoice_id == Invoice.id)
            .join(last, last.c.invoice_id == Invoice.id, isouter=True)
            .where(Invoice.state == InvoiceState.OPEN, Invoice.due_on <= as_of)  # no part falls due before it
            .order_by(Invoice.due_on, Invoice.id)
        ).all()
        plans = dues.schedules(s, [r[0] for r in rows])
    out = []
    for invoice_id, n, c, d, balance, at, nx in rows:
        balance = money(balance)
        due, oldest = dues.due_by(dues.owed_parts(balance, d, plans.get(invoice_id)), as_of)
        if due <= 0:
            continue
        out.append(CollectionDue(n, c, oldest, due, (as_of - oldest).days, at, nx, balance))
    out.sort(key=lambda r: (r.due_on, r.invoice_number))
    return out
