"""Money a technician collects at the door, and the bank deposits of that cash
(issue 14 item 3): each a use case in one transaction.

``record_collection`` is the technician's (the phone page, the API, and the
chat's "collected 1,200 cash for JB-…": plain arguments, the amount as text or
Decimal). It finds the job's open invoice, issues the customer's receipt
through billing (cash to the technician's cash in hand, UPI to the bank) and,
when the invoice is then paid, settles what it was raised for, like any other
payment (``backend.processes.payments.settle_source``).

``record_deposit`` is the office's (agent, manager, admin): the cash of one or
more collections paid into the bank with the slip reference, one journal
voucher. See ``backend.banking.cash`` for the postings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend import idempotency
from backend.banking import cash
from backend.banking.cash import CashInHand, CollectionView, DepositView
from backend.banking.models import Collection, Deposit
from backend.billing import service as billing
from backend.billing.models import Invoice, InvoiceState
from backend.customers.models import Customer
from backend.db import UnitOfWork, money
from backend.errors import DomainError, ErrorCode, invalid
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role
from backend.jobs.models import Job
from backend.jobs.views import load_job
from backend.processes.payments import settle_source

MAX_ROWS = 500


def record_collection(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, amount, method: str, reference: str | None = None,
    collected_on: date | str | None = None, idempotency_key: str | None = None,
) -> CollectionView:
    """The technician took ``amount`` in ``method`` (cash or upi) against the
    open invoice of their job ``job_ref``. Refused, with nothing changed:
    another technician's job or an unknown one (``not_found``), a job with no
    invoice yet (``conflict``), an invoice already paid (``already_done``),
    more than is due (``overpayment``), a bad amount, method or day
    (``invalid_input``). With an idempotency key a retry answers with the first
    collection (``created=False``)."""
    require_role(actor, Role.TECHNICIAN)
    amount = billing.payment_amount(_plain_amount(amount))
    method = cash.collection_method(method)
    given_on = collected_on
    collected_on = cash.collection_date(collected_on)
    reference = billing.payment_reference(reference)
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)  # someone else's job: not_found
        once = idempotency.claim(s, actor, "collections.record_collection", idempotency_key,
                                 job=job.number, amount=amount, method=method, reference=reference,
                                 collected_on=str(given_on) if given_on else None)
        if once.replay is not None:
            first = s.get(Collection, int(once.replay))
            return replace(cash.collection_views(s, [first])[0], created=False)
        inv = _open_invoice(s, job)
        due = billing.owed(s, inv)
        if amount > due:
            raise DomainError(ErrorCode.OVERPAYMENT, f"only {due} is due on {inv.number} for {job.number}",
                              field="amount", outstanding=str(due), amount=str(amount), invoice=inv.number)
        row = cash.collect(s, actor, inv, job_id=job.id, technician_id=actor.user_id, amount=amount, method=method,
                           reference=reference, on=collected_on)
        if inv.state == InvoiceState.PAID:
            settle_source(s, inv, actor)
        once.done(row.id)
        return cash.collection_views(s, [row])[0]


def _plain_amount(amount):
    """As said in chat or typed on a phone: "1,200", "₹ 1,20,000.50" (commas and the rupee sign dropped)."""
    if isinstance(amount, str):
        return amount.replace(",", "").replace("₹", "").strip()
    return amount


def _open_invoice(s: Session, job: Job, *, lock: bool = True) -> Invoice:
    """The invoice a collection on ``job`` pays: its own invoice, or the service
    order's it delivers (invoiced up front); the oldest one with money due. Locked."""
    raised = [(Invoice.source_type == "job") & (Invoice.source_id == job.id)]
    if job.order_id is not None:
        raised.append((Invoice.source_type == "order") & (Invoice.source_id == job.order_id))
    q = select(Invoice).where(or_(*raised)).order_by(Invoice.issued_on, Invoice.id)
    invoices = list(s.scalars(q.with_for_update() if lock else q))
    if not invoices:
        raise DomainError(ErrorCode.CONFLICT, f"{job.number} has no invoice yet: ask the office to bill it first",
                          job=job.number, reason="no_invoice")
    for inv in invoices:
        if inv.state == InvoiceState.OPEN and billing.owed(s, inv) > 0:
            return inv
    raise DomainError(ErrorCode.ALREADY_DONE, f"nothing is due on {job.number}: "
                      f"{', '.join(i.number for i in invoices)} {'is' if len(invoices) == 1 else 'are'} paid",
                      job=job.number, invoice=invoices[-1].number, outstanding="0.00")



def record_deposit(
    uow: UnitOfWork, actor: Actor, *, collection_numbers, slip_reference: str, deposited_on: date | str | None = None,
    idempotency_key: str | None = None,
) -> DepositView:
    """The cash of these collections (CL-…) was paid into the bank on
    ``deposited_on`` (today by default) with this deposit slip: a journal
    voucher Dr bank, Cr cash with technicians per technician. Refused, with
    nothing changed: an unknown collection (``not_found``), a UPI one or one
    that would leave a technician's cash in hand negative (``conflict``), one
    already deposited (``already_done``), a day in the future or before a
    collection (``invalid_input``)."""
    require_role(actor, *STAFF)
    numbers = cash.collection_numbers(collection_numbers)
    slip = cash.slip_reference(slip_reference)
    given_on = deposited_on
    on = cash.deposit_date(deposited_on)
    with uow() as s:
        once = idempotency.claim(s, actor, "collections.record_deposit", idempotency_key,
                                 collections=sorted(numbers), slip=slip,
                                 deposited_on=str(given_on) if given_on else None)
        if once.replay is not None:
            first = s.get(Deposit, int(once.replay))
            return replace(cash.deposit_views(s, [first])[0], created=False)
        dep = cash.deposit(s, actor, numbers=numbers, slip=slip, on=on)
        once.done(dep.id)
        return cash.deposit_views(s, [dep])[0]


@dataclass(frozen=True)
class JobDue:
    """What a technician may collect on a job: its open invoice and what is due."""

    job_number: str
    job_state: str
    customer_name: str
    invoice_number: str | None  # the open invoice a collection pays (None: nothing to collect on)
    invoice_total: Decimal | None
    outstanding: Decimal  # what may be collected now (0.00 with no open invoice)
    reason: str | None  # why nothing may be collected: no_invoice | paid
    collections: list[CollectionView]  # the collections already made on the job
    cash_in_hand: Decimal  # the assigned technician's cash in hand


def collection_due(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobDue:
    """The open invoice of a job and what is due on it, with the collections
    made on it: the technician's own job (another's: ``not_found``), or staff."""
    if actor.role != Role.TECHNICIAN:
        require_role(actor, *STAFF)
    with uow() as s:
        job = load_job(s, actor, job_ref)
        inv, reason = None, None
        try:
            inv = _open_invoice(s, job, lock=False)
        except DomainError as exc:
            reason = "no_invoice" if exc.code == ErrorCode.CONFLICT else "paid"
        customer = s.get(Customer, job.customer_id)
        held = cash.cash_balances(s, [job.technician_id]).get(job.technician_id, money(0)) if job.technician_id \
            else money(0)
        return JobDue(job.number, job.state, customer.name if customer else "", inv.number if inv else None,
                      inv.total if inv else None, billing.owed(s, inv) if inv else money(0), reason,
                      cash.list_collections(s, job_id=job.id), held)


def cash_in_hand(uow: UnitOfWork, actor: Actor, *, technician_id: int | None = None) -> list[CashInHand]:
    """Each technician's cash in hand (from the ledger) with their undeposited
    collections; a technician sees only their own."""
    technician_id = _whose(actor, technician_id)
    with uow() as s:
        return cash.cash_in_hand(s, technician_id)


def list_collections(uow: UnitOfWork, actor: Actor, *, technician_id: int | None = None, job_ref: str | None = None,
                     undeposited: bool = False, limit: int | None = None) -> list[CollectionView]:
    """Collections, the newest first (``undeposited``: cash not yet deposited,
    the oldest first); a technician sees only their own."""
    technician_id = _whose(actor, technician_id)
    limit = _limit(limit)
    with uow() as s:
        job_id = load_job(s, actor, job_ref).id if job_ref else None
        return cash.list_collections(s, technician_id=technician_id, job_id=job_id, undeposited=undeposited,
                                     limit=limit)


def list_deposits(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                  limit: int | None = None) -> list[DepositView]:
    """Bank deposits of technicians' cash, the latest first."""
    require_role(actor, *STAFF)
    if start and end and start > end:
        raise invalid("the start date is after the end date", field="start")
    limit = _limit(limit)
    with uow() as s:
        return cash.list_deposits(s, start=start, end=end, limit=limit)


def _whose(actor: Actor, technician_id: int | None) -> int | None:
    if actor.role == Role.TECHNICIAN:
        return actor.user_id  # their own, whatever was asked
    require_role(actor, *STAFF)
    if technician_id is not None and (isinstance(technician_id, bool) or not isinstance(technician_id, int)):
        raise invalid("technician_id must be a whole number", field="technician_id")
    return technician_id


def _limit(limit: int | None) -> int:
    if limit is None:
        return MAX_ROWS
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise invalid(f"limit must be a whole number from 1 to {MAX_ROWS}", field="limit")
    return limit


__all__ = ["JobDue", "cash_in_hand", "collection_due", "list_collections", "list_deposits", "record_collection",
           "record_deposit"]
