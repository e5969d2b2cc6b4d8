"""Installed items: a customer's appliance with its serial number, registered
by staff for any customer or by a customer for themselves.

The manufacturer's warranty follows from the product's terms: it runs
``warranty_months`` from the purchase date (else the installation date), so
an item registered today under warranty is covered at once by the entitlement
check (``backend/coverage/entitlement.py`` counts ``items.warranty_until``).

A serial is kept in one form (blanks around and inside removed, upper case),
so ``ac15 2022 0042`` and ``AC152022-0042``… are told apart only by what
differs. Refusals, before anything is written: ``invalid_input`` with
``field`` and ``reason`` (``unknown_product``, ``not_this_customers_site``,
``future_date``, ``installed_before_purchase``, ``bad_serial``); ``duplicate``
for a serial already installed (active) anywhere, naming its owner to staff;
``forbidden`` for a customer registering for someone else. A deactivated
item's serial may be registered again (sold on, moved to a new owner): the
same row takes the new owner and dates, and its history keeps both.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend import fields
from backend.catalog.models import Item, Product
from backend.catalog.service import ItemView, item_view
from backend.customers.models import Contact, Customer, Site
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.changes import apply_changes, describe
from backend.history.models import StateChange
from backend.history.moves import record
from backend.history.service import ChangeView
from backend.idempotency import claim
from backend.identity.actor import STAFF, Actor, require_customer_access, require_role
from backend.identity.models import Role, User

MAX_SERIAL = 60
UNCHANGED = object()
SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")


# --- checking input -------------------------------------------------------------------------------

def normalise_serial(value: Any, field: str = "serial") -> str:
    """A serial as stored: blanks removed, upper case; refused (``bad_serial``) if empty or not a serial."""
    text = fields.text(value, field, max_len=MAX_SERIAL * 2, what="serial number printed on the product")
    text = re.sub(r"\s+", "", text).upper()
    if len(text) > MAX_SERIAL or not SERIAL.match(text):
        raise invalid(f"a serial number is up to {MAX_SERIAL} letters, digits and . _ - as printed on the "
                      "product's label", field=field, reason="bad_serial")
    return text


def serial_key(value: str) -> str:
    """What a person typed, as serials are stored (blanks out, upper case), without refusing anything."""
    return re.sub(r"\s+", "", value or "").upper()


def installed_item(s: Session, serial: str | None, *, customer_id: int | None = None) -> Item | None:
    """The active installed item with this serial however it was typed (``wm7-2023-0001 `` finds
    ``WM7-2023-0001``), optionally only among the customer's.
    A deactivated item is no longer installed: it has no cover and starts no work."""
    key = serial_key(serial or "")
    if not key:
        return None
    q = select(Item).where(Item.serial == key, Item.active.is_(True))
    if customer_id is not None:
        q = q.where(Item.customer_id == customer_id)
    return s.scalar(q)


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def warranty_until(product: Product, purchased_on: date | None, installed_on: date | None) -> date | None:
    """The last day of the manufacturer's warranty: ``warranty_months`` from the purchase (else the
    installation); None without a date or for a product sold without one."""
    start = purchased_on or installed_on
    if start is None or not product.warranty_months:
        return None
    return add_months(start, product.warranty_months) - timedelta(days=1)


def _day(value: Any, field: str, today: date) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise invalid("give a date like 2025-01-31", field=field, reason="bad_date") from None
    if not isinstance(value, date):
        raise invalid("give a date like 2025-01-31", field=field, reason="bad_date")
    if value > today:
        raise invalid(f"{value.isoformat()} is in the future: give the day it happened", field=field,
                      reason="future_date")
    return value


def checked_dates(installed_on: Any, purchased_on: Any, today: date) -> tuple[date | None, date | None]:
    installed, purchased = _day(installed_on, "installed_on", today), _day(purchased_on, "purchased_on", today)
    if installed and purchased and installed < purchased:
        raise invalid("an item cannot be installed before it was bought: check the two dates", field="installed_on",
                      reason="installed_before_purchase")
    return installed, purchased


def product_by_sku(s: Session, sku: Any) -> Product:
    text = sku.strip() if isinstance(sku, str) else ""
    product = s.scalar(select(Product).where(func.upper(Product.sku) == text.upper())) if text else None
    if product is None:
        raise invalid(f"there is no product {text or '(none given)'}: choose one from the product list",
                      field="product_sku", reason="unknown_product")
    return product


def _owner(s: Session, actor: Actor, customer_id: int | None) -> Customer:
    """The customer the item is for: a customer only themselves, staff anyone."""
    if actor.role == Role.CUSTOMER:
        if customer_id is None:
            customer_id = actor.customer_id
        if customer_id != actor.customer_id:
            raise DomainError(ErrorCode.FORBIDDEN, "you can register items only for yourself")
    else:
        require_role(actor, *STAFF)
        if customer_id is None:
            raise invalid("choose the customer the item belongs to", field="customer_id")
    require_customer_access(actor, customer_id)
    c = s.get(Customer, customer_id)
    if c is None:
        raise not_found("customer", customer_id)
    if not c.active:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{c.code} is deactivated: nothing can be added to it",
                          customer=c.code)
    return c


def _site(s: Session, customer: Customer, site_id: Any) -> Site | None:
    if site_id is None or site_id == "":
        return None
    site = s.get(Site, site_id) if isinstance(site_id, int) and not isinstance(site_id, bool) else None
    if site is None or site.customer_id != customer.id or not site.active:
        raise invalid("that site is not one of this customer's addresses: choose one of theirs", field="site_id",
                      reason="not_this_customers_site")
    return site


def _taken(s: Session, actor: Actor, serial: str, item: Item) -> DomainError:
    owner = s.get(Customer, item.customer_id)
    if actor.is_staff:
        return DomainError(ErrorCode.DUPLICATE, f"serial {serial} is already installed for {owner.code} "
                           f"{owner.name}: find that item, or deactivate it first if it changed hands",
                           field="serial", existing=owner.code, serial=serial)
    if item.customer_id == actor.customer_id:
        return DomainError(ErrorCode.DUPLICATE, f"serial {serial} is already registered to you", field="serial",
                           existing=owner.code, serial=serial)
    return DomainError(ErrorCode.DUPLICATE, f"serial {serial} is already registered to another customer: if the "
                       "item is yours now, contact us to move it to you", field="serial", serial=serial)


# --- registering ----------------------------------------------------------------------------------

def new_item(s: Session, actor: Actor, *, customer_id: int | None, product_sku: str, serial: str,
             site_id: int | None = None, installed_on: date | str | None = None,
             purchased_on: date | str | None = None, today: date | None = None) -> Item:
    """An installed item in the caller's transaction (the bulk import), checked and recorded; refused before
    any row changes."""
    today = today or date.today()
    serial = normalise_serial(serial)
    installed, purchased = checked_dates(installed_on, purchased_on, today)
    customer = _owner(s, actor, customer_id)
    product = product_by_sku(s, product_sku)
    site = _site(s, customer, site_id)
    until = warranty_until(product, purchased, installed)
    item = s.scalar(select(Item).where(Item.serial == serial).with_for_update())
    if item is not None and item.active:
        raise _taken(s, actor, serial, item)
    note = (f"{serial} ({product.sku}) for {customer.code} {customer.name}, site {site.name if site else '-'}, "
            f"bought {purchased or '-'}, installed {installed or '-'}, warranty until {until or '-'}")
    if item is None:
        item = Item(product_id=product.id, serial=serial, customer_id=customer.id, site_id=site.id if site else None,
                    installed_on=installed, purchased_on=purchased, warranty_until=until, active=True)
        s.add(item)
        s.flush()
        record(s, entity_type="item", entity_id=item.id, to_state="registered", actor=actor, note=note)
    else:
        before = s.get(Customer, item.customer_id)
        item.product_id, item.customer_id, item.site_id = product.id, customer.id, site.id if site else None
        item.installed_on, item.purchased_on, item.warranty_until, item.active = installed, purchased, until, True
        s.flush()
        record(s, entity_type="item", entity_id=item.id, from_state="deactivated", to_state="registered",
               actor=actor, note=f"{note} (before: {before.code if before else '-'})")
    return item


def register_item(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None, product_sku: str, serial: str,
                  site_id: int | None = None, installed_on: date | None = None, purchased_on: date | None = None,
                  idempotency_key: str | None = None) -> ItemView:
    """Register an installed item (a customer for themselves, staff for anyone); its manufacturer's warranty
    follows from the product and covers it at once."""
    today = date.today()
    serial = normalise_serial(serial)
    installed, purchased = checked_dates(installed_on, purchased_on, today)
    with uow() as s:
        once = claim(s, actor, "catalog.register_item", idempotency_key, customer_id=customer_id,
                     product_sku=product_sku, serial=serial, site_id=site_id, installed_on=installed,
                     purchased_on=purchased)
        if once.replay is not None:
            item = s.get(Item, int(once.replay))
            return replace(item_view(item, s.get(Product, item.product_id)), created=False)
        item = new_item(s, actor, customer_id=customer_id, product_sku=product_sku, serial=serial, site_id=site_id,
                        installed_on=installed, purchased_on=purchased, today=today)
        once.done(item.id)
        return item_view(item, s.get(Product, item.product_id))


def _item(s: Session, actor: Actor, serial: Any) -> Item:
    """The item with this serial, for its owner or staff; another customer's is not found."""
    if actor.role != Role.CUSTOMER:
        require_role(actor, *STAFF)
    text = normalise_serial(serial)
    item = s.scalar(select(Item).where(Item.serial == text).with_for_update())
    if item is None or (actor.role == Role.CUSTOMER and item.customer_id != actor.customer_id):
        raise not_found("item", text)
    return item


def update_item(uow: UnitOfWork, actor: Actor, *, serial: str, site_id: int | None = None,
                installed_on: date | None = None, purchased_on: date | None = None) -> ItemView:
    """Move an item to another of its customer's sites, or correct its dates (the warranty follows them);
    None: unchanged. Staff, or the customer for their own item."""
    today = date.today()
    with uow() as s:
        item = _item(s, actor, serial)
        if not item.active:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"item {item.serial} is deactivated", serial=item.serial)
        customer = s.get(Customer, item.customer_id)
        product = s.get(Product, item.product_id)
        installed = item.installed_on if installed_on is None else _day(installed_on, "installed_on", today)
        purchased = item.purchased_on if purchased_on is None else _day(purchased_on, "purchased_on", today)
        checked_dates(installed, purchased, today)
        wanted: dict[str, Any] = {}
        if site_id is not None:
            wanted["site_id"] = _site(s, customer, site_id).id
        if installed_on is not None or purchased_on is not None:
            wanted.update(installed_on=installed, purchased_on=purchased,
                          warranty_until=warranty_until(product, purchased, installed))
        changes = apply_changes(item, wanted, skip=UNCHANGED)  # None is a value here (no date)
        if changes:
            record(s, entity_type="item", entity_id=item.id, to_state="edited", actor=actor,
                   note=f"{item.serial}: {describe(changes, none='-')}")
        s.flush()
        return item_view(item, product)


def deactivate_item(uow: UnitOfWork, actor: Actor, *, serial: str, reason: str) -> ItemView:
    """Take an item out of the installed base (scrapped, sold, moved away), with the reason; it no longer
    counts for cover, and its serial may be registered again. Staff, or the customer for their own item."""
    reason = fields.text(reason, "reason", max_len=200)
    with uow() as s:
        item = _item(s, actor, serial)
        if not item.active:
            raise DomainError(ErrorCode.ALREADY_DONE, f"item {item.serial} is already deactivated", serial=item.serial)
        item.active = False
        record(s, entity_type="item", entity_id=item.id, from_state="registered", to_state="deactivated",
               actor=actor, note=f"{item.serial}: {reason}")
        s.flush()
        return item_view(item, s.get(Product, item.product_id))


# --- a customer's history -------------------------------------------------------------------------

def customer_history(uow: UnitOfWork, actor: Actor, *, customer_id: int, limit: int = 100) -> list[ChangeView]:
    """Staff: the changes to a customer's record, sites, contacts and items, newest first."""
    require_role(actor, *STAFF)
    if not 1 <= limit <= 500:
        raise invalid("limit is between 1 and 500", field="limit")
    with uow() as s:
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        owned = [("customer", select(Customer.id).where(Customer.id == customer_id)),
                 ("site", select(Site.id).where(Site.customer_id == customer_id)),
                 ("contact", select(Contact.id).where(Contact.customer_id == customer_id)),
                 ("item", select(Item.id).where(Item.customer_id == customer_id))]
        rows = s.execute(
            select(StateChange, User.name).join(User, User.id == StateChange.actor_id, isouter=True)
            .where(or_(*[(StateChange.entity_type == kind) & StateChange.entity_id.in_(ids) for kind, ids in owned]))
            .order_by(StateChange.id.desc()).limit(limit)
        ).all()
        return [ChangeView(c.at, c.entity_type, c.entity_id, c.to_state, c.note, name or c.actor_role, c.channel)
                for c, name in rows]
