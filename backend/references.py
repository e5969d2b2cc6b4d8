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
    "CL": "collections",
    "DP": "deposits",
    "CN": "credit_notes",
    "RF": "refunds",
}

_REF = re.compile(r"^\s*([A-Za-z]{2,3})[-\s]?0*(\d{1,9})\s*$")


def format_reference(prefix: str, row_id: int) -> str:
    """``("TK", 7)`` → ``TK-000007``."""
    return f"{prefix}-{row_id:06d}"


def assign_number(session: Session, row, prefix: str) -> str:
    session.flush()
    row.number = format_reference(prefix, row.id)
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
    return format_reference(*parsed) if parsed else None
