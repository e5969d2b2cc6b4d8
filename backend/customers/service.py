"""Customers with their sites and contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.customers.models import Contact, Customer, Site
from backend.db import UnitOfWork
from backend.errors import not_found
from backend.identity.actor import Actor, require_customer_access


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
    return CustomerView(c.id, c.code, c.name, c.email, c.phone, sites, contacts)
