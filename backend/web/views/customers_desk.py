"""Customers for the staff (agent, manager, admin): the list with a search, a
new customer with their first site, and the customer's page with their sites,
contacts and installed items (warranty until), the history of all of them,
and a form to add, edit or deactivate each. A refused form comes back with
what was typed and the error next to its field."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend.catalog import items as installed
from backend.catalog import service as catalog
from backend.customers import service as customers
from backend.customers.gstin import STATES
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
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)

CUSTOMER_FIELDS = ("kind", "name", "mobile", "email", "gstin", "state_code", "language")
SITE_FIELDS = ("name", "address", "city", "pin_code")
CONTACT_FIELDS = ("name", "mobile", "email")
ITEM_FIELDS = ("product_sku", "serial", "site_id", "purchased_on", "installed_on")
STATE_OPTIONS = [(code, f"{code} - {name}") for code, name in STATES.items()]


# --- the list -------------------------------------------------------------------------------------

@routes.get("/s/customers", name="s_customers")
@staff
async def customer_list(request: web.Request, actor: Actor) -> web.Response:
    search = request.query.get("q", "")
    inactive = request.query.get("inactive") == "1"
    errors: dict = {}
    try:
        rows = await call(request, customers.list_customers, actor, search=search or None, include_inactive=inactive)
    except DomainError as exc:
        rows, errors = [], {"q": {"code": str(exc.code), "message": exc.message}}
    return render(request, "desk/customer_list.html", rows=rows, search=search, inactive=inactive, errors=errors,
                  status=400 if errors else 200)


# --- a new customer -------------------------------------------------------------------------------

def _new_form(request, form: dict, errors: dict, status: int = 200) -> web.Response:
    return render(request, "desk/customer_form.html", form=form, errors=errors, states=STATE_OPTIONS,
                  status=status)


@routes.get("/s/customers/new", name="s_customer_new")
@staff
async def new_customer(request: web.Request, actor: Actor) -> web.Response:
    form = {"kind": request.query.get("kind") or "person", "language": "en", "site_name": "Main",
            "mobile": request.query.get("mobile", ""), "key": new_form_key()}
    return _new_form(request, form, {})


@routes.post("/s/customers/new", name="s_customer_create")
@staff
async def create_customer(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in (*CUSTOMER_FIELDS, "site_name", "address", "city", "pin_code", "key")}
    args = {k: kept[k] for k in (*CUSTOMER_FIELDS, "site_name", "address", "city", "pin_code")}
    try:
        made = await call(request, customers.create_customer, actor, **args,
                          idempotency_key=portal_key(kept["key"], "-customer"))
    except DomainError as exc:
        return _new_form(request, kept, field_errors(exc), error_status(exc))
    raise redirect(request, "s_customer", done=f"Customer {made.code} {made.name} added.", customer_id=made.id)


# --- the customer's page --------------------------------------------------------------------------

async def _customer_page(request: web.Request, actor: Actor, customer_id: int, *, forms: dict | None = None,
                         status: int = 200) -> web.Response:
    """The page, with any refused form (``forms``: its name → (what was typed, errors)) shown again."""
    try:
        cust = await call(request, customers.get_customer, actor, customer_id=customer_id)
    except DomainError as exc:
        return render(request, "error.html", status=error_status(exc), code=exc.code, message=exc.message)
    kit = await call(request, catalog.list_items, actor, customer_id=customer_id, include_inactive=True)
    products = await call(request, catalog.list_products, actor)
    changes = await call(request, installed.customer_history, actor, customer_id=customer_id)
    blank = {
        "edit": ({**{k: getattr(cust, k) or "" for k in ("kind", "name", "email", "gstin", "state_code",
                                                          "language")}, "mobile": cust.phone or ""}, {}),
        "deactivate": ({}, {}),
        "site": ({"key": new_form_key()}, {}),
        "contact": ({"key": new_form_key()}, {}),
        "item": ({"key": new_form_key(), "site_id": next((str(s.id) for s in cust.sites if s.active), "")}, {}),
    }
    for site in cust.sites:
        blank[f"site-{site.id}"] = ({"name": site.name, "address": site.address, "city": site.city or "",
                                     "pin_code": site.pin_code or ""}, {})
    for contact in cust.contacts:
        blank[f"contact-{contact.id}"] = ({"name": contact.name, "mobile": contact.phone or "",
                                           "email": contact.email or ""}, {})
    for item in kit:
        blank[f"item-{item.serial}"] = ({"site_id": str(item.site_id or ""),
                                         "purchased_on": item.purchased_on.isoformat() if item.purchased_on else "",
                                         "installed_on": item.installed_on.isoformat() if item.installed_on else ""},
                                        {})
    blank.update(forms or {})
    open_form = next(iter(forms), None) if forms else None
    sites = {s.id: s for s in cust.sites}
    unshown = None  # a refused form whose row is no longer offered (deactivated meanwhile): its error on top
    if open_form and not _offered(open_form, cust, kit):
        unshown = next(iter(forms[open_form][1].values()), None)
    return render(request, "desk/customer.html", cust=cust, items=kit, products=products, changes=changes,
                  forms=blank, open_form=open_form, sites=sites, states=STATE_OPTIONS, unshown=unshown,
                  site_options=[(str(s.id), f"{s.name}: {s.address}") for s in cust.sites if s.active],
                  product_options=[(p.sku, f"{p.name} ({p.sku}, {p.warranty_months} months warranty)")
                                   for p in products],
                  status=status)


def _offered(form_name: str, cust, kit) -> bool:
    """Whether the page shows the form again (only active records of an active customer have forms)."""
    if not cust.active:
        return False
    kind, _, key = form_name.partition("-")
    if kind == "site" and key:
        return any(str(s.id) == key and s.active for s in cust.sites)
    if kind == "contact" and key:
        return any(str(c.id) == key and c.active for c in cust.contacts)
    if kind == "item" and key:
        return any(i.serial == key and i.active for i in kit)
    return True


def _customer_id(request: web.Request) -> int:
    return int(request.match_info["customer_id"])


@routes.get(r"/s/customers/{customer_id:\d{1,9}}", name="s_customer")
@staff
async def customer_page(request: web.Request, actor: Actor) -> web.Response:
    return await _customer_page(request, actor, _customer_id(request))


async def _post(request: web.Request, actor: Actor, form_name: str, names: tuple[str, ...], fn, done,
                **fixed: Any) -> web.Response:
    """Post one of the page's forms: the use case with the typed fields, then back to the page with ``done``
    (formatted with the result), or the page again with the form as typed and its error."""
    customer_id = _customer_id(request)
    form = await form_of(request)
    kept = {k: text(form, k) for k in (*names, "key")}
    try:
        args = {k: kept[k] for k in names}
        for name in ("site_id",):
            if name in args:
                args[name] = parse_int(args[name], name, required=False)
        for name in ("purchased_on", "installed_on"):
            if name in args:
                args[name] = parse_date(args[name], name, required=False)
        if kept["key"]:
            args["idempotency_key"] = portal_key(kept["key"], f"-{form_name}")
        result = await call(request, fn, actor, **args, **fixed)
    except DomainError as exc:
        return await _customer_page(request, actor, customer_id, forms={form_name: (kept, field_errors(exc))},
                                    status=error_status(exc))
    said = done(result) if callable(done) else done.format(r=result)
    raise redirect(request, "s_customer", done=said, customer_id=customer_id)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}", name="s_customer_save")
@staff
async def save_customer(request: web.Request, actor: Actor) -> web.Response:
    return await _post(request, actor, "edit", CUSTOMER_FIELDS, customers.update_customer, "Saved {r.code}.",
                       customer_id=_customer_id(request))


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/deactivate", name="s_customer_deactivate")
@staff
async def deactivate_customer(request: web.Request, actor: Actor) -> web.Response:
    return await _post(request, actor, "deactivate", ("reason",), customers.deactivate_customer,
                       "{r.code} is deactivated.", customer_id=_customer_id(request))


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/sites", name="s_site_add")
@staff
async def add_site(request: web.Request, actor: Actor) -> web.Response:
    return await _post(request, actor, "site", SITE_FIELDS, customers.add_site, "Site {r.name} added.",
                       customer_id=_customer_id(request))


async def _owned(request, actor, what: str, ident: int) -> bool:
    """Whether the site or contact ``ident`` is this customer's (a form posted under another's page is not)."""
    cust = await call(request, customers.get_customer, actor, customer_id=_customer_id(request))
    return any(x.id == ident for x in (cust.sites if what == "site" else cust.contacts))


def _not_here(request, what: str) -> web.Response:
    return render(request, "error.html", status=404, code="not_found", message=f"this customer has no such {what}")


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/sites/{site_id:\d{1,9}}", name="s_site_save")
@staff
async def save_site(request: web.Request, actor: Actor) -> web.Response:
    site_id = int(request.match_info["site_id"])
    if not await _owned(request, actor, "site", site_id):
        return _not_here(request, "site")
    return await _post(request, actor, f"site-{site_id}", SITE_FIELDS, customers.update_site,
                       "Site {r.name} saved.", site_id=site_id)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/sites/{site_id:\d{1,9}}/deactivate", name="s_site_deactivate")
@staff
async def deactivate_site(request: web.Request, actor: Actor) -> web.Response:
    site_id = int(request.match_info["site_id"])
    if not await _owned(request, actor, "site", site_id):
        return _not_here(request, "site")
    return await _post(request, actor, f"site-{site_id}", ("reason",), customers.deactivate_site,
                       "Site {r.name} is deactivated.", site_id=site_id)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/contacts", name="s_contact_add")
@staff
async def add_contact(request: web.Request, actor: Actor) -> web.Response:
    return await _post(request, actor, "contact", CONTACT_FIELDS, customers.add_contact, "Contact {r.name} added.",
                       customer_id=_customer_id(request))


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/contacts/{contact_id:\d{1,9}}", name="s_contact_save")
@staff
async def save_contact(request: web.Request, actor: Actor) -> web.Response:
    contact_id = int(request.match_info["contact_id"])
    if not await _owned(request, actor, "contact", contact_id):
        return _not_here(request, "contact")
    return await _post(request, actor, f"contact-{contact_id}", CONTACT_FIELDS, customers.update_contact,
                       "Contact {r.name} saved.", contact_id=contact_id)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/contacts/{contact_id:\d{1,9}}/deactivate",
             name="s_contact_deactivate")
@staff
async def deactivate_contact(request: web.Request, actor: Actor) -> web.Response:
    contact_id = int(request.match_info["contact_id"])
    if not await _owned(request, actor, "contact", contact_id):
        return _not_here(request, "contact")
    return await _post(request, actor, f"contact-{contact_id}", ("reason",), customers.deactivate_contact,
                       "Contact {r.name} is deactivated.", contact_id=contact_id)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/items", name="s_item_add")
@staff
async def add_item(request: web.Request, actor: Actor) -> web.Response:
    return await _post(request, actor, "item", ITEM_FIELDS, installed.register_item, registered,
                       customer_id=_customer_id(request))


def registered(item) -> str:
    """What the page says once an item is registered: its serial and its cover."""
    if item.warranty_until is None:
        return f"Item {item.serial} registered; it has no manufacturer's warranty on record."
    until = item.warranty_until.strftime("%d %b %Y")
    if item.under_warranty():
        return f"Item {item.serial} registered; under the manufacturer's warranty until {until}."
    return f"Item {item.serial} registered; its manufacturer's warranty ended on {until}."


async def _item_here(request, actor, serial: str) -> bool:
    kit = await call(request, catalog.list_items, actor, customer_id=_customer_id(request), include_inactive=True)
    return any(i.serial == serial for i in kit)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/items/{serial}", name="s_item_save")
@staff
async def save_item(request: web.Request, actor: Actor) -> web.Response:
    serial = request.match_info["serial"]
    if not await _item_here(request, actor, serial):
        return _not_here(request, "item")
    return await _post(request, actor, f"item-{serial}", ("site_id", "purchased_on", "installed_on"),
                       installed.update_item, "Item {r.serial} saved.", serial=serial)


@routes.post(r"/s/customers/{customer_id:\d{1,9}}/items/{serial}/deactivate", name="s_item_deactivate")
@staff
async def deactivate_item(request: web.Request, actor: Actor) -> web.Response:
    serial = request.match_info["serial"]
    if not await _item_here(request, actor, serial):
        return _not_here(request, "item")
    return await _post(request, actor, f"item-{serial}", ("reason",), installed.deactivate_item,
                       "Item {r.serial} is deactivated.", serial=serial)
