"""Online payment gateways: one interface, and what an event they deliver does.

A gateway (``Gateway``) checks a webhook delivery's signature and reads its
body into a ``GatewayEvent``; :func:`handle_gateway_event` applies it in one
transaction:

- the signature does not verify → refused (``unauthenticated``), nothing
  written, one warning in the log;
- ``captured`` → a receipt on the invoice the payment names, through the
  same billing steps as a receipt an agent records (``payments.record_receipt``),
  as the system, with the idempotency key ``<gateway>:<payment id>``; the
  payment that clears the invoice settles its job, order or repair. An
  unknown invoice, a payment in another currency or more than is due posts
  nothing and is kept as ``needs_attention`` for an agent;
- ``failed`` → kept (``recorded``) for an agent to see, nothing posted;
- ``refunded`` → the refund is posted (``credit_notes.refund``, reference
  the gateway's refund id) when the customer is in credit on the invoice the
  refunded payment paid, by at least the refund (a credit note came first);
  otherwise kept as ``needs_attention``, nothing posted: the agent issues the
  credit note and records the refund from the invoice's page;
- anything else the gateway sends → ``ignored``, nothing kept.

Every event kept is one ``gateway_events`` row (the log and the idempotency
record): a second delivery of the same event finds it and answers
"already recorded" without doing anything again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.billing import credit_notes
from backend.billing import service as billing
from backend.billing.models import Invoice, InvoiceState, Receipt
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import SYSTEM
from backend.processes.models import GatewayEvent as EventRow
from backend.processes.models import GatewayEventState as State
from backend.processes.payments import settle_source

log = logging.getLogger("backend.processes.gateway")

KINDS = ("captured", "failed", "refunded", "ignored")


@dataclass(frozen=True)
class GatewayEvent:
    """One delivery, read: what happened (``kind``) to which payment, for which
    of our invoices (``invoice_ref``, as the payment link or QR put it), how
    much in rupees and how it was paid (our receipt method: upi, card, bank)."""

    gateway: str
    event: str  # the gateway's own name for it, e.g. payment.captured
    kind: str  # captured | failed | refunded | ignored
    payment_id: str | None
    object_id: str | None  # the payment's id, or the refund's for a refund
    invoice_ref: str | None
    amount: Decimal | None
    currency: str | None
    method: str | None
    event_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Gateway(Protocol):
    """What an online payment gateway's webhook adapter provides."""

    name: str

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """True when the delivery carries a valid signature of exactly these bytes."""

    def parse(self, raw_body: bytes, headers: Mapping[str, str] | None = None) -> GatewayEvent:
        """The event in a verified body; ``DomainError(malformed_request)`` if it cannot be read."""


@dataclass(frozen=True)
class GatewayOutcome:
    gateway: str
    event: str
    kind: str  # captured | failed | refunded | ignored
    state: str  # applied | recorded | needs_attention | ignored
    payment_id: str | None
    invoice_number: str | None
    amount: Decimal | None
    receipt_number: str | None
    note: str
    created: bool  # false: this event had been recorded before; nothing was done again


def handle_gateway_event(uow: UnitOfWork, *, gateway: Gateway, raw_body: bytes,
                         headers: Mapping[str, str]) -> GatewayOutcome:
    """A webhook delivery from an online payment gateway, in one transaction
    (see the module's docstring). The signature is the authentication: there
    is no logged-in actor; what is posted is posted as the system."""
    if not gateway.verify(raw_body, headers):
        log.warning("%s webhook refused: the signature does not verify (%d bytes, nothing recorded)",
                    gateway.name, len(raw_body))
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"the {gateway.name} webhook signature does not verify")
    ev = gateway.parse(raw_body, headers)
    if ev.kind == "ignored":
        log.info("%s webhook: event %s ignored", gateway.name, ev.event)
        return GatewayOutcome(ev.gateway, ev.event, ev.kind, "ignored", ev.payment_id, None, ev.amount, None,
                              f"{ev.event} is not an event we act on", created=False)
    if not ev.payment_id or not ev.object_id:
        raise DomainError(ErrorCode.MALFORMED, f"the {ev.event} event names no payment")
    try:
        with uow() as s:
            existing = _recorded(s, ev)
            if existing is not None:
                return _outcome(s, existing, created=False)
            row = _apply(s, ev)
            s.flush()
            return _outcome(s, row, created=True)
    except IntegrityError:
        # A concurrent delivery of the same event won the race: answer with its row.
        with uow() as s:
            existing = _recorded(s, ev)
            if existing is None:
                raise
            return _outcome(s, existing, created=False)


def _recorded(s: Session, ev: GatewayEvent) -> EventRow | None:
    return s.scalar(select(EventRow).where(EventRow.gateway == ev.gateway, EventRow.kind == ev.kind,
                                           EventRow.object_id == ev.object_id))


def _apply(s: Session, ev: GatewayEvent) -> EventRow:
    row = EventRow(gateway=ev.gateway, event_id=ev.event_id, event=ev.event, kind=ev.kind, object_id=ev.object_id,
                   payment_id=ev.payment_id, invoice_ref=ev.invoice_ref, amount=ev.amount, currency=ev.currency,
                   method=ev.method, payload=ev.raw or None, **_decide(s, ev))
    s.add(row)
    return row


def _decide(s: Session, ev: GatewayEvent) -> dict[str, Any]:
    """The state and note of a new event, posting the receipt of a captured payment."""
    if ev.kind == "failed":
        return {"state": State.RECORDED, "note": "the payment failed; nothing was posted"}
    if ev.kind == "refunded":
        return _refund(s, ev)
    # captured
    if ev.currency != "INR":
        return _attention(f"a payment in {ev.currency or 'no currency'}, not INR; nothing was posted")
    if ev.amount is None or ev.amount <= 0:
        return _attention("the payment has no positive amount; nothing was posted")
    if not ev.invoice_ref:
        return _attention("the payment names no invoice (notes.invoice); nothing was posted")
    key = f"{ev.gateway}:{ev.payment_id}"
    try:
        inv = billing.load_invoice(s, SYSTEM, ev.invoice_ref, lock=True)
        amount = billing.payment_amount(ev.amount)
    except DomainError as exc:  # an unknown invoice, an implausible amount: nothing written yet
        return _attention(f"not posted ({exc.code}): {exc.message}")
    if billing.receipt_with_key(s, key) is not None:
        return _attention(f"a receipt with the key {key} exists already; nothing was posted again")
    try:
        receipt = billing.take_payment(s, SYSTEM, inv, amount=amount, method=ev.method or "bank",
                                       reference=ev.payment_id[:80], on=billing.payment_date(None), key=key)
    except DomainError as exc:
        if exc.code != ErrorCode.OVERPAYMENT:  # anything else may come after a write: roll it all back
            raise
        # take_payment refuses more than is due before it writes anything: kept for an agent instead.
        return _attention(f"not posted (overpayment): {exc.message}")
    if inv.state == InvoiceState.PAID:
        settle_source(s, inv, SYSTEM)
    receipt_row = billing.receipt_with_key(s, key)
    return {"state": State.APPLIED, "receipt_id": receipt_row.id,
            "note": f"receipt {receipt.number} on {inv.number}; {receipt.invoice_outstanding} outstanding"}


def _refund(s: Session, ev: GatewayEvent) -> dict[str, Any]:
    paid = billing.receipt_with_key(s, f"{ev.gateway}:{ev.payment_id}")
    if paid is None:
        return _attention("a refund at the gateway of a payment we have no receipt for; nothing was posted "
                          "(if it was ours, issue the credit note and record the refund on the invoice's page)")
    inv = s.scalar(select(Invoice).where(Invoice.id == paid.invoice_id).with_for_update())
    in_credit = -billing.owed(s, inv)
    if ev.amount is None or ev.amount <= 0 or ev.currency != "INR":
        return _attention("the refund has no positive amount in INR; nothing was posted")
    if in_credit < ev.amount:
        return _attention(f"a refund of {ev.amount} at the gateway on {inv.number}, which has {max(in_credit, 0)} "
                          "in credit: issue the credit note first, then record the refund on the invoice's page "
                          "(nothing was posted)")
    refund = credit_notes.refund(s, SYSTEM, inv, amount=ev.amount, method=paid.method, reference=ev.object_id[:80],
                                 on=billing.payment_date(None), key=f"{ev.gateway}:{ev.object_id}")
    return {"state": State.APPLIED, "note": f"refund {refund.number} on {inv.number}"}


def _attention(note: str) -> dict[str, Any]:
    return {"state": State.NEEDS_ATTENTION, "note": note[:400]}


def _outcome(s: Session, row: EventRow, *, created: bool) -> GatewayOutcome:
    receipt_number = None
    invoice_number = row.invoice_ref
    if row.receipt_id is not None:
        receipt = s.get(Receipt, row.receipt_id)
        receipt_number = receipt.number
        invoice_number = s.get(Invoice, receipt.invoice_id).number
    note = row.note or ""
    if not created:
        note = f"already recorded: {note}"
    return GatewayOutcome(row.gateway, row.event, row.kind, str(row.state), row.payment_id, invoice_number,
                          row.amount, receipt_number, note, created=created)
