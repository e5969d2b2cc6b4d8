"""The front desk (issue 12): who is calling, what covers their item, and a
request raised on their behalf.

- ``find_callers``: one search box for staff. The text is tried as a
  reference (``SR-``, ``JB-``, ``SO-``, ``RO-``, ``CT-``, ``INV-``, ``TK-``,
  ``RC-`` → the customer it belongs to), an item's serial, a customer code, a
  mobile number in any shape (normalised with ``backend.customers.phones``;
  a partial number matches the end of the numbers on file) and a name
  (case-insensitive, any part). Each caller comes with their sites, items
  (the matching serial marked), and open work.
- ``preview_cover``: the entitlement answer for one of the caller's items,
  in words, before anything is saved ("Check cover").
- ``raise_for_caller``: ``intake.new_request`` for that customer, recorded
  with the desk's channel (phone, walk-in or e-mail), in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import fields
from backend.catalog.items import installed_item
from backend.catalog.models import Item, Product
from backend.coverage.entitlement import Entitlement, find_cover
from backend.coverage.models import Contract, ContractState
from backend.customers.models import Contact, Customer, Site
from backend.db import UnitOfWork
from backend.errors import DomainError, invalid, not_found
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role, User
from backend.intake import service as intake
from backend.intake.models import Ticket, TicketState
from backend.jobs.models import Job, JobState
from backend.orders.models import OrderState, ServiceOrder
from backend.processes.parties import customer_of_reference
from backend.references import normalise
from backend.repairs.models import RepairOrder, RepairState

MAX_QUERY = 100
MAX_RESULTS = 20
MIN_PARTIAL_DIGITS = 4  # fewer digits than this are not looked up as part of a number
DESK_CHANNELS = ("phone", "walk_in", "email")
_PHONE_LIKE = re.compile(r"^[\d\s()+.\-]+$")

JOB_DONE = (JobState.SETTLED, JobState.CLOSED, JobState.CANCELLED)
ORDER_DONE = (OrderState.PAID, OrderState.CANCELLED)
REPAIR_DONE = (RepairState.CLOSED, RepairState.RETURNED)
CONTRACT_OPEN = (ContractState.INQUIRY, ContractState.OFFER_SENT, ContractState.ACTIVE, ContractState.DUE_FOR_RENEWAL)


@dataclass(frozen=True)
class CallerSite:
    id: int
    name: str
    address: str
    city: str | None


@dataclass(frozen=True)
class CallerItem:
    serial: str
    product: str
    site_id: int | None
    warranty_until: date | None
    matched: bool  # the serial the search found


@dataclass(frozen=True)
class OpenWork:
    reference: str
    kind: str  # job | ticket | order | repair | contract
    state: str
    about: str


@dataclass(frozen=True)
class Caller:
    customer_id: int
    code: str
    name: str
    mobile: str | None
    email: str | None
    active: bool  # False: deactivated (their records are kept)
    matched_by: str  # reference | serial | code | mobile | name
    matched: str  # what matched: the reference, the serial, the number on file, the code or the name
    sites: list[CallerSite]
    items: list[CallerItem]
    open_work: list[OpenWork]


@dataclass(frozen=True)
class CoverPreview:
    serial: str
    product: str | None
    covered: bool
    cover: str | None  # AMC, CMC, WARRANTY, MANUFACTURER_WARRANTY
    contract_number: str | None
    valid_until: date | None
    covers_labour: bool
    covers_parts: bool
    sentence: str  # what the agent reads out


def find_callers(uow: UnitOfWork, actor: Actor, *, q: str, limit: int = MAX_RESULTS) -> list[Caller]:
    """Customers matching one typed text (staff only), best match first."""
    require_role(actor, *STAFF)
    q = fields.text(q, "q", max_len=MAX_QUERY, what="search text")
    limit = min(max(int(limit), 1), MAX_RESULTS)
    with uow() as s:
        found: dict[int, tuple[str, str]] = {}
        for customer_id, how, what in _matches(s, q):
            if customer_id is not None and customer_id not in found:
                found[customer_id] = (how, what)
            if len(found) >= limit:
                break
        return [_caller(s, cid, how, what) for cid, (how, what) in found.items()]


def _matches(s: Session, q: str):
    """(customer id, how, what) in order of preference: the most exact keys first."""
    ref = normalise(q)
    if ref is not None:
        yield customer_of_reference(s, ref), "reference", ref
    for item in s.scalars(select(Item).where(func.lower(Item.serial) == q.lower())):
        yield item.customer_id, "serial", item.serial
    for c in s.scalars(select(Customer).where(func.upper(Customer.code) == q.upper())):
        yield c.id, "code", c.code
    if _PHONE_LIKE.match(q):
        yield from _by_mobile(s, q)
    if len(q) >= 3 and any(ch.isdigit() for ch in q) and not _PHONE_LIKE.match(q):
        like = f"%{_escape(q.lower())}%"
        for item in s.scalars(select(Item).where(func.lower(Item.serial).like(like, escape="\\"))
                              .order_by(Item.serial).limit(MAX_RESULTS)):
            yield item.customer_id, "serial", item.serial
    like = f"%{_escape(q.lower())}%"
    for c in s.scalars(select(Customer).where(func.lower(Customer.name).like(like, escape="\\"))
                       .order_by(Customer.name, Customer.id).limit(MAX_RESULTS)):
        yield c.id, "name", c.name
    for contact in s.scalars(select(Contact).where(func.lower(Contact.name).like(like, escape="\\"))
                             .order_by(Contact.name, Contact.id).limit(MAX_RESULTS)):
        yield contact.customer_id, "name", contact.name


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _digits_of(column):
    """The column's digits only, in SQL (the same on SQLite and PostgreSQL)."""
    expr = func.coalesce(column, "")
    for ch in (" ", "-", "+", "(", ")", ".", "/"):
        expr = func.replace(expr, ch, "")
    return expr


def _national(text: str) -> str | None:
    """The national number of a mobile typed in any shape (``098765 43210``,
    ``+91-98765-43210``, ``919876543210``), or None when it is not one."""
    from backend.customers.phones import normalise_mobile

    try:
        e164 = normalise_mobile(text)
    except DomainError:
        return None
    import phonenumbers

    return str(phonenumbers.parse(e164).national_number)


def _by_mobile(s: Session, q: str):
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) < MIN_PARTIAL_DIGITS:
        return
    tail = _national(q) or digits  # a whole number: its national part; a partial one: as typed
    if digits.startswith("0") and tail == digits:
        tail = digits.lstrip("0") or digits
    like = f"%{tail}"
    for c in s.scalars(select(Customer).where(_digits_of(Customer.phone).like(like)).order_by(Customer.id)
                       .limit(MAX_RESULTS)):
        yield c.id, "mobile", c.phone
    for contact in s.scalars(select(Contact).where(_digits_of(Contact.phone).like(like)).order_by(Contact.id)
                             .limit(MAX_RESULTS)):
        yield contact.customer_id, "mobile", contact.phone
    for user in s.scalars(select(User).where(User.role == Role.CUSTOMER, User.customer_id.is_not(None),
                                             _digits_of(User.phone).like(like)).order_by(User.id).limit(MAX_RESULTS)):
        yield user.customer_id, "mobile", user.phone


def _caller(s: Session, customer_id: int, how: str, what: str) -> Caller:
    c = s.get(Customer, customer_id)
    sites = [CallerSite(x.id, x.name, x.address, x.city)
             for x in s.scalars(select(Site).where(Site.customer_id == c.id, Site.active.is_(True)).order_by(Site.id))]
    items = [CallerItem(i.serial, p.name, i.site_id, i.warranty_until, how == "serial" and i.serial == what)
             for i, p in s.execute(select(Item, Product).join(Product, Product.id == Item.product_id)
                                   .where(Item.customer_id == c.id, Item.active.is_(True)).order_by(Item.serial))]
    return Caller(c.id, c.code, c.name, c.phone, c.email, c.active, how, what or "", sites, items,
                  _open_work(s, c.id))


def _open_work(s: Session, customer_id: int) -> list[OpenWork]:
    work = [OpenWork(j.number, "job", j.state, j.problem[:120]) for j in s.scalars(
        select(Job).where(Job.customer_id == customer_id, Job.state.not_in(JOB_DONE)).order_by(Job.id))]
    work += [OpenWork(t.number, "ticket", t.state, t.subject[:120]) for t in s.scalars(
        select(Ticket).where(Ticket.customer_id == customer_id, Ticket.state != TicketState.CLOSED).order_by(Ticket.id))]
    work += [OpenWork(o.number, "order", o.state, o.description[:120]) for o in s.scalars(
        select(ServiceOrder).where(ServiceOrder.customer_id == customer_id, ServiceOrder.state.not_in(ORDER_DONE))
        .order_by(ServiceOrder.id))]
    work += [OpenWork(r.number, "repair", r.state, f"{r.item_description}: {r.fault}"[:120]) for r in s.scalars(
        select(RepairOrder).where(RepairOrder.customer_id == customer_id, RepairOrder.state.not_in(REPAIR_DONE))
        .order_by(RepairOrder.id))]
    work += [OpenWork(k.number, "contract", k.status, f"{k.type_code} {k.starts_on or ''} to {k.ends_on or ''}".strip())
             for k in s.scalars(select(Contract).where(Contract.customer_id == customer_id,
                                                       Contract.status.in_(CONTRACT_OPEN)).order_by(Contract.id))]
    return work


def get_caller(uow: UnitOfWork, actor: Actor, *, customer_id: int) -> Caller:
    """One customer as the desk shows them once chosen (staff only)."""
    require_role(actor, *STAFF)
    with uow() as s:
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        return _caller(s, customer_id, "chosen", "")


# --- the entitlement answer before the request is saved --------------------------------------------


def describe_cover(ent: Entitlement) -> str:
    """The entitlement answer in the words the agent reads to the caller."""
    if not ent.known_item:
        return f"{ent.serial or 'This item'} is not one of this customer's items: the visit will be billed."
    if not ent.covered:
        return f"{ent.product} {ent.serial} is not covered: the visit will be billed (labour and parts)."
    until = ent.valid_until.isoformat() if ent.valid_until else "-"
    if ent.cover == "MANUFACTURER_WARRANTY":
        return (f"{ent.product} {ent.serial} is under the manufacturer's warranty until {until}: "
                "labour and parts covered.")
    what = {(True, True): "labour and parts covered", (True, False): "labour covered, parts not",
            (False, True): "parts covered, labour not", (False, False): "neither labour nor parts covered"}
    return (f"{ent.product} {ent.serial} is covered by {ent.contract_number} {ent.cover} until {until}: "
            f"{what[(ent.covers_labour, ent.covers_parts)]}.")


def _their_item(s: Session, customer_id: int, serial: str | None) -> Item | None:
    serial = fields.text(serial, "serial", max_len=intake.MAX_SERIAL, required=False, what="serial number")
    if not serial:
        return None
    item = installed_item(s, serial, customer_id=customer_id)
    if item is None:
        raise invalid(f"{serial} is not one of this customer's items: pick one of theirs, or add the item to "
                      "their record first", field="serial", reason="not_their_item")
    return item


def preview_cover(uow: UnitOfWork, actor: Actor, *, customer_id: int, serial: str,
                  on: date | None = None) -> CoverPreview:
    """"Check cover": what covers one of the caller's items today, in words; nothing is saved."""
    require_role(actor, *STAFF)
    with uow() as s:
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        item = _their_item(s, customer_id, serial)
        if item is None:
            raise invalid("pick the item to check", field="serial")
        ent = find_cover(s, item, on or date.today(), item.serial)
        return CoverPreview(item.serial, ent.product, ent.covered, ent.cover, ent.contract_number, ent.valid_until,
                            ent.covers_labour, ent.covers_parts, describe_cover(ent))


def raise_for_caller(uow: UnitOfWork, actor: Actor, *, customer_id: int, want: str, problem: str,
                     serial: str | None = None, site_id: int | None = None, preferred_at: datetime | None = None,
                     channel: str = "phone", idempotency_key: str | None = None) -> intake.RequestView:
    """A request raised by the desk for a caller: classified and started as
    the customer's own would be (A), recorded with the desk's channel. A
    serial that is not theirs is refused (``invalid_input``, field serial)."""
    require_role(actor, *STAFF)
    if channel not in DESK_CHANNELS:
        raise invalid(f"the desk takes requests by {', '.join(DESK_CHANNELS)}", field="channel",
                      allowed=list(DESK_CHANNELS))
    with uow() as s:
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        item = _their_item(s, customer_id, serial)
        return intake.new_request(s, actor.via(channel), want=want, problem=problem, customer_id=customer_id,
                                  serial=item.serial if item else None, site_id=site_id, preferred_at=preferred_at,
                                  idempotency_key=idempotency_key)


def started_by(view: intake.RequestView) -> list[tuple[str, str]]:
    """What a request became, as (what, reference) pairs, for the page that confirms it."""
    out = []
    for what, ref in (("job", view.job_number), ("help-desk ticket", view.ticket_number),
                      ("service order", view.order_number), ("repair order", view.repair_number),
                      ("contract inquiry", view.contract_number)):
        if ref:
            out.append((what, ref))
    return out
