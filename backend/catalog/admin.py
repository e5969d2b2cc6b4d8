"""Maintaining the catalog (admin and manager): products, parts with their
prices, cost, reorder level and stock adjustments, and the labour price list.

Every input is checked before anything is written (``invalid_input`` naming
the field, ``duplicate`` for a code already taken, ``not_found`` for an
unknown one). Every change writes a history row (``state_changes``: entity
``product`` / ``part`` / ``service_charge``, what changed in the note), in the
same transaction. A stock adjustment locks the part's row (as parts used on a
job do), so two adjustments at once both count, and never takes stock below
zero (the CHECK constraint on ``parts.stock_qty`` backs that up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.catalog import hsn as codes
from backend.catalog.models import Part, Product, ServiceCharge
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.changes import Changes, apply_changes, describe, shown
from backend.history.moves import record
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role

EDITORS = (Role.ADMIN, Role.MANAGER)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_PRICE = Decimal("10000000.00")
MAX_QTY = Decimal(100000)
MAX_WARRANTY_MONTHS = 240


@dataclass(frozen=True)
class PartRecord:
    """A part as the people who maintain the catalog see it (with its cost)."""

    sku: str
    name: str
    unit_price: Decimal
    unit_cost: Decimal
    tax_rate: Decimal
    stock_qty: Decimal
    reorder_level: Decimal
    to_reorder: bool
    hsn_code: str | None = None  # printed on tax invoices


@dataclass(frozen=True)
class ProductRecord:
    sku: str
    name: str
    category: str
    warranty_months: int


@dataclass(frozen=True)
class ChargeRecord:
    code: str
    name: str
    unit_price: Decimal
    tax_rate: Decimal
    sac_code: str | None = None  # printed on tax invoices (None: the default repair-service SAC)
    requires_signature: bool = False  # a job of this charge is completed only with the customer's signature


# --- checking input -------------------------------------------------------------------------------

def _code(value, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not CODE.match(text):
        raise invalid(f"{field.replace('_', ' ')}: 1 to 40 letters, digits or . _ - (like P-CAP-35UF)",
                      field=field)
    return text


def _name(value, field: str = "name", max_len: int = 160) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise invalid(f"give the {field.replace('_', ' ')}", field=field)
    if len(text) > max_len:
        raise invalid(f"the {field.replace('_', ' ')} is at most {max_len} characters", field=field)
    return text


def _decimal(value, field: str, *, places: int, maximum: Decimal, minimum: Decimal = Decimal(0)) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (int, str, Decimal)):
        raise invalid(f"{field.replace('_', ' ')} must be a number such as 12.50", field=field)
    try:
        number = Decimal(value.strip().replace(",", "") if isinstance(value, str) else value)
    except InvalidOperation:
        raise invalid(f"{field.replace('_', ' ')} must be a number such as 12.50", field=field) from None
    if not number.is_finite():
        raise invalid(f"{field.replace('_', ' ')} must be a number such as 12.50", field=field)
    if number < minimum:
        raise invalid(f"{field.replace('_', ' ')} must not be below {minimum}", field=field, minimum=str(minimum))
    if number > maximum:
        raise invalid(f"{field.replace('_', ' ')} must not exceed {maximum}", field=field, maximum=str(maximum))
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise invalid(f"{field.replace('_', ' ')} has more than {places} decimal places", field=field)
    return number.quantize(Decimal(1).scaleb(-places))


def _price(value, field: str) -> Decimal:
    return _decimal(value, field, places=2, maximum=MAX_PRICE)


def _tax(value, field: str = "tax_rate") -> Decimal:
    return _decimal(value, field, places=2, maximum=Decimal(100))


def _qty(value, field: str) -> Decimal:
    return _decimal(value, field, places=3, maximum=MAX_QTY)


def _months(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WARRANTY_MONTHS:
        raise invalid(f"warranty months are a whole number from 0 to {MAX_WARRANTY_MONTHS}",
                      field="warranty_months")
    return value


def _note(label: str, changes: Changes) -> str:
    return f"{label}: " + describe(changes)


def _one(s: Session, column, value, what: str, *, lock: bool = False):
    """The row whose code ``column`` is ``value`` (locked for an edit), or ``not_found``."""
    q = select(column.class_).where(column == (value or "").strip())
    row = s.scalar(q.with_for_update() if lock else q)
    if row is None:
        raise not_found(what, value)
    return row


# --- products -------------------------------------------------------------------------------------

def _product(p: Product) -> ProductRecord:
    return ProductRecord(p.sku, p.name, p.category, p.warranty_months)


def create_product(uow: UnitOfWork, actor: Actor, *, sku: str, name: str, category: str,
                   warranty_months: int = 12) -> ProductRecord:
    require_role(actor, *EDITORS)
    sku, name, months = _code(sku, "sku"), _name(name), _months(warranty_months)
    category = _name(category, "category", 60)
    with uow() as s:
        if s.scalar(select(Product.id).where(func.upper(Product.sku) == sku.upper())):
            raise DomainError(ErrorCode.DUPLICATE, f"a product with SKU {sku} exists", field="sku")
        p = Product(sku=sku, name=name, category=category, warranty_months=months)
        s.add(p)
        s.flush()
        record(s, entity_type="product", entity_id=p.id, to_state="created", actor=actor,
               note=f"{sku}: {name} ({category}, {months} months warranty)")
        return _product(p)


def edit_product(uow: UnitOfWork, actor: Actor, *, sku: str, name: str | None = None, category: str | None = None,
                 warranty_months: int | None = None) -> ProductRecord:
    """Change what is given; the SKU stays (installed items point at it)."""
    require_role(actor, *EDITORS)
    wanted = {"name": None if name is None else _name(name),
              "category": None if category is None else _name(category, "category", 60),
              "warranty_months": None if warranty_months is None else _months(warranty_months)}
    with uow() as s:
        p = _one(s, Product.sku, sku, "product", lock=True)
        changes = apply_changes(p, wanted)
        if changes:
            record(s, entity_type="product", entity_id=p.id, to_state="edited", actor=actor,
                   note=_note(p.sku, changes))
        return _product(p)


def get_product_record(uow: UnitOfWork, actor: Actor, *, sku: str) -> ProductRecord:
    require_role(actor, *EDITORS)
    with uow() as s:
        return _product(_one(s, Product.sku, sku, "product"))


def list_product_records(uow: UnitOfWork, actor: Actor) -> list[ProductRecord]:
    require_role(actor, *EDITORS)
    with uow() as s:
        return [_product(p) for p in s.scalars(select(Product).order_by(Product.sku))]


# --- parts ----------------------------------------------------------------------------------------

def _part(p: Part) -> PartRecord:
    return PartRecord(p.sku, p.name, p.unit_price, p.unit_cost, p.tax_rate, p.stock_qty, p.reorder_level,
                      p.reorder_level > 0 and p.stock_qty <= p.reorder_level, p.hsn_code)


def create_part(uow: UnitOfWork, actor: Actor, *, sku: str, name: str, unit_price, unit_cost,
                tax_rate=Decimal("18.00"), reorder_level=Decimal(0), opening_stock=Decimal(0),
                hsn_code: str | None = None) -> PartRecord:
    """A new part; ``opening_stock`` is recorded as its first stock adjustment."""
    require_role(actor, *EDITORS)
    sku, name, hsn = _code(sku, "sku"), _name(name), codes.hsn_code(hsn_code)
    price, cost, tax = _price(unit_price, "unit_price"), _price(unit_cost, "unit_cost"), _tax(tax_rate)
    reorder, opening = _qty(reorder_level, "reorder_level"), _qty(opening_stock, "opening_stock")
    with uow() as s:
        if s.scalar(select(Part.id).where(func.upper(Part.sku) == sku.upper())):
            raise DomainError(ErrorCode.DUPLICATE, f"a part with number {sku} exists", field="sku")
        p = Part(sku=sku, name=name, unit_price=price, unit_cost=cost, tax_rate=tax, stock_qty=opening,
                 reorder_level=reorder, hsn_code=hsn)
        s.add(p)
        s.flush()
        record(s, entity_type="part", entity_id=p.id, to_state="created", actor=actor,
               note=f"{sku}: {name}, price {shown(price)}, cost {shown(cost)}, tax {shown(tax)} %, "
                    f"reorder at {shown(reorder)}, opening stock {shown(opening)}, HSN {hsn or '-'}")
        return _part(p)


def edit_part(uow: UnitOfWork, actor: Actor, *, sku: str, name: str | None = None, unit_price=None,
              unit_cost=None, tax_rate=None, reorder_level=None, hsn_code=None) -> PartRecord:
    """Change what is given. Stock changes only through :func:`adjust_stock`
    (and jobs and repairs); prices already on jobs and invoices stay."""
    require_role(actor, *EDITORS)
    wanted = {"name": None if name is None else _name(name),
              "unit_price": None if unit_price is None else _price(unit_price, "unit_price"),
              "unit_cost": None if unit_cost is None else _price(unit_cost, "unit_cost"),
              "tax_rate": None if tax_rate is None else _tax(tax_rate),
              "reorder_level": None if reorder_level is None else _qty(reorder_level, "reorder_level"),
              "hsn_code": codes.hsn_code(hsn_code)}  # blank: unchanged
    with uow() as s:
        p = _one(s, Part.sku, sku, "part", lock=True)
        changes = apply_changes(p, wanted)
        if changes:
            record(s, entity_type="part", entity_id=p.id, to_state="edited", actor=actor, note=_note(p.sku, changes))
        return _part(p)


def adjust_stock(uow: UnitOfWork, actor: Actor, *, sku: str, change, reason: str) -> PartRecord:
    """Add (goods received, found in a count) or take (damaged, lost, counted
    short) stock, with the reason kept in the history. Refused with
    ``out_of_stock`` if the stock would go below zero."""
    require_role(actor, *EDITORS)
    delta = _decimal(change, "change", places=3, maximum=MAX_QTY, minimum=-MAX_QTY)
    if delta == 0:
        raise invalid("the change must add or take some stock", field="change")
    reason = _name(reason, "reason", 200)
    with uow() as s:
        p = _one(s, Part.sku, sku, "part", lock=True)  # row lock: concurrent adjustments and parts used queue up here
        after = p.stock_qty + delta
        if after < 0:
            raise DomainError(ErrorCode.OUT_OF_STOCK, f"only {shown(p.stock_qty)} of {p.sku} in stock",
                              field="change", part=p.sku, in_stock=str(p.stock_qty))
        before, p.stock_qty = p.stock_qty, after
        s.flush()
        record(s, entity_type="part", entity_id=p.id, to_state="stock_adjusted", actor=actor,
               note=f"{p.sku}: {'+' if delta > 0 else ''}{shown(delta)} ({shown(before)} → {shown(after)}): "
                    f"{reason}")
        return _part(p)


def get_part_record(uow: UnitOfWork, actor: Actor, *, sku: str) -> PartRecord:
    require_role(actor, *EDITORS)
    with uow() as s:
        return _part(_one(s, Part.sku, sku, "part"))


def list_part_records(uow: UnitOfWork, actor: Actor, *, to_reorder: bool = False) -> list[PartRecord]:
    require_role(actor, *EDITORS)
    with uow() as s:
        q = select(Part).order_by(Part.sku)
        if to_reorder:
            q = q.where(Part.reorder_level > 0, Part.stock_qty <= Part.reorder_level)
        return [_part(p) for p in s.scalars(q)]


# --- the labour price list ------------------------------------------------------------------------

def _yes_no(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"{field.replace('_', ' ')} is yes or no", field=field)
    return value


def _charge(c: ServiceCharge) -> ChargeRecord:
    return ChargeRecord(c.code, c.name, c.unit_price, c.tax_rate, c.sac_code, c.requires_signature)


def get_service_charge(uow: UnitOfWork, actor: Actor, *, code: str) -> ChargeRecord:
    require_role(actor, *EDITORS)
    with uow() as s:
        return _charge(_one(s, ServiceCharge.code, code, "service charge"))


def create_service_charge(uow: UnitOfWork, actor: Actor, *, code: str, name: str, unit_price,
                          tax_rate=Decimal("18.00"), sac_code: str | None = None,
                          requires_signature: bool = False) -> ChargeRecord:
    require_role(actor, *EDITORS)
    signed = _yes_no(requires_signature, "requires_signature")
    code, name, sac = _code(code, "code"), _name(name), codes.sac_code(sac_code)
    price, tax = _price(unit_price, "unit_price"), _tax(tax_rate)
    with uow() as s:
        if s.scalar(select(ServiceCharge.id).where(func.upper(ServiceCharge.code) == code.upper())):
            raise DomainError(ErrorCode.DUPLICATE, f"a charge with code {code} exists", field="code")
        c = ServiceCharge(code=code, name=name, unit_price=price, tax_rate=tax, sac_code=sac,
                          requires_signature=signed)
        s.add(c)
        s.flush()
        record(s, entity_type="service_charge", entity_id=c.id, to_state="created", actor=actor,
               note=f"{code}: {name}, price {shown(price)}, tax {shown(tax)} %, SAC {sac or '-'}")
        return _charge(c)


def edit_service_charge(uow: UnitOfWork, actor: Actor, *, code: str, name: str | None = None, unit_price=None,
                        tax_rate=None, sac_code=None, requires_signature: bool | None = None) -> ChargeRecord:
    """New prices apply to what is invoiced from now on."""
    require_role(actor, *EDITORS)
    wanted = {"name": None if name is None else _name(name),
              "unit_price": None if unit_price is None else _price(unit_price, "unit_price"),
              "tax_rate": None if tax_rate is None else _tax(tax_rate),
              "sac_code": codes.sac_code(sac_code),  # blank: unchanged
              "requires_signature": None if requires_signature is None
              else _yes_no(requires_signature, "requires_signature")}
    with uow() as s:
        c = _one(s, ServiceCharge.code, code, "service charge", lock=True)
        changes = apply_changes(c, wanted)
        if changes:
            record(s, entity_type="service_charge", entity_id=c.id, to_state="edited", actor=actor,
                   note=_note(c.code, changes))
        return _charge(c)
