"""Which document goes with which notice: what the process card says is
*sent* to the customer carries its PDF.

- a bill (B9 ``final_bill``), a service order's invoice (D3
  ``order_invoice``), a contract invoice (C6 ``contract_invoice``) and a
  repair's invoice (E6 ``repair_ready``, ``repair_invoice``) → the invoice;
- a contract offer (C3 ``contract_offer``) and the order acceptance (C5
  ``order_acceptance``) → the contract document;
- a completed job (B6 ``job_resolved``) → its completion report (work,
  parts, photos, signature, times: ``backend.documents.completion``).

Everything is loaded in the caller's transaction, as the system (the
notice was already addressed to the person allowed to read it), and
rendered as it stands when the notice is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.billing.invoicing import supply_for
from backend.billing.models import Invoice
from backend.billing.queries import invoice_of_notice
from backend.catalog.models import Item, Product
from backend.coverage.models import (
    CoverageType,
    CoveredItem,
    Instalment,
    OfferState,
    PlannedVisit,
    VisitState,
)
from backend.coverage.service import contract_view, load_contract
from backend.customers.service import customer_view
from backend.documents.completion import completion_document, completion_pdf, default_zone
from backend.documents.pdf import (
    ContractDocument,
    CoveredLine,
    InstalmentLine,
    contract_pdf,
    invoice_pdf,
)
from backend.documents.invoices import tax_invoice
from backend.errors import DomainError, not_found
from backend.identity.actor import SYSTEM, Actor
from backend.references import format_reference

INVOICE_EVENTS = frozenset({"final_bill", "order_invoice", "contract_invoice", "repair_invoice", "repair_ready"})
CONTRACT_EVENTS = frozenset({"contract_offer", "order_acceptance"})
COMPLETION_EVENT = "job_resolved"  # the job's completion report: work, parts, photos, signature, times
PDF = "application/pdf"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def documents_for(s: Session, *, event: str, subject_type: str, subject_id: int, payload: dict[str, Any],
                  currency: str, upload_dir: Path | None = None) -> list[Attachment]:
    """The documents a notice carries (none for most notices). ``upload_dir``:
    where the job photos and signatures of a completion report are kept."""
    if event == COMPLETION_EVENT and subject_type == "job":
        try:
            doc = completion_document(s, SYSTEM, job_ref=format_reference("JB", subject_id), upload_dir=upload_dir)
        except DomainError:
            return []
        return [Attachment(f"{doc.job.number}-completion-report.pdf", PDF, completion_pdf(doc, default_zone()))]
    if event in INVOICE_EVENTS:
        inv = invoice_of_notice(s, subject_type=subject_type, subject_id=subject_id, payload=payload)
        if inv is None:
            return []  # e.g. a repair with nothing to pay: no invoice was issued
        doc = tax_invoice(s, inv)
        return [Attachment(f"{doc.invoice.number}.pdf", PDF,
                           invoice_pdf(doc.invoice, doc.customer, currency, doc.payment, doc.company))]
    if event in CONTRACT_EVENTS:
        ref = payload.get("contract") or (format_reference("CT", subject_id) if subject_type == "contract" else None)
        if not ref:
            return []
        version = payload.get("version")
        try:
            doc = contract_document(s, SYSTEM, contract_ref=str(ref), accepted=event == "order_acceptance",
                                    version=int(version) if version not in (None, "") else None)
        except DomainError:
            return []
        customer = customer_view(s, SYSTEM, customer_id=doc.contract.customer_id)
        kind = "order-acceptance" if doc.accepted else f"offer-v{doc.offer.version}"
        return [Attachment(f"{doc.contract.number}-{kind}.pdf", PDF, contract_pdf(doc, customer, currency))]
    return []




def contract_document(s: Session, actor: Actor, *, contract_ref: str, accepted: bool,
                      version: int | None = None) -> ContractDocument:
    """A contract's offer (the given version, else the latest; the latest
    carries the drafted delivery plan) or its order acceptance (the accepted
    offer, its instalments and its delivery plan)."""
    c = load_contract(s, actor, contract_ref)
    view = contract_view(s, c)
    if not view.offers:
        raise not_found("offer of contract", view.number)
    offer = None
    if accepted:
        offer = next((o for o in reversed(view.offers) if o.state == OfferState.ACCEPTED), None)
    if offer is None and version is not None:
        offer = next((o for o in view.offers if o.version == version), None)
    offer = offer or view.offers[-1]
    accepted = accepted and offer.state == OfferState.ACCEPTED
    ctype = s.get(CoverageType, offer.type_code)
    items = [CoveredLine(serial, product) for serial, product in s.execute(
        select(Item.serial, Product.name).join(CoveredItem, CoveredItem.item_id == Item.id)
        .join(Product, Product.id == Item.product_id).where(CoveredItem.contract_id == c.id).order_by(Item.serial))]
    instalments: list[InstalmentLine] = []
    visits = []
    if accepted:
        invoice = s.scalar(select(Invoice.id).where(Invoice.source_type == "contract", Invoice.source_id == c.id))
        if invoice is not None:
            instalments = [InstalmentLine(i.seq, i.due_on, i.amount) for i in s.scalars(
                select(Instalment).where(Instalment.invoice_id == invoice).order_by(Instalment.seq))]
    if accepted or offer.version == view.offers[-1].version:
        # the delivery plan: the draft sent with the open offer, or the accepted plan (C2)
        visits = list(s.scalars(select(PlannedVisit.due_on).where(
            PlannedVisit.contract_id == c.id,
            PlannedVisit.state.notin_([VisitState.REMOVED, VisitState.CARRIED_OVER]))
            .order_by(PlannedVisit.due_on, PlannedVisit.id)))
    return ContractDocument(
        contract=view, offer=offer, accepted=accepted, type_name=ctype.name if ctype else offer.type_code,
        covers_labour=bool(ctype and ctype.covers_labour), covers_parts=bool(ctype and ctype.covers_parts),
        items=items, instalments=instalments, visits=visits,
        intra_state=supply_for(s, c.customer_id).intra_state,
    )
