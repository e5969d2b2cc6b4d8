"""Contracts (C), service orders (D) and in-house repairs (E): the agent's
desk for offers, order invoices and plans, repair assignment, billing and
delivery; the technician's bench for repair estimates, parts and completion."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from backend.catalog import service as catalog
from backend.coverage import service as coverage
from backend.errors import DomainError, ErrorCode
from backend.identity import service as identity
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.orders import service as orders
from backend.processes import service_orders
from backend.repairs import service as repairs
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_date,
    parse_decimal,
    parse_int,
    parse_local,
    portal_key,
    redirect,
    render,
    text,
)
from backend.web.views.agent import customer_names

routes = web.RouteTableDef()
agent = page(Role.AGENT, Role.MANAGER)
technician = page(Role.TECHNICIAN)
ESTIMATE_ROWS = 3


@routes.get("/a/processes", name="a_processes")
@agent
async def desk(request: web.Request, actor: Actor) -> web.Response:
    return await _desk(request, actor)


async def _desk(request, actor, *, errors=None, form=None, failed=None, status=200):
    contracts = [c for c in await call(request, coverage.list_contracts, actor)
                 if c.state in ("inquiry", "offer_sent", "rejected", "due_for_renewal")]
    order_rows = [o for o in await call(request, orders.list_service_orders, actor)
                  if o.state in ("new", "invoiced", "planned")]
    repair_rows = [r for r in await call(request, repairs.list_repairs, actor)
                   if r.state not in ("closed", "delivered", "returned")]
    techs = [t for t in await call(request, identity.list_users, actor, role="technician") if t.active]
    names = await customer_names(request, actor, [c.customer_id for c in contracts]
                                 + [o.customer_id for o in order_rows] + [r.customer_id for r in repair_rows])
    return render(request, "agent/processes.html", contracts=contracts, orders=order_rows, repairs=repair_rows,
                  techs=techs, names=names, errors=errors or {}, form=form or {}, failed=failed, status=status,
                  key=new_form_key())  # one rendering = one offer per contract, even when sent twice


@routes.post("/a/contracts/{ref}/offer", name="a_offer")
@agent
async def offer(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("amount", "starts_on", "ends_on", "visits_per_year", "instalments")}
    key = text(form, "key")
    try:
        view = await call(request, coverage.send_offer, actor, contract_ref=ref,
                          amount=parse_decimal(kept["amount"], "amount"),
                          starts_on=parse_date(kept["starts_on"], "starts_on"),
                          ends_on=parse_date(kept["ends_on"], "ends_on"),
                          visits_per_year=parse_int(kept["visits_per_year"], "visits_per_year", required=False),
                          instalments=parse_int(kept["instalments"] or "1", "instalments"),
                          idempotency_key=portal_key(key, f"-{ref[:20]}"))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _desk(request, actor, errors=field_errors(exc), form=kept, failed=ref, status=error_status(exc))
    raise redirect(request, "a_processes", done=f"Offer sent on {view.number}.")


@routes.post("/a/orders/{ref}/invoice", name="a_order_invoice")
@agent
async def order_invoice(request: web.Request, actor: Actor) -> web.Response:
    view = await call(request, orders.invoice_service_order, actor, order_ref=request.match_info["ref"])
    raise redirect(request, "a_processes", done=f"{view.number} invoiced ({view.invoice_number}).")


@routes.post("/a/orders/{ref}/plan", name="a_order_plan")
@agent
async def order_plan(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("technician_id", "day", "time", "hours")}
    try:
        start = parse_local(request, kept["day"], kept["time"], "start")
        view = await call(request, service_orders.plan_service_order, actor, order_ref=ref,
                          technician_id=parse_int(kept["technician_id"], "technician_id"), start=start,
                          end=start + timedelta(hours=parse_int(kept["hours"] or "2", "end")))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "service order":
            raise
        return await _desk(request, actor, errors=field_errors(exc), form=kept, failed=ref, status=error_status(exc))
    raise redirect(request, "a_processes", done=f"{view.number} planned as job {view.job_number}.")


@routes.post("/a/repairs/{ref}/assign", name="a_repair_assign")
@agent
async def repair_assign(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    try:
        view = await call(request, repairs.assign_repair, actor, repair_ref=ref,
                          technician_id=parse_int(text(form, "technician_id"), "technician_id"))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "repair order":
            raise
        return await _desk(request, actor, errors=field_errors(exc), failed=ref, status=error_status(exc))
    raise redirect(request, "a_processes", done=f"{view.number} sent to the technician for an estimate.")


@routes.post("/a/repairs/{ref}/{action:invoice|deliver|return}", name="a_repair_action")
@agent
async def repair_action(request: web.Request, actor: Actor) -> web.Response:
    ref, action = request.match_info["ref"], request.match_info["action"]
    fn = {"invoice": repairs.invoice_repair, "deliver": repairs.deliver_repair,
          "return": repairs.return_unrepaired}[action]
    try:
        view = await call(request, fn, actor, repair_ref=ref)
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _desk(request, actor, errors=field_errors(exc), failed=ref, status=error_status(exc))
    raise redirect(request, "a_processes", done=f"{view.number}: {view.state.replace('_', ' ')}.")


# --- the technician's bench -----------------------------------------------------------------------

@routes.get("/t/repairs", name="t_repairs")
@technician
async def bench(request: web.Request, actor: Actor) -> web.Response:
    return await _bench(request, actor)


async def _bench(request, actor, *, errors=None, form=None, failed=None, status=200):
    rows = [r for r in await call(request, repairs.list_repairs, actor)
            if r.state in ("estimating", "estimate_sent", "approved", "under_repair")]
    parts = await call(request, catalog.list_parts, actor)
    charges = await call(request, catalog.list_service_charges, actor)
    return render(request, "technician/repairs.html", repairs=rows, parts=parts, charges=charges,
                  rows=range(ESTIMATE_ROWS), errors=errors or {}, form=form or {}, failed=failed, status=status,
                  key=new_form_key())  # one rendering = one parts report, even when sent twice


@routes.post("/t/repairs/{ref}/estimate", name="t_repair_estimate")
@technician
async def repair_estimate(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {f"{k}_{i}": text(form, f"{k}_{i}") for i in range(ESTIMATE_ROWS) for k in ("code", "qty")}
    kept["note"] = text(form, "note")
    lines = [{"code": kept[f"code_{i}"], "qty": kept[f"qty_{i}"] or "1"} for i in range(ESTIMATE_ROWS)
             if kept[f"code_{i}"]]
    try:
        view = await call(request, repairs.send_repair_estimate, actor, repair_ref=ref, lines=lines,
                          note=kept["note"] or None)
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "repair order":
            raise
        return await _bench(request, actor, errors=field_errors(exc), form=kept, failed=ref, status=error_status(exc))
    raise redirect(request, "t_repairs", done=f"Estimate sent on {view.number}.")


@routes.post("/t/repairs/{ref}/{action:start|parts|complete}", name="t_repair_action")
@technician
async def repair_bench_action(request: web.Request, actor: Actor) -> web.Response:
    ref, action = request.match_info["ref"], request.match_info["action"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("part_sku", "qty", "check_notes", "key")}
    try:
        if action == "start":
            view = await call(request, repairs.start_repair, actor, repair_ref=ref)
        elif action == "parts":
            view = await call(request, repairs.add_repair_parts, actor, repair_ref=ref, part_sku=kept["part_sku"],
                              qty=parse_decimal(kept["qty"] or "1", "qty"),
                              idempotency_key=portal_key(kept["key"], f"-{ref[:20]}"))
        else:
            view = await call(request, repairs.complete_repair, actor, repair_ref=ref, check_notes=kept["check_notes"])
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "repair order":
            raise
        if exc.code == ErrorCode.IDEMPOTENCY_CONFLICT:
            kept["key"] = ""  # the page was sent again with other input: the next send is a new one
        return await _bench(request, actor, errors=field_errors(exc), form=kept, failed=ref, status=error_status(exc))
    raise redirect(request, "t_repairs", done=f"{view.number}: {view.state.replace('_', ' ')}.")
