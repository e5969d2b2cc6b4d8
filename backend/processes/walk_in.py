"""The walk-in customer at the counter (issue 12): a one-time service order
(D1) entered and invoiced up front (D3) in one transaction. (A walk-in
repair, E1, is ``backend.repairs.service.receive_repair`` with what was
handed over; its receipt is ``backend.documents.repair_receipt``.)

A refusal (an unknown price-list code, a serial that is not theirs, a site
of someone else) leaves nothing behind: no order and no invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from backend import fields, idempotency
from backend.billing.models import Invoice
from backend.billing.service import InvoiceView, invoice_view
from backend.catalog.items import installed_item
from backend.customers.models import Customer, Site
from backend.db import UnitOfWork
from backend.errors import invalid, not_found
from backend.identity.actor import STAFF, Actor, require_role
from backend.orders import service as orders
from backend.orders.service import OrderView, order_view

MAX_DESCRIPTION = 2000
MAX_QTY = Decimal("100")


@dataclass(frozen=True)
class WalkInOrder:
    order: OrderView
    invoice: InvoiceView
    created: bool = True  # False: a retry with the same idempotency key, answered with the first result


def _codes(lines: list[dict] | None) -> list[tuple[str, Decimal]]:
    codes = []
    for line in lines or []:
        code = str(line.get("code", "") or "").strip()
        if not code:
            continue
        try:
            qty = Decimal(str(line.get("qty", 1) or 1))
        except (InvalidOperation, ValueError):
            raise invalid("a quantity is not a number", field="qty") from None
        if not qty.is_finite() or not 0 < qty <= MAX_QTY:
            raise invalid(f"quantities are above 0 and at most {MAX_QTY}", field="qty")
        codes.append((code, qty))
    if not codes:
        raise invalid("pick at least one charge from the price list", field="lines")
    if len(codes) > orders.MAX_LINES:
        raise invalid(f"an order has at most {orders.MAX_LINES} lines", field="lines")
    return codes


def walk_in_order(uow: UnitOfWork, actor: Actor, *, customer_id: int, description: str, lines: list[dict],
                  site_id: int | None = None, serial: str | None = None,
                  idempotency_key: str | None = None) -> WalkInOrder:
    """D1 + D3 at the counter: the order priced from the labour price list and
    its invoice issued (sales voucher) before the work, in one transaction."""
    require_role(actor, *STAFF)
    description = fields.text(description, "description", max_len=MAX_DESCRIPTION, multiline=True,
                              what="description of the work ordered")
    codes = _codes(lines)
    serial = fields.text(serial, "serial", max_len=60, required=False, what="serial number")
    with uow() as s:
        once = idempotency.claim(s, actor, "walk_in.order", idempotency_key, customer=customer_id,
                                 description=description, lines=codes, site=site_id, serial=serial)
        if once.replay is not None:
            o = orders.load_order(s, actor, once.replay)
            return WalkInOrder(order_view(s, o), invoice_view(s, s.get(Invoice, o.invoice_id)), created=False)
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        item = None
        if serial:
            item = installed_item(s, serial, customer_id=customer_id)
            if item is None:
                raise invalid(f"{serial} is not one of this customer's items", field="serial", reason="not_their_item")
        if site_id is not None:
            site = s.get(Site, site_id)
            if site is None or site.customer_id != customer_id:
                raise not_found("site", site_id)
        o = orders.new_order(s, actor, customer_id=customer_id, description=description, codes=codes,
                             item_id=item.id if item else None,
                             site_id=site_id or (item.site_id if item else None))
        invoice = orders.invoice_order(s, actor, o, note="walk-in, paid up front")
        once.done(o.number)
        return WalkInOrder(order_view(s, o), invoice_view(s, invoice))

