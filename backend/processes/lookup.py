"""What a reference a customer quotes stands for: the job behind a request
or ticket number, and the current state of whatever it names (a request,
ticket, job, invoice, service order, repair order or contract). Someone
else's reference answers ``not_found``, exactly like an unknown one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.billing.service import InvoiceView, invoice_view, load_invoice
from backend.coverage.service import ContractView, contract_view, load_contract
from backend.db import UnitOfWork
from backend.errors import not_found
from backend.identity.actor import Actor
from backend.intake.service import RequestView, load_request, request_job, request_view
from backend.jobs.models import Job
from backend.jobs.views import JobView, job_view, load_job
from backend.orders.service import OrderView, load_order, order_view
from backend.references import parse
from backend.repairs.service import RepairView, load_repair, repair_view

REQUEST_PREFIXES = ("SR", "TK")  # a request, or the ticket it became: both lead to the request


def job_reference_for(uow: UnitOfWork, actor: Actor, *, reference: str) -> str:
    """The job number (``JB-…``) a job, request or ticket reference leads to,
    for the job use cases, which take only job numbers."""
    with uow() as s:
        return _job_of(s, actor, reference).number


Status = InvoiceView | JobView | RequestView | OrderView | RepairView | ContractView


def status_of(uow: UnitOfWork, actor: Actor, *, reference: str) -> Status:
    """The current view of what a reference names: an invoice, a job, a
    service order, a repair order, a contract, or a request (its job when it
    has one, which carries the visit time)."""
    prefix = _prefix(reference)
    with uow() as s:
        if prefix == "INV":
            return invoice_view(s, load_invoice(s, actor, reference))
        if prefix == "JB":
            return job_view(s, load_job(s, actor, reference))
        if prefix == "SO":
            return order_view(s, load_order(s, actor, reference))
        if prefix == "RO":
            return repair_view(s, load_repair(s, actor, reference))
        if prefix == "CT":
            return contract_view(s, load_contract(s, actor, reference))
        if prefix in REQUEST_PREFIXES:
            request = load_request(s, actor, reference)
            job = request_job(s, request)
            if job is None:
                return request_view(s, request, journey=True)
            return job_view(s, load_job(s, actor, job.number))
        raise not_found("request", reference)


def _job_of(s: Session, actor: Actor, reference: str) -> Job:
    if _prefix(reference) in REQUEST_PREFIXES:
        job = request_job(s, load_request(s, actor, reference))
        if job is None:
            raise not_found("job", reference)
        reference = job.number
    return load_job(s, actor, reference)


def _prefix(reference: str) -> str | None:
    parsed = parse(reference or "")
    return parsed[0] if parsed else None
