"""Human references (``SR-000123``, ``JB-000045``...) and their lookup.

A reference is the row's prefix plus its id, assigned right after the insert,
so it never collides and needs no counter table.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

PREFIXES: dict[str, str] = {
    "SR": "service_requests",
    "TK": "tickets",
    "JB": "jobs",
    "INV": "invoices",
    "RC": "receipts",
    "EC": "expense_claims",
    "CT": "contracts",
    "VO": "vouchers",
    "SO": "service_orders",
    "RO": "repair_orders",
}

_REF = re.compile(r"^\s*([A-Za-z]{2,3})[-\s]?0*(\d{1,9})\s*$")


def assign_number(session: Session, row, prefix: str) -> str:
    session.flush()
    row.number = f"{prefix}-{row.id:06d}"
    return row.number


def parse(reference: str) -> tuple[str, int] | None:
    m = _REF.match(reference or "")
    if not m:
        return None
    prefix = m.group(1).upper()
    if prefix not in PREFIXES:
        return None
    return prefix, int(m.group(2))


def normalise(reference: str) -> str | None:
    parsed = parse(reference)
    return f"{parsed[0]}-{parsed[1]:06d}" if parsed else None


def customer_of_reference(session: Session, reference: str) -> int | None:
    from backend.billing.models import Invoice, Receipt
    from backend.coverage.models import Contract
    from backend.intake.models import ServiceRequest, Ticket
    from backend.jobs.models import Job
    from backend.orders.models import ServiceOrder
    from backend.repairs.models import RepairOrder

    parsed = parse(reference)
    if not parsed:
        return None
    model = {
        "SR": ServiceRequest, "TK": Ticket, "JB": Job, "INV": Invoice, "RC": Receipt, "CT": Contract,
        "SO": ServiceOrder, "RO": RepairOrder,
    }.get(parsed[0])
    if model is None:
        return None
    row = session.get(model, parsed[1])
    return row.customer_id if row is not None else None
