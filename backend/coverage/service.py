"""Process C: contract inquiry → offer → acceptance (OA, invoice, instalments,
delivery plan) → renewal reminders → renewed or expired."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import idempotency
from backend.billing.invoicing import LineInput, issue_invoice, schedule_payments
from backend.billing.models import Invoice
from backend.catalog.items import serial_key
from backend.catalog.models import Item
from backend.coverage.lifecycle import CONTRACT_MOVES, OFFER_MOVES
from backend.coverage.models import (
    Contract, ContractOffer, ContractState, CoveredItem, Instalment, OfferState,
)
from backend.coverage.types import usable_type
from backend.coverage.visits import adopt_plan, draft_plan, live_visits
from backend.db import UnitOfWork, money, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import STAFF, SYSTEM, Actor, require_role
from backend.identity.models import Role
from backend.notifications.models import Notification
from backend.notifications.outbox import notify
from backend.references import assign_number, normalise, parse

RENEWAL_NOTICE_DAYS = 30
LAST_RENEWAL_NOTICE_DAYS = 7
MAX_CONTRACT_VALUE = Decimal("10000000")


@dataclass(frozen=True)
class OfferView:
    version: int
    type_code: str
    amount: Decimal
    tax_rate: Decimal
    starts_on: date
    ends_on: date
    visits_per_year: int
    instalments: int
    valid_until: date
    state: str


@dataclass(frozen=True)
class ContractView:
    number: str
    customer_id: int
    type_code: str
    state: str
    starts_on: date
    ends_on: date
    value: Decimal | None
    serials: list[str]
    offers: list[OfferView]
    invoice_number: str | None
    planned_visits: int
    renewal_of: str | None
    renewed_by: str | None
    created: bool = True  # False: a retry with the same idempotency key, answered with the first result


def contract_view(s: Session, c: Contract) -> ContractView:
    serials = s.scalars(select(Item.serial).join(CoveredItem, CoveredItem.item_id == Item.id)
                        .where(CoveredItem.contract_id == c.id).order_by(Item.serial)).all()
    offers = [OfferView(o.version, o.type_code, o.amount, o.tax_rate, o.starts_on, o.ends_on, o.visits_per_year,
                        o.instalments, o.valid_until, o.state)
              for o in s.scalars(select(ContractOffer).where(ContractOffer.contract_id == c.id)
                                 .order_by(ContractOffer.version))]
    invoice = s.scalar(select(Invoice.number).where(Invoice.source_type == "contract", Invoice.source_id == c.id))
    visits = len(live_visits(s, c.id))  # the plan as it stands (a draft until the offer is accepted)
    old = s.get(Contract, c.renewal_of_id) if c.renewal_of_id else None
    successor = s.scalar(select(Contract.number).where(Contract.renewal_of_id == c.id,
                                                       Contract.status.notin_([ContractState.REJECTED])))
    return ContractView(c.number, c.customer_id, c.type_code, c.status, c.starts_on, c.ends_on, c.value,
                        list(serials), offers, invoice, visits, old.number if old else None, successor)


def load_contract(s: Session, actor: Actor, ref: str, *, lock: bool = False) -> Contract:
    parsed = parse(ref)
    c = None
    if parsed and parsed[0] == "CT":
        q = select(Contract).where(Contract.id == parsed[1])
        c = s.scalar(q.with_for_update() if lock else q)
    if c is None or not (actor.is_staff or (actor.role == Role.CUSTOMER and actor.customer_id == c.customer_id)):
        raise not_found("contract", ref)
    return c


def _move(s: Session, c: Contract, target: ContractState, actor: Actor, note: str | None = None) -> None:
    move(s, CONTRACT_MOVES, c, target, actor, entity_type="contract", note=note, attr="status")


def start_inquiry(s: Session, actor: Actor, *, customer_id: int, type_code: str, item_ids: list[int],
                  site_id: int | None = None, renewal_of: Contract | None = None, note: str | None = None,
                  starts_on: date | None = None) -> Contract:
    """C1: a new contract in ``inquiry``, inside the caller's transaction (the
    period asked for: a year from ``starts_on``, by default today)."""
    usable_type(s, type_code)  # exists and is not retired
    today = starts_on or date.today()
    c = Contract(customer_id=customer_id, type_code=type_code, starts_on=today, ends_on=today + timedelta(days=364),
                 status=ContractState.INQUIRY, site_id=site_id, renewal_of_id=renewal_of.id if renewal_of else None,
                 notes=note)
    s.add(c)
    assign_number(s, c, "CT")
    for item_id in item_ids:
        s.add(CoveredItem(contract_id=c.id, item_id=item_id))
    record(s, entity_type="contract", entity_id=c.id, to_state=ContractState.INQUIRY, actor=actor,
           note=f"renewal of {renewal_of.number}" if renewal_of else None)
    return c


def open_inquiry(uow: UnitOfWork, actor: Actor, *, type_code: str, serials: list[str],
                 customer_id: int | None = None, note: str | None = None, starts_on: date | None = None,
                 idempotency_key: str | None = None) -> ContractView:
    """C1: a contract inquiry for some of the customer's serials (by the
    customer, or by staff for any customer: the agent's desk form), for a
    year from ``starts_on`` (default today; not in the past); a retry with
    the same idempotency key answers with the first inquiry."""
    if actor.role == Role.CUSTOMER:
        customer_id = actor.customer_id
    else:
        require_role(actor, *STAFF)
    if customer_id is None:
        raise invalid("say which customer the contract is for", field="customer_id")
    if starts_on is not None and not date.today() <= starts_on <= date.today() + timedelta(days=366):
        raise invalid("the period starts today or within the next year", field="starts_on")
    if not serials or len(serials) > 200:
        raise invalid("name the serials the contract should cover (1 to 200)", field="serials")
    with uow() as s:
        once = idempotency.claim(s, actor, "coverage.open_inquiry", idempotency_key, customer=customer_id,
                                 type_code=type_code, serials=sorted(set(serials)), note=note or None,
                                 starts_on=starts_on)
        if once.replay is not None:
            return replace(contract_view(s, load_contract(s, actor, once.replay)), created=False)
        keys = {serial_key(x): x for x in serials}
        items = s.scalars(select(Item).where(Item.serial.in_(keys), Item.customer_id == customer_id,
                                             Item.active.is_(True))).all()
        missing = sorted(keys[k] for k in set(keys) - {i.serial for i in items})
        if missing:
            raise DomainError(ErrorCode.NOT_FOUND, f"these serials are not among the customer's products: {missing}",
                              serials=missing)
        c = start_inquiry(s, actor, customer_id=customer_id, type_code=type_code, item_ids=[i.id for i in items],
                          site_id=items[0].site_id, note=note, starts_on=starts_on)
        notify(s, event="contract_inquiry_received", subject_type="contract", subject_id=c.id,
               customer_id=customer_id, contract=c.number)
        once.done(c.number)
        return contract_view(s, c)


def send_offer(
    uow: UnitOfWork, actor: Actor, *, contract_ref: str, amount, starts_on: date, ends_on: date,
    visits_per_year: int | None = None, instalments: int = 1, type_code: str | None = None,
    tax_rate: Decimal = Decimal("18.00"), valid_days: int = 30, idempotency_key: str | None = None,
) -> ContractView:
    """C3: an offer (or a re-offer that supersedes the open one). A retry with
    the same idempotency key answers with the first offer instead of
    superseding it with a copy. Visits per year: the contract type's default
    unless given."""
    require_role(actor, *STAFF)
    try:
        amount = money(Decimal(str(amount)))
    except Exception:
        raise invalid("the amount is not a number", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_CONTRACT_VALUE:
        raise invalid("the contract value must be positive and plausible", field="amount")
    if not starts_on < ends_on or (ends_on - starts_on).days > 5 * 366:
        raise invalid("the period ends after it starts and lasts at most five years", field="ends_on")
    if visits_per_year is not None and not 0 <= visits_per_year <= 52:
        raise invalid("visits per year are between 0 and 52", field="visits_per_year")
    if not 1 <= instalments <= 12:
        raise invalid("instalments are between 1 and 12", field="instalments")
    if not 1 <= valid_days <= 180:
        raise invalid("an offer stays open 1 to 180 days", field="valid_days")
    with uow() as s:
        once = idempotency.claim(s, actor, "coverage.send_offer", idempotency_key, contract=normalise(contract_ref),
                                 amount=amount, starts_on=starts_on, ends_on=ends_on, visits_per_year=visits_per_year,
                                 instalments=instalments, type_code=type_code, tax_rate=Decimal(str(tax_rate)),
                                 valid_days=valid_days)
        if once.replay is not None:
            return replace(contract_view(s, load_contract(s, actor, once.replay)), created=False)
        c = load_contract(s, actor, contract_ref, lock=True)
        if c.renewal_of_id:
            old = s.get(Contract, c.renewal_of_id)
            if starts_on <= old.ends_on:
                raise invalid(f"a renewal starts after {old.number} ends ({old.ends_on})", field="starts_on")
        type_code = type_code or c.type_code
        ctype = usable_type(s, type_code)  # exists and is not retired
        if visits_per_year is None:
            visits_per_year = ctype.visits_per_year
        _move(s, c, ContractState.OFFER_SENT, actor)
        previous = s.scalars(select(ContractOffer).where(ContractOffer.contract_id == c.id)
                             .order_by(ContractOffer.version)).all()
        for o in previous:
            if o.state == OfferState.SENT:
                _answer(s, o, OfferState.SUPERSEDED, actor, note=f"v{len(previous) + 1} offered")
        offer = ContractOffer(contract_id=c.id, version=len(previous) + 1, type_code=type_code, amount=amount,
                              tax_rate=tax_rate, starts_on=starts_on, ends_on=ends_on,
                              visits_per_year=visits_per_year, instalments=instalments,
                              valid_until=date.today() + timedelta(days=valid_days))
        s.add(offer)
        s.flush()
        last = previous[-1] if previous else None
        draft_plan(s, c, actor, version=offer.version, starts_on=starts_on, ends_on=ends_on,
                   visits_per_year=visits_per_year,
                   previous=(last.starts_on, last.ends_on, last.visits_per_year) if last else None)
        notify(s, event="contract_offer", subject_type="contract", subject_id=c.id, customer_id=c.customer_id,
               contract=c.number, version=offer.version, amount=str(amount), valid_until=offer.valid_until.isoformat())
        once.done(c.number)
        return contract_view(s, c)


def _open_offer(s: Session, c: Contract) -> ContractOffer:
    offer = s.scalar(select(ContractOffer).where(ContractOffer.contract_id == c.id,
                                                 ContractOffer.state == OfferState.SENT).with_for_update())
    if offer is None:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{c.number} has no offer waiting for an answer", state=c.status)
    return offer


def _answer(s: Session, offer: ContractOffer, target: OfferState, actor: Actor, note: str | None = None) -> None:
    """An offer accepted, rejected, or superseded by a newer one."""
    move(s, OFFER_MOVES, offer, target, actor, entity_type="contract_offer", note=(note or "")[:400] or None)
    if target != OfferState.SUPERSEDED:
        offer.answered_at = utcnow()


def accept_offer(uow: UnitOfWork, actor: Actor, *, contract_ref: str) -> ContractView:
    """C4–C6: accepted → OA sent, contract invoice with its voucher, instalments
    scheduled, delivery plan generated; a renewal marks the old contract
    renewed, which still covers (and runs its visits) to its own end date."""
    require_role(actor, Role.CUSTOMER, *STAFF)
    with uow() as s:
        c = load_contract(s, actor, contract_ref, lock=True)
        offer = _open_offer(s, c)
        if offer.valid_until < date.today():
            raise DomainError(ErrorCode.CONFLICT, f"the offer expired on {offer.valid_until}; ask for a new one")
        _move(s, c, ContractState.ACTIVE, actor, note=f"offer v{offer.version} accepted")
        _answer(s, offer, OfferState.ACCEPTED, actor)
        c.type_code, c.starts_on, c.ends_on, c.value = offer.type_code, offer.starts_on, offer.ends_on, offer.amount
        c.visits_per_year, c.instalments, c.accepted_at = offer.visits_per_year, offer.instalments, utcnow()
        notify(s, event="order_acceptance", subject_type="contract", subject_id=c.id, customer_id=c.customer_id,
               contract=c.number, starts_on=c.starts_on.isoformat(), ends_on=c.ends_on.isoformat())
        invoice = issue_invoice(
            s, customer_id=c.customer_id, source_type="contract", source_id=c.id, actor=actor,
            lines=[LineInput("contract", f"{c.type_code} contract {c.number} {c.starts_on} to {c.ends_on}",
                             Decimal(1), offer.amount, offer.tax_rate)],
            narration=f"Contract invoice {c.number}",
        )
        _schedule_instalments(s, invoice, offer.instalments, c.starts_on, c.ends_on)
        notify(s, event="contract_invoice", subject_type="invoice", subject_id=invoice.id, customer_id=c.customer_id,
               invoice=invoice.number, total=str(invoice.total))
        adopt_plan(s, c, actor, version=offer.version)  # the draft as staff left it
        if c.renewal_of_id:
            old = s.scalar(select(Contract).where(Contract.id == c.renewal_of_id).with_for_update())
            _move(s, old, ContractState.RENEWED, actor, note=f"renewed by {c.number}")
        return contract_view(s, c)


def _schedule_instalments(s: Session, invoice: Invoice, count: int, starts_on: date, ends_on: date) -> None:
    share = money(invoice.total / count)
    step = max((ends_on - starts_on).days // count, 1)
    first_due = max(invoice.due_on, starts_on)
    parts = []
    for i in range(count):
        amount = share if i < count - 1 else invoice.total - share * (count - 1)
        parts.append((first_due + timedelta(days=step * i), amount))
        s.add(Instalment(invoice_id=invoice.id, seq=i + 1, due_on=parts[-1][0], amount=amount))
    # billing keeps the same schedule on the invoice, where collections and ageing read it
    schedule_payments(s, invoice, parts)


def reject_offer(uow: UnitOfWork, actor: Actor, *, contract_ref: str, note: str | None = None) -> ContractView:
    require_role(actor, Role.CUSTOMER, *STAFF)
    with uow() as s:
        c = load_contract(s, actor, contract_ref, lock=True)
        offer = _open_offer(s, c)
        _move(s, c, ContractState.REJECTED, actor, note=(note or "")[:400] or None)
        _answer(s, offer, OfferState.REJECTED, actor, note=note or None)
        offer.answer_note = note or None
        return contract_view(s, c)


def renew_contract(uow: UnitOfWork, actor: Actor, *, contract_ref: str, note: str | None = None,
                   idempotency_key: str | None = None) -> ContractView:
    """C8: a renewal is a new inquiry for the same items, following the old period.
    A second renewal is refused (already_done); with an idempotency key a
    retry answers with the first renewal instead."""
    require_role(actor, Role.CUSTOMER, *STAFF)
    with uow() as s:
        once = idempotency.claim(s, actor, "coverage.renew_contract", idempotency_key,
                                 contract=normalise(contract_ref), note=note or None)
        if once.replay is not None:
            return replace(contract_view(s, load_contract(s, actor, once.replay)), created=False)
        old = load_contract(s, actor, contract_ref, lock=True)
        if old.status in (ContractState.INQUIRY, ContractState.OFFER_SENT, ContractState.REJECTED):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{old.number} is not a running contract yet",
                              current=old.status)
        successor = s.scalar(select(Contract.number).where(Contract.renewal_of_id == old.id,
                                                           Contract.status != ContractState.REJECTED))
        if successor or old.status == ContractState.RENEWED:
            raise DomainError(ErrorCode.ALREADY_DONE, f"{old.number} is already renewed by {successor}",
                              renewal=successor)
        items = s.scalars(select(CoveredItem.item_id).where(CoveredItem.contract_id == old.id)).all()
        new = start_inquiry(s, actor, customer_id=old.customer_id, type_code=old.type_code, item_ids=list(items),
                            site_id=old.site_id, renewal_of=old, note=note)
        new.starts_on = max(old.ends_on + timedelta(days=1), date.today())
        new.ends_on = new.starts_on + (old.ends_on - old.starts_on)
        notify(s, event="renewal_requested", subject_type="contract", subject_id=new.id, customer_id=old.customer_id,
               contract=new.number, renewal_of=old.number)
        once.done(new.number)
        return contract_view(s, new)


def get_contract(uow: UnitOfWork, actor: Actor, *, contract_ref: str) -> ContractView:
    with uow() as s:
        return contract_view(s, load_contract(s, actor, contract_ref))


def list_contracts(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None,
                   state: str | None = None) -> list[ContractView]:
    if actor.role == Role.CUSTOMER:
        customer_id = actor.customer_id
    else:
        require_role(actor, *STAFF)
    if state is not None and state not in set(ContractState):
        raise invalid(f"unknown contract state '{state}'", field="state")
    with uow() as s:
        q = select(Contract).order_by(Contract.id)
        if customer_id is not None:
            q = q.where(Contract.customer_id == customer_id)
        if state:
            q = q.where(Contract.status == state)
        return [contract_view(s, c) for c in s.scalars(q.limit(1000))]


@dataclass(frozen=True)
class RenewalRun:
    reminded: list[str]
    expired: list[str]


def send_renewal_reminders(uow: UnitOfWork, actor: Actor = SYSTEM, *, as_of: date | None = None,
                           days_before: int = RENEWAL_NOTICE_DAYS,
                           last_days_before: int = LAST_RENEWAL_NOTICE_DAYS) -> RenewalRun:
    """C8, the scheduled command: contracts ending within ``days_before`` (30)
    become due for renewal and the customer is reminded; ``last_days_before``
    (7) before the end they are reminded once more, unless a renewal is under
    way. Each reminder is sent once (deduplicated by key, so running it twice
    sends nothing twice; a contract first seen inside the last week gets only
    the last reminder); contracts past their end expire."""
    if actor is not SYSTEM:
        require_role(actor, *STAFF)
    if not 1 <= days_before <= 365:
        raise invalid("days_before is between 1 and 365", field="days_before")
    if not 0 <= last_days_before <= 365:
        raise invalid("last_days_before is between 0 and 365", field="last_days_before")
    as_of = as_of or date.today()
    reminded, expired = [], []
    try:
        with uow() as s:
            for c in s.scalars(select(Contract).where(
                    Contract.status.in_([ContractState.ACTIVE, ContractState.DUE_FOR_RENEWAL]),
                    Contract.ends_on < as_of).with_for_update()):
                _move(s, c, ContractState.EXPIRED, actor)
                expired.append(c.number)
            for c in s.scalars(select(Contract).where(
                    Contract.status.in_([ContractState.ACTIVE, ContractState.DUE_FOR_RENEWAL]),
                    Contract.ends_on <= as_of + timedelta(days=days_before)).with_for_update()):
                if s.scalar(select(Contract.id).where(Contract.renewal_of_id == c.id,
                                                      Contract.status != ContractState.REJECTED)):
                    continue  # a renewal is already under way
                if c.status == ContractState.ACTIVE:
                    _move(s, c, ContractState.DUE_FOR_RENEWAL, actor)
                last = (c.ends_on - as_of).days <= last_days_before
                key = f"renewal-reminder{'-last' if last else ''}:{c.id}:{c.ends_on.isoformat()}"
                if s.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is None:
                    notify(s, event="renewal_reminder", subject_type="contract", subject_id=c.id,
                           customer_id=c.customer_id, dedupe_key=key, contract=c.number, ends_on=c.ends_on.isoformat(),
                           days_left=(c.ends_on - as_of).days, last=last)
                    reminded.append(c.number)
    except IntegrityError:
        # Another run wrote the same reminder concurrently: nothing of ours was kept; run again.
        return send_renewal_reminders(uow, actor, as_of=as_of, days_before=days_before,
                                      last_days_before=last_days_before)
    return RenewalRun(reminded, expired)
