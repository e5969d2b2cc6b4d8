"""The automatic entitlement check (A2): product + serial + date → cover.

Order of preference when several covers apply: one that includes parts,
then the one that runs longest. A manufacturer's warranty on the item
(``items.warranty_until``) covers labour and parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Item, Product
from backend.coverage.models import Contract, CoverageType, CoveredItem

# A renewed contract still covers to its own end date (a renewal accepted early starts the day after it):
# the dates decide, so cover runs on without a gap from the old contract to the new one.
COVERING_STATES = ("active", "due_for_renewal", "renewed")


@dataclass(frozen=True)
class Entitlement:
    serial: str | None
    known_item: bool
    covered: bool
    cover: str | None  # AMC, CMC, WARRANTY, MANUFACTURER_WARRANTY
    contract_number: str | None
    contract_id: int | None
    covers_labour: bool
    covers_parts: bool
    valid_until: date | None
    product: str | None
    billable: list[str] = field(default_factory=list)
    item_id: int | None = None
    customer_id: int | None = None


def find_cover(s: Session, item: Item | None, on: date, serial: str | None = None) -> Entitlement:
    if item is None:
        return Entitlement(serial, False, False, None, None, None, False, False, None, None, ["labour", "parts"])
    product = s.get(Product, item.product_id)
    row = s.execute(
        select(Contract, CoverageType)
        .join(CoveredItem, CoveredItem.contract_id == Contract.id)
        .join(CoverageType, CoverageType.code == Contract.type_code)
        .where(CoveredItem.item_id == item.id, Contract.status.in_(COVERING_STATES),
               Contract.starts_on <= on, Contract.ends_on >= on)
        .order_by(CoverageType.covers_parts.desc(), Contract.ends_on.desc())
        .limit(1)
    ).first()
    if row is not None:
        contract, ctype = row
        labour, parts = ctype.covers_labour, ctype.covers_parts
        return Entitlement(item.serial, True, True, ctype.code, contract.number, contract.id, labour, parts,
                           contract.ends_on, product.name, _billable(labour, parts), item.id, item.customer_id)
    if item.warranty_until and item.warranty_until >= on:
        return Entitlement(item.serial, True, True, "MANUFACTURER_WARRANTY", None, None, True, True,
                           item.warranty_until, product.name, [], item.id, item.customer_id)
    return Entitlement(item.serial, True, False, None, None, None, False, False, None, product.name,
                       ["labour", "parts"], item.id, item.customer_id)


def _billable(labour: bool, parts: bool) -> list[str]:
    return [name for name, covered in (("labour", labour), ("parts", parts)) if not covered]
