"""Customers with their sites and contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.customers import gstin as gstin_rules
from backend.customers.models import Contact, Customer, Site
from backend.db import UnitOfWork
from backend.errors import not_found
from backend.history.moves import record
from backend.identity.actor import STAFF, Actor, require_customer_access, require_role


@dataclass(frozen=True)
class SiteView:
    id: int
    name: str
    address: str
    city: str | None


@dataclass(frozen=True)
class ContactView:
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class CustomerView:
    id: int
    code: str
    name: str
    email: str | None
    phone: str | None
    sites: list[SiteView]
    contacts: list[ContactView]
    gstin: str | None = None  # GST registration: None for a consumer
    state_code: str | None = None  # GST state code of the address on record
    state: str = ""  # its name


def get_customer(uow: UnitOfWork, actor: Actor, *, customer_id: int) -> CustomerView:
    with uow() as s:
        return customer_view(s, actor, customer_id=customer_id)


def customer_view(s: Session, actor: Actor, *, customer_id: int) -> CustomerView:
    """A customer with their sites and contacts, inside the caller's transaction."""
    require_customer_access(actor, customer_id)
    c = s.get(Customer, customer_id)
    if c is None:
        raise not_found("customer", customer_id)
    sites = [SiteView(x.id, x.name, x.address, x.city)
             for x in s.scalars(select(Site).where(Site.customer_id == c.id).order_by(Site.id))]
    contacts = [ContactView(x.name, x.email, x.phone)
                for x in s.scalars(select(Contact).where(Contact.customer_id == c.id).order_by(Contact.id))]
    return CustomerView(c.id, c.code, c.name, c.email, c.phone, sites, contacts, c.gstin, c.state_code,
                        gstin_rules.state_name(c.state_code))


def set_gst_registration(uow: UnitOfWork, actor: Actor, *, customer_id: int, gstin: str | None = None,
                         state_code: str | None = None) -> CustomerView:
    """Staff record a customer's GSTIN (None or blank: unregistered) and GST state code (blank with a
    GSTIN: the GSTIN's state). Refused (``invalid_input``, ``reason``: format, checksum, unknown_state,
    state_mismatch) before anything changes; invoices already issued keep what they were issued with."""
    require_role(actor, *STAFF)
    number, state = gstin_rules.registration(gstin, state_code)
    with uow() as s:
        c = s.get(Customer, customer_id, with_for_update=True)
        if c is None:
            raise not_found("customer", customer_id)
        before = (c.gstin, c.state_code)
        c.gstin, c.state_code = number, state
        if before != (number, state):
            record(s, entity_type="customer", entity_id=c.id, to_state="gst_registration", actor=actor,
                   note=f"GSTIN {before[0] or '-'} → {number or '-'}, state {before[1] or '-'} → {state or '-'}")
        s.flush()
        return customer_view(s, actor, customer_id=c.id)
