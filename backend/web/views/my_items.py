"""The customer's own equipment ("My equipment"): their installed items with
the manufacturer's warranty each has, and a form to register a new one
(product, serial, purchase date, site), which gives its warranty cover at once."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from backend.catalog import items as installed
from backend.catalog import service as catalog
from backend.customers import service as customers
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_date,
    parse_int,
    portal_key,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
customer = page(Role.CUSTOMER)
FIELDS = ("product_sku", "serial", "purchased_on", "installed_on", "site_id")


async def _page(request: web.Request, actor: Actor, *, form: dict, errors: dict, status: int = 200) -> web.Response:
    mine = await call(request, catalog.list_items, actor)
    products = await call(request, catalog.list_products, actor)
    me = await call(request, customers.get_customer, actor, customer_id=actor.customer_id)
    sites = {s.id: s for s in me.sites}
    return render(request, "customer/items.html", items=mine, sites=sites, form=form, errors=errors,
                  today=date.today(), status=status,
                  product_options=[(p.sku, f"{p.name} ({p.warranty_months} months warranty)") for p in products],
                  site_options=[(str(s.id), f"{s.name}: {s.address}") for s in me.sites if s.active])


@routes.get("/c/equipment", name="c_items")
@customer
async def my_items(request: web.Request, actor: Actor) -> web.Response:
    me = await call(request, customers.get_customer, actor, customer_id=actor.customer_id)
    first_site = next((str(s.id) for s in me.sites if s.active), "")
    return await _page(request, actor, form={"key": new_form_key(), "site_id": first_site}, errors={})


@routes.post("/c/equipment", name="c_item_add")
@customer
async def add_item(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in (*FIELDS, "key")}
    try:
        item = await call(request, installed.register_item, actor, product_sku=kept["product_sku"],
                          serial=kept["serial"], site_id=parse_int(kept["site_id"], "site_id", required=False),
                          purchased_on=parse_date(kept["purchased_on"], "purchased_on", required=False),
                          installed_on=parse_date(kept["installed_on"], "installed_on", required=False),
                          idempotency_key=portal_key(kept["key"], "-item"))
    except DomainError as exc:
        return await _page(request, actor, form=kept, errors=field_errors(exc), status=error_status(exc))
    if item.under_warranty():
        said = (f"{item.product_name} {item.serial} is registered and covered by the manufacturer's warranty "
                f"until {item.warranty_until.strftime('%d %b %Y')}.")
    else:
        said = f"{item.product_name} {item.serial} is registered. It has no manufacturer's warranty now."
    raise redirect(request, "c_items", done=said)
