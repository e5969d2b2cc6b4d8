"""What the desk prints and the portal serves as PDF: a contract's offer (C3)
and order acceptance (C5) with their delivery plan, and any customer's
account statement for staff (E7). Rendering stays in ``backend.documents.pdf``;
these use cases load what it needs, with the caller's access checked (a
customer: only their own contracts, someone else's answers not_found)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from backend.customers.models import Customer
from backend.customers.service import CustomerView, customer_view
from backend.db import UnitOfWork
from backend.documents.notices import contract_document
from backend.documents.pdf import ContractDocument
from backend.errors import invalid, not_found
from backend.identity.actor import STAFF, SYSTEM, Actor, require_role
from backend.ledger import service as ledger
from backend.ledger.service import Statement


@dataclass(frozen=True)
class ContractPrint:
    document: ContractDocument
    customer: CustomerView
    filename: str


@dataclass(frozen=True)
class StatementPrint:
    statement: Statement
    customer: CustomerView
    filename: str


def contract_print(uow: UnitOfWork, actor: Actor, *, contract_ref: str, accepted: bool,
                   version: int | None = None) -> ContractPrint:
    """The offer (a version, else the latest) or the order acceptance of a
    contract; an acceptance before the contract is accepted is not_found."""
    if version is not None and not (isinstance(version, int) and 1 <= version <= 999):
        raise invalid("the offer version is a whole number from 1", field="version")
    with uow() as s:
        doc = contract_document(s, actor, contract_ref=contract_ref, accepted=accepted, version=version)
        if accepted and not doc.accepted:
            raise not_found("order acceptance of contract", doc.contract.number)
        if version is not None and not accepted and doc.offer.version != version:
            raise not_found(f"offer v{version} of contract", doc.contract.number)
        customer = customer_view(s, SYSTEM, customer_id=doc.contract.customer_id)  # access checked on the contract
        kind = "order-acceptance" if doc.accepted else f"offer-v{doc.offer.version}"
        return ContractPrint(doc, customer, f"{doc.contract.number}-{kind}.pdf")


def statement_print(uow: UnitOfWork, actor: Actor, *, customer_code: str, start: date | None = None,
                    end: date | None = None) -> StatementPrint:
    """E7 at the counter: any customer's account statement, by their code (staff)."""
    require_role(actor, *STAFF)
    code = (customer_code or "").strip()
    if not code or len(code) > 20:
        raise invalid("give the customer's code", field="customer_code")
    with uow() as s:
        row = s.scalar(select(Customer.id).where(func.upper(Customer.code) == code.upper()))
        if row is None:
            raise not_found("customer", code)
        customer = customer_view(s, actor, customer_id=row)
    st = ledger.party_statement(uow, actor, party_type="customer", party_id=customer.id, start=start, end=end)
    return StatementPrint(st, customer, f"statement-{customer.code}.pdf")
