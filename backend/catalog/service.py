"""Products, installed items, parts with stock, and the labour price list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from backend.catalog.models import Item, Part, Product, ServiceCharge
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role


@dataclass(frozen=True)
class ProductView:
    sku: str
    name: str
    category: str
    warranty_months: int


@dataclass(frozen=True)
class PartView:
    sku: str
    name: str
    unit_price: Decimal
    tax_rate: Decimal
    stock_qty: Decimal


@dataclass(frozen=True)
class ItemView:
    serial: str
    product_sku: str
    product_name: str
    customer_id: int
    site_id: int | None
    installed_on: date | None
    warranty_until: date | None  # the manufacturer's warranty (backend/catalog/items.py)
    id: int | None = None
    purchased_on: date | None = None
    active: bool = True
    created: bool = True  # False: a retry with the same idempotency key answered with the first result

    def under_warranty(self, on: date | None = None) -> bool:
        return self.warranty_until is not None and self.warranty_until >= (on or date.today())


@dataclass(frozen=True)
class ChargeView:
    code: str
    name: str
    unit_price: Decimal
    tax_rate: Decimal


def list_products(uow: UnitOfWork, actor: Actor) -> list[ProductView]:
    with uow() as s:
        return [ProductView(p.sku, p.name, p.category, p.warranty_months)
                for p in s.scalars(select(Product).order_by(Product.sku))]


def list_parts(uow: UnitOfWork, actor: Actor, *, search: str | None = None) -> list[PartView]:
    require_role(actor, Role.TECHNICIAN, *STAFF)
    if search is not None and len(search) > 100:
        raise invalid("the search text is too long", field="search")
    with uow() as s:
        q = select(Part).order_by(Part.sku)
        if search:
            like = f"%{search.strip()}%"
            q = q.where(Part.name.ilike(like) | Part.sku.ilike(like))
        return [PartView(p.sku, p.name, p.unit_price, p.tax_rate, p.stock_qty) for p in s.scalars(q.limit(500))]


def item_view(i: Item, p: Product) -> ItemView:
    return ItemView(i.serial, p.sku, p.name, i.customer_id, i.site_id, i.installed_on, i.warranty_until, i.id,
                    i.purchased_on, i.active)


def list_items(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None,
               include_inactive: bool = False) -> list[ItemView]:
    """Installed base: a customer's own items, or staff for any customer (deactivated ones on request)."""
    if actor.role == Role.CUSTOMER:
        customer_id = actor.customer_id
    else:
        require_role(actor, *STAFF)
    with uow() as s:
        q = select(Item, Product).join(Product, Product.id == Item.product_id).order_by(Item.serial)
        if customer_id is not None:
            q = q.where(Item.customer_id == customer_id)
        if not include_inactive:
            q = q.where(Item.active.is_(True))
        return [item_view(i, p) for i, p in s.execute(q.limit(1000))]


def list_service_charges(uow: UnitOfWork, actor: Actor) -> list[ChargeView]:
    with uow() as s:
        return [ChargeView(c.code, c.name, c.unit_price, c.tax_rate)
                for c in s.scalars(select(ServiceCharge).order_by(ServiceCharge.code))]
