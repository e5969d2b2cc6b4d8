"""Who a reference belongs to, and an anonymous visitor proving who they are."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.billing.models import Invoice, Receipt
from backend.coverage.models import Contract
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.intake.models import ServiceRequest, Ticket
from backend.jobs.models import Job
from backend.orders.models import ServiceOrder
from backend.references import parse
from backend.repairs.models import RepairOrder

OWNED_BY_A_CUSTOMER = {
    "SR": ServiceRequest, "TK": Ticket, "JB": Job, "INV": Invoice, "RC": Receipt, "CT": Contract,
    "SO": ServiceOrder, "RO": RepairOrder,
}


def customer_of_reference(s: Session, reference: str) -> int | None:
    """The customer a reference (``JB-000045``, ``INV-…``) belongs to, if any."""
    parsed = parse(reference)
    model = OWNED_BY_A_CUSTOMER.get(parsed[0]) if parsed else None
    if model is None:
        return None
    row = s.get(model, parsed[1])
    return row.customer_id if row is not None else None


def identify_customer(uow: UnitOfWork, *, reference: str, contact: str, channel: str = "chat") -> Actor:
    """An anonymous chat visitor proves who they are with a reference number
    (request, job or invoice) plus the phone or e-mail on file."""
    contact = contact.strip().lower()
    with uow() as s:
        customer_id = customer_of_reference(s, reference)
        customer = s.get(Customer, customer_id) if customer_id else None
        known = set()
        if customer is not None:
            known = {(customer.email or "").lower(), _digits(customer.phone)}
            for u in s.scalars(select(User).where(User.customer_id == customer.id)):
                known |= {u.email.lower(), _digits(u.phone)}
        if customer is None or not contact or (contact not in known and _digits(contact) not in known - {""}):
            raise DomainError(ErrorCode.UNAUTHENTICATED, "that reference and contact do not match our records")
        return Actor(Role.CUSTOMER, None, customer.id, customer.name, channel)


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())[-10:]
