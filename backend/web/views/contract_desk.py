"""The agent's contract desk (process C): the contract inquiry form (C1), one
contract's page with its offers, delivery plan (C2, edited before and after
acceptance), instalments and history, the offer (C3) and order acceptance
(C5) as PDF for staff and for the customer (their own only), and any
customer's account statement printed by staff (E7)."""

from __future__ import annotations

from aiohttp import web

from backend.coverage import plan
from backend.coverage import service as coverage
from backend.documents.printouts import contract_print, statement_print
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.web import pdf
from backend.web.kit import (
    SETTINGS,
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_date,
    parse_decimal,
    parse_int,
    portal_key,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
agent = page(Role.AGENT, Role.MANAGER)
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
customer = page(Role.CUSTOMER)


# --- C1: the inquiry form -------------------------------------------------------------------------

@routes.get("/a/contracts/new", name="a_contract_new")
@agent
async def new_inquiry(request: web.Request, actor: Actor) -> web.Response:
    form = {"customer": request.query.get("customer", "").strip()}
    return await _new(request, actor, form=form)


async def _new(request, actor, *, form, errors=None, status=200) -> web.Response:
    try:
        choices = await call(request, plan.inquiry_choices, actor, customer=form.get("customer", ""))
    except DomainError as exc:
        errors, status = {**(errors or {}), **field_errors(exc)}, error_status(exc)
        choices = await call(request, plan.inquiry_choices, actor, customer="")
    form.setdefault("key", new_form_key())
    picked = form.get("serials") or []
    return render(request, "desk/contract_new.html", choices=choices, form=form, picked=picked,
                  errors=errors or {}, status=status)


@routes.post("/a/contracts/new", name="a_contract_create")
@agent
async def create_inquiry(request: web.Request, actor: Actor) -> web.Response:
    data = await request.post()
    form = {k: text(dict(data), k) for k in ("customer", "customer_id", "type_code", "starts_on", "note", "key")}
    form["serials"] = [s for s in data.getall("serials", []) if isinstance(s, str) and s]
    try:
        view = await call(request, coverage.open_inquiry, actor, type_code=form["type_code"],
                          serials=form["serials"], customer_id=parse_int(form["customer_id"], "customer_id"),
                          starts_on=parse_date(form["starts_on"], "starts_on", required=False),
                          note=form["note"].strip() or None, idempotency_key=portal_key(form["key"], "-ct"))
    except DomainError as exc:
        if exc.code == ErrorCode.IDEMPOTENCY_CONFLICT:
            form["key"] = ""
        return await _new(request, actor, form=form, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "a_contract", ref=view.number,
                   done=f"Contract inquiry {view.number} opened for {len(view.serials)} item(s).")


# --- one contract ---------------------------------------------------------------------------------

@routes.get("/a/contracts/{ref}", name="a_contract")
@agent
async def contract(request: web.Request, actor: Actor) -> web.Response:
    return await _page(request, actor, request.match_info["ref"])


async def _page(request, actor, ref, *, failed=None, errors=None, form=None, status=200) -> web.Response:
    desk = await call(request, plan.contract_desk, actor, contract_ref=ref)
    return render(request, "desk/contract.html", desk=desk, c=desk.contract, plan=desk.plan, failed=failed,
                  errors=errors or {}, form=form or {}, key=new_form_key(), status=status)


async def _refused(request, actor, ref, exc: DomainError, failed: str, form=None) -> web.Response:
    if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "contract":
        raise exc
    return await _page(request, actor, ref, failed=failed, errors=field_errors(exc), form=form,
                       status=error_status(exc))


@routes.post("/a/contracts/{ref}/send-offer", name="a_contract_offer")
@agent
async def send_offer(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("amount", "starts_on", "ends_on", "visits_per_year", "instalments", "key")}
    try:
        view = await call(request, coverage.send_offer, actor, contract_ref=ref,
                          amount=parse_decimal(kept["amount"], "amount"),
                          starts_on=parse_date(kept["starts_on"], "starts_on"),
                          ends_on=parse_date(kept["ends_on"], "ends_on"),
                          visits_per_year=parse_int(kept["visits_per_year"], "visits_per_year", required=False,
                                                    positive=False),
                          instalments=parse_int(kept["instalments"] or "1", "instalments"),
                          idempotency_key=portal_key(kept["key"], f"-{ref[:20]}"))
    except DomainError as exc:
        return await _refused(request, actor, ref, exc, "offer", kept)
    raise redirect(request, "a_contract", ref=view.number,
                   done=f"Offer v{view.offers[-1].version} sent on {view.number}, with its delivery plan.")


@routes.post("/a/contracts/{ref}/{answer:accept|reject|renew}", name="a_contract_answer")
@agent
async def answer(request: web.Request, actor: Actor) -> web.Response:
    """Staff record the customer's answer (by phone, at the counter) or ask for a renewal."""
    ref, what = request.match_info["ref"], request.match_info["answer"]
    form = await form_of(request)
    note = text(form, "note").strip() or None
    try:
        if what == "accept":
            view = await call(request, coverage.accept_offer, actor, contract_ref=ref)
        elif what == "reject":
            view = await call(request, coverage.reject_offer, actor, contract_ref=ref, note=note)
        else:
            view = await call(request, coverage.renew_contract, actor, contract_ref=ref, note=note,
                              idempotency_key=portal_key(text(form, "key"), f"-renew-{ref[:20]}"))
    except DomainError as exc:
        return await _refused(request, actor, ref, exc, "answer", {"note": note or ""})
    if what == "renew":
        raise redirect(request, "a_contract", ref=view.number, done=f"Renewal inquiry {view.number} opened.")
    raise redirect(request, "a_contract", ref=view.number, done=f"{view.number}: {view.state.replace('_', ' ')}.")


@routes.post("/a/contracts/{ref}/visits", name="a_visit_add")
@agent
async def add_visit(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("due_on", "serial", "key")}
    try:
        day = parse_date(kept["due_on"], "due_on")
        await call(request, plan.add_planned_visit, actor, contract_ref=ref, due_on=day,
                   serial=kept["serial"] or None, idempotency_key=portal_key(kept["key"], f"-visit-{ref[:20]}"))
    except DomainError as exc:
        return await _refused(request, actor, ref, exc, "add", kept)
    raise redirect(request, "a_contract", ref=ref, done=f"Visit added on {day.isoformat()}.")


@routes.post("/a/contracts/{ref}/visits/{visit_id}/{action:move|remove}", name="a_visit_change")
@agent
async def change_visit(request: web.Request, actor: Actor) -> web.Response:
    ref, action = request.match_info["ref"], request.match_info["action"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("due_on", "reason")}
    failed = f"visit-{request.match_info['visit_id']}"
    try:
        visit_id = parse_int(request.match_info["visit_id"], "visit_id")
        if action == "move":
            day = parse_date(kept["due_on"], "due_on")
            await call(request, plan.move_planned_visit, actor, contract_ref=ref, visit_id=visit_id, due_on=day)
            done = f"Visit moved to {day.isoformat()}."
        else:
            await call(request, plan.remove_planned_visit, actor, contract_ref=ref, visit_id=visit_id,
                       reason=kept["reason"].strip() or None)
            done = "Visit removed from the plan."
    except DomainError as exc:
        return await _refused(request, actor, ref, exc, failed, kept)
    raise redirect(request, "a_contract", ref=ref, done=done)


# --- the documents ----------------------------------------------------------------------------------

async def _contract_pdf(request: web.Request, actor: Actor, *, accepted: bool) -> web.Response:
    version = None
    if not accepted and request.query.get("version"):
        version = parse_int(request.query["version"], "version")
    doc = await call(request, contract_print, actor, contract_ref=request.match_info["ref"], accepted=accepted,
                     version=version)
    body = pdf.contract_pdf(doc.document, doc.customer, request.app[SETTINGS].currency)
    return pdf.response(body, doc.filename)


@routes.get("/a/contracts/{ref}/offer.pdf", name="a_contract_offer_pdf")
@staff
async def offer_pdf(request: web.Request, actor: Actor) -> web.Response:
    return await _contract_pdf(request, actor, accepted=False)


@routes.get("/a/contracts/{ref}/acceptance.pdf", name="a_contract_acceptance_pdf")
@staff
async def acceptance_pdf(request: web.Request, actor: Actor) -> web.Response:
    return await _contract_pdf(request, actor, accepted=True)


@routes.get("/c/contracts/{ref}/offer.pdf", name="c_contract_offer_pdf")
@customer
async def my_offer_pdf(request: web.Request, actor: Actor) -> web.Response:
    return await _contract_pdf(request, actor, accepted=False)


@routes.get("/c/contracts/{ref}/acceptance.pdf", name="c_contract_acceptance_pdf")
@customer
async def my_acceptance_pdf(request: web.Request, actor: Actor) -> web.Response:
    return await _contract_pdf(request, actor, accepted=True)


@routes.get("/a/customers/{code}/statement.pdf", name="a_customer_statement_pdf")
@staff
async def customer_statement_pdf(request: web.Request, actor: Actor) -> web.Response:
    """E7 at the counter: any customer's statement (optionally ?start=&end=)."""
    doc = await call(request, statement_print, actor, customer_code=request.match_info["code"],
                     start=parse_date(request.query.get("start", ""), "start", required=False),
                     end=parse_date(request.query.get("end", ""), "end", required=False))
    return pdf.response(pdf.statement_pdf(doc.statement, doc.customer, request.app[SETTINGS].currency),
                        doc.filename)
