"""The front desk (issue 12): the one search box for a caller (mobile in any
shape, name, customer code, any reference, a serial), the chosen caller's
card, and what the desk does for them — raise a request with the cover
shown before it is saved, a walk-in one-time order invoiced up front (D1),
a walk-in repair (E1) with its printed receipt / job card — and the request
calendar beside the appointment calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from backend.catalog import service as catalog
from backend.documents.repair_receipt import get_repair_receipt
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.orders import service as orders
from backend.billing import service as billing
from backend.processes import callers, walk_in
from backend.repairs import service as repairs
from backend.reports import calendars
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_date,
    parse_int,
    parse_local,
    portal_key,
    redirect,
    render,
    text,
    tz,
    url,
)

routes = web.RouteTableDef()
desk = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
ORDER_ROWS = 4
WANTS = [("service", "A technician visit (repair or service on site)"), ("question", "A question or complaint"),
         ("repair", "A repair at the workshop"), ("order", "A one-time paid service order"),
         ("contract", "A maintenance contract (AMC) inquiry")]
CHANNELS = [("phone", "Phone call"), ("walk_in", "Walk-in at the counter"), ("email", "E-mail")]
NEW_CUSTOMER_ROUTE = "s_customer_new"  # the customer desk's page (backend/web/views/customers_desk.py)


def _new_customer_url(request: web.Request) -> str:
    if NEW_CUSTOMER_ROUTE in request.app.router.named_resources():
        return url(request, NEW_CUSTOMER_ROUTE)
    return url(request, "a_front_desk").rsplit("/a/", 1)[0] + "/a/customers/new"


def _customer_id(request: web.Request) -> int:
    return parse_int(request.match_info["customer_id"], "customer_id")


@routes.get("/a/desk", name="a_front_desk")
@desk
async def front(request: web.Request, actor: Actor) -> web.Response:
    q = request.query.get("q", "").strip()
    found, errors = None, {}
    if q:
        try:
            found = await call(request, callers.find_callers, actor, q=q)
        except DomainError as exc:
            errors = field_errors(exc)
    return render(request, "desk/front.html", q=q, found=found, errors=errors,
                  new_customer_url=_new_customer_url(request), status=400 if errors else 200)


async def _caller_page(request, actor, template: str, *, form=None, errors=None, status=200, **extra):
    caller = await call(request, callers.get_caller, actor, customer_id=_customer_id(request))
    form = dict(form or {})
    form["key"] = form.get("key") or new_form_key()  # one rendering = one request/order/repair, even sent twice
    return render(request, template, caller=caller, form=form, errors=errors or {}, status=status,
                  new_customer_url=_new_customer_url(request), **extra)


@routes.get(r"/a/desk/customers/{customer_id:\d+}", name="a_desk_caller")
@desk
async def caller_card(request: web.Request, actor: Actor) -> web.Response:
    return await _caller_page(request, actor, "desk/front_caller.html")


# --- raise a request for the caller -----------------------------------------------------------------

REQUEST_FIELDS = ("want", "serial", "problem", "day", "time", "site_id", "channel", "key")


@routes.get(r"/a/desk/customers/{customer_id:\d+}/request", name="a_desk_request")
@desk
async def request_form(request: web.Request, actor: Actor) -> web.Response:
    form = {"want": request.query.get("want") or "service", "channel": "phone",
            "serial": request.query.get("serial", "")}
    return await _caller_page(request, actor, "desk/front_request.html", form=form, wants=WANTS, channels=CHANNELS,
                              cover=None)


@routes.post(r"/a/desk/customers/{customer_id:\d+}/request", name="a_desk_request_post")
@desk
async def request_post(request: web.Request, actor: Actor) -> web.Response:
    """``step=check`` shows the cover of the chosen item and saves nothing;
    ``step=raise`` raises the request and shows what it started."""
    customer_id = _customer_id(request)
    form = await form_of(request)
    kept = {k: text(form, k) for k in REQUEST_FIELDS}
    cover = None
    try:
        if kept["serial"]:
            cover = await call(request, callers.preview_cover, actor, customer_id=customer_id, serial=kept["serial"])
        if text(form, "step") == "check":
            if not kept["serial"]:
                raise DomainError(ErrorCode.INVALID_INPUT, "pick the item to check", field="serial")
            return await _caller_page(request, actor, "desk/front_request.html", form=kept, wants=WANTS,
                                      channels=CHANNELS, cover=cover)
        preferred = parse_local(request, kept["day"], kept["time"], "preferred_at", required=False)
        view = await call(request, callers.raise_for_caller, actor, customer_id=customer_id, want=kept["want"],
                          problem=kept["problem"], serial=kept["serial"] or None,
                          site_id=parse_int(kept["site_id"], "site_id", required=False), preferred_at=preferred,
                          channel=kept["channel"] or "phone", idempotency_key=portal_key(kept["key"], "-desk"))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "customer":
            raise
        return await _caller_page(request, actor, "desk/front_request.html", form=kept, wants=WANTS,
                                  channels=CHANNELS, cover=cover, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "a_desk_request_done", ref=view.number, done=f"Request {view.number} raised.")


@routes.get("/a/desk/requests/{ref}", name="a_desk_request_done")
@desk
async def request_done(request: web.Request, actor: Actor) -> web.Response:
    view = await call(request, intake.get_request, actor, reference=request.match_info["ref"])
    caller = await call(request, callers.get_caller, actor, customer_id=view.customer_id)
    cover = callers.describe_cover(view.entitlement) if view.entitlement and view.entitlement.serial else None
    return render(request, "desk/front_done.html", req=view, caller=caller, started=callers.started_by(view),
                  cover=cover)


# --- walk-in one-time order (D1) with its up-front invoice -------------------------------------------

@routes.get(r"/a/desk/customers/{customer_id:\d+}/walk-in-order", name="a_walk_in_order")
@desk
async def order_form(request: web.Request, actor: Actor) -> web.Response:
    return await _order_page(request, actor)


async def _order_page(request, actor, *, form=None, errors=None, status=200):
    charges = await call(request, catalog.list_service_charges, actor)
    return await _caller_page(request, actor, "desk/walk_in_order.html", form=form, errors=errors, status=status,
                              charges=charges, rows=range(ORDER_ROWS))


@routes.post(r"/a/desk/customers/{customer_id:\d+}/walk-in-order", name="a_walk_in_order_post")
@desk
async def order_post(request: web.Request, actor: Actor) -> web.Response:
    customer_id = _customer_id(request)
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("description", "site_id", "serial", "key")}
    kept |= {f"{k}_{i}": text(form, f"{k}_{i}") for i in range(ORDER_ROWS) for k in ("code", "qty")}
    lines = [{"code": kept[f"code_{i}"], "qty": kept[f"qty_{i}"] or "1"} for i in range(ORDER_ROWS)
             if kept[f"code_{i}"]]
    try:
        result = await call(request, walk_in.walk_in_order, actor, customer_id=customer_id,
                            description=kept["description"], lines=lines, serial=kept["serial"] or None,
                            site_id=parse_int(kept["site_id"], "site_id", required=False),
                            idempotency_key=portal_key(kept["key"], "-walk-in-order"))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "customer":
            raise
        errors = field_errors(exc)
        if exc.code == ErrorCode.NOT_FOUND and "codes" in exc.details:
            errors = {"lines": {"code": str(exc.code), "message": exc.message + ": pick charges from the list"}}
        return await _order_page(request, actor, form=kept, errors=errors, status=error_status(exc))
    raise redirect(request, "a_walk_in_order_done", ref=result.order.number,
                   done=f"Order {result.order.number} entered and invoiced ({result.invoice.number}).")


@routes.get("/a/desk/orders/{ref}", name="a_walk_in_order_done")
@desk
async def order_done(request: web.Request, actor: Actor) -> web.Response:
    order = await call(request, orders.get_service_order, actor, order_ref=request.match_info["ref"])
    invoice = (await call(request, billing.get_invoice, actor, invoice_ref=order.invoice_number)
               if order.invoice_number else None)
    caller = await call(request, callers.get_caller, actor, customer_id=order.customer_id)
    return render(request, "desk/walk_in_order_done.html", order=order, invoice=invoice, caller=caller)


# --- walk-in repair (E1) and its receipt --------------------------------------------------------------

REPAIR_FIELDS = ("item_description", "serial", "fault", "accessories", "condition_notes", "key")


@routes.get(r"/a/desk/customers/{customer_id:\d+}/walk-in-repair", name="a_walk_in_repair")
@desk
async def repair_form(request: web.Request, actor: Actor) -> web.Response:
    return await _caller_page(request, actor, "desk/walk_in_repair.html",
                              form={"serial": request.query.get("serial", "")})


@routes.post(r"/a/desk/customers/{customer_id:\d+}/walk-in-repair", name="a_walk_in_repair_post")
@desk
async def repair_post(request: web.Request, actor: Actor) -> web.Response:
    customer_id = _customer_id(request)
    form = await form_of(request)
    kept = {k: text(form, k) for k in REPAIR_FIELDS}
    try:
        caller = await call(request, callers.get_caller, actor, customer_id=customer_id)
        description = kept["item_description"]
        if not description and kept["serial"]:
            description = next((i.product for i in caller.items if i.serial == kept["serial"]), "")
        view = await call(request, repairs.receive_repair, actor, customer_id=customer_id,
                          item_description=description, fault=kept["fault"], serial=kept["serial"] or None,
                          accessories=kept["accessories"] or None, condition_notes=kept["condition_notes"] or None,
                          idempotency_key=portal_key(kept["key"], "-walk-in-repair"))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "customer":
            raise
        return await _caller_page(request, actor, "desk/walk_in_repair.html", form=kept, errors=field_errors(exc),
                                  status=error_status(exc))
    raise redirect(request, "a_walk_in_repair_done", ref=view.number, done=f"Repair {view.number} received.")


@routes.get("/a/desk/repairs/{ref}", name="a_walk_in_repair_done")
@desk
async def repair_done(request: web.Request, actor: Actor) -> web.Response:
    view = await call(request, repairs.get_repair, actor, repair_ref=request.match_info["ref"])
    caller = await call(request, callers.get_caller, actor, customer_id=view.customer_id)
    return render(request, "desk/walk_in_repair_done.html", repair=view, caller=caller)


@routes.get("/a/repairs/{ref}/receipt.pdf", name="a_repair_receipt")
@desk
async def repair_receipt(request: web.Request, actor: Actor) -> web.Response:
    """The receipt / job card, inline, for the counter's printer."""
    doc = await call(request, get_repair_receipt, actor, repair_ref=request.match_info["ref"], zone=tz(request))
    return web.Response(body=doc.data, content_type=doc.content_type,
                        headers={"Content-Disposition": f'inline; filename="{doc.filename}"',
                                 "Cache-Control": "private, no-store"})


# --- the request calendar -------------------------------------------------------------------------

@routes.get("/a/calendar/requests", name="a_request_calendar")
@desk
async def request_calendar(request: web.Request, actor: Actor) -> web.Response:
    zone = tz(request)
    today = datetime.now(zone).date()
    try:
        start = parse_date(request.query.get("start", ""), "start", required=False) or today - timedelta(days=3)
    except DomainError:
        start = today - timedelta(days=3)
    end = start + timedelta(days=6)
    events = await call(request, calendars.request_calendar, actor, start=start, end=end)
    days = [(start + timedelta(days=n), [e for e in events if e.day == start + timedelta(days=n)]) for n in range(7)]
    return render(request, "desk/front_calendar.html", days=days, start=start, end=end, today=today,
                  prev=start - timedelta(days=7), next=start + timedelta(days=7))
