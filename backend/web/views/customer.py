"""Customer pages: my requests and their journey, raise a request (with the
entitlement answer), appointments, estimates, feedback, invoices (PDF),
statement (PDF), contracts with offers, repair orders."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from backend.billing import service as billing
from backend.catalog import service as catalog
from backend.coverage import service as coverage
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.jobs.lifecycle import BOOKED
from backend.ledger import service as ledger
from backend.processes.job_outcomes import field_report
from backend.repairs import feedback as repair_feedback
from backend.repairs import service as repairs
from backend.web import pdf
from backend.web.kit import (
    SETTINGS,
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_int,
    parse_local,
    portal_key,
    redirect,
    render,
    text,
)
from backend.web.words import NEXT_STEP, WANTS

routes = web.RouteTableDef()
customer = page(Role.CUSTOMER)


@routes.get("/c/", name="c_home")
@customer
async def home(request: web.Request, actor: Actor) -> web.Response:
    requests = await call(request, intake.list_requests, actor)
    my_jobs = await call(request, jobs.list_jobs, actor)
    estimates = [j for j in my_jobs if j.estimate_state == "pending"]
    appointments = [j for j in my_jobs if j.state in ("scheduled", "confirmed", "advance_requested",
                                                      "advance_sanctioned", "released")]
    return render(request, "customer/home.html", requests=requests, estimates=estimates,
                  appointments=appointments, next_step=NEXT_STEP)


async def _request_page(request: web.Request, actor: Actor, ref: str, *, errors=None, form=None,
                        status: int = 200) -> web.Response:
    req = await call(request, intake.get_request, actor, reference=ref)
    job = await call(request, jobs.get_job, actor, job_ref=req.job_number) if req.job_number else None
    field = await call(request, field_report, actor, job_ref=req.job_number) if req.job_number else None  # photos
    return render(request, "customer/request.html", req=req, job=job, field=field, next_step=NEXT_STEP,
                  errors=errors or {}, form=form or {}, booked=BOOKED, status=status)


@routes.get("/c/requests/{ref}", name="c_request")
@customer
async def request_page(request: web.Request, actor: Actor) -> web.Response:
    return await _request_page(request, actor, request.match_info["ref"])


@routes.get("/c/new", name="c_new_request")
@customer
async def new_request(request: web.Request, actor: Actor) -> web.Response:
    items = await call(request, catalog.list_items, actor)
    form = {k: request.query.get(k, "") for k in ("want", "serial", "problem", "day", "time")}
    form["want"] = form["want"] or "service"
    form["key"] = new_form_key()  # one submission = one request, even when sent twice
    entitlement, errors = None, {}
    if request.query.get("check") and form["serial"]:
        try:
            entitlement = await call(request, intake.check_entitlement, actor, serial=form["serial"])
        except DomainError as exc:
            errors = field_errors(exc)
    return render(request, "customer/new_request.html", items=items, form=form, errors=errors,
                  entitlement=entitlement, wants=WANTS)


@routes.post("/c/new", name="c_new_request_post")
@customer
async def new_request_post(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("want", "serial", "problem", "day", "time", "key")}
    try:
        preferred = parse_local(request, kept["day"], kept["time"], "preferred_at", required=False)
        view = await call(request, intake.raise_request, actor, want=kept["want"], problem=kept["problem"],
                          serial=kept["serial"] or None, preferred_at=preferred,
                          idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        items = await call(request, catalog.list_items, actor)
        return render(request, "customer/new_request.html", status=error_status(exc), items=items, form=kept,
                      errors=field_errors(exc), entitlement=None, wants=WANTS)
    raise redirect(request, "c_request", done=f"Request {view.number} received.", ref=view.number)


@routes.post("/c/jobs/{ref}/estimate", name="c_estimate")
@customer
async def estimate(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    answer = text(await form_of(request), "answer")
    fn = jobs.accept_estimate if answer == "accept" else jobs.reject_estimate
    view = await call(request, fn, actor, job_ref=ref)
    raise redirect(request, "c_request", done=f"Estimate {view.estimate_state}.", ref=ref)


@routes.post("/c/jobs/{ref}/feedback", name="c_feedback")
@customer
async def feedback(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"rating": text(form, "rating"), "comment": text(form, "comment")}
    try:
        rating = parse_int(kept["rating"], "rating")
        await call(request, jobs.give_feedback, actor, job_ref=ref, rating=rating, comment=kept["comment"] or None)
    except DomainError as exc:
        return await _request_page(request, actor, ref, errors=field_errors(exc), form=kept,
                                   status=error_status(exc))
    raise redirect(request, "c_request", done="Thank you for your feedback.", ref=ref)


@routes.post("/c/jobs/{ref}/confirm-slot", name="c_confirm_slot")
@customer
async def confirm_slot(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    try:
        await call(request, jobs.confirm_appointment, actor, job_ref=ref)
    except DomainError as exc:
        return await _request_page(request, actor, ref, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "c_request", done="Appointment confirmed; your technician has been told.", ref=ref)


@routes.post("/c/jobs/{ref}/move", name="c_move")
@customer
async def move_appointment(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"day": text(form, "day"), "time": text(form, "time"), "hours": text(form, "hours") or "2"}
    try:
        start = parse_local(request, kept["day"], kept["time"], "start")
        hours = parse_int(kept["hours"], "end")
        await call(request, jobs.reschedule_job, actor, job_ref=ref, start=start, end=start + timedelta(hours=hours))
    except DomainError as exc:
        return await _request_page(request, actor, ref, errors=field_errors(exc), form=kept,
                                   status=error_status(exc))
    raise redirect(request, "c_request", done="Appointment moved; the technician will confirm again.", ref=ref)


# --- invoices and statement ---------------------------------------------------------------------

@routes.get("/c/invoices", name="c_invoices")
@customer
async def invoices(request: web.Request, actor: Actor) -> web.Response:
    rows = await call(request, billing.list_invoices, actor)
    return render(request, "customer/invoices.html", invoices=list(reversed(rows)))


@routes.get("/c/invoices/{ref}", name="c_invoice")
@customer
async def invoice(request: web.Request, actor: Actor) -> web.Response:
    inv = await call(request, billing.get_invoice, actor, invoice_ref=request.match_info["ref"])
    return render(request, "customer/invoice.html", inv=inv, pay=await _pay_instructions(request, actor, inv))


async def _pay_instructions(request: web.Request, actor: Actor, inv):
    """The invoice's payment link and UPI QR (None when nothing is due)."""
    from backend.banking.paylinks import payment_instructions
    from backend.web.views.pay import links_for

    if inv.outstanding <= 0:
        return None
    try:
        return await call(request, payment_instructions, actor, invoice_ref=inv.number, links=links_for(request))
    except DomainError:
        return None


@routes.get("/c/invoices/{ref}/pdf", name="c_invoice_pdf")
@customer
async def invoice_pdf(request: web.Request, actor: Actor) -> web.Response:
    from backend.documents.invoices import get_tax_invoice

    doc = await call(request, get_tax_invoice, actor, invoice_ref=request.match_info["ref"])
    body = pdf.invoice_pdf(doc.invoice, doc.customer, request.app[SETTINGS].currency, doc.payment, doc.company)
    return pdf.response(body, f"{doc.invoice.number}.pdf")


def _range(request: web.Request):
    from backend.web.kit import parse_date

    return (parse_date(request.query.get("start", ""), "start", required=False),
            parse_date(request.query.get("end", ""), "end", required=False))


@routes.get("/c/statement", name="c_statement")
@customer
async def statement(request: web.Request, actor: Actor) -> web.Response:
    form = {"start": request.query.get("start", ""), "end": request.query.get("end", "")}
    try:
        start, end = _range(request)
        st = await call(request, ledger.party_statement, actor, party_type="customer", party_id=actor.customer_id,
                        start=start, end=end)
    except DomainError as exc:
        return render(request, "customer/statement.html", status=error_status(exc), st=None, form=form,
                      errors=field_errors(exc))
    return render(request, "customer/statement.html", st=st, form=form, errors={})


@routes.get("/c/statement/pdf", name="c_statement_pdf")
@customer
async def statement_pdf(request: web.Request, actor: Actor) -> web.Response:
    from backend.customers.service import get_customer

    start, end = _range(request)
    st = await call(request, ledger.party_statement, actor, party_type="customer", party_id=actor.customer_id,
                    start=start, end=end)
    cust = await call(request, get_customer, actor, customer_id=actor.customer_id)
    body = pdf.statement_pdf(st, cust, request.app[SETTINGS].currency)
    return pdf.response(body, f"statement-{cust.code}.pdf")


# --- contracts (C) and repairs (E) --------------------------------------------------------------

@routes.get("/c/contracts", name="c_contracts")
@customer
async def contracts(request: web.Request, actor: Actor) -> web.Response:
    rows = await call(request, coverage.list_contracts, actor)
    return render(request, "customer/contracts.html", contracts=rows)


@routes.post("/c/contracts/{ref}/{answer:accept|reject|renew}", name="c_contract_answer")
@customer
async def contract_answer(request: web.Request, actor: Actor) -> web.Response:
    ref, answer = request.match_info["ref"], request.match_info["answer"]
    fn = {"accept": coverage.accept_offer, "reject": coverage.reject_offer, "renew": coverage.renew_contract}[answer]
    view = await call(request, fn, actor, contract_ref=ref)
    raise redirect(request, "c_contracts", done=f"{view.number}: {view.state.replace('_', ' ')}.")


@routes.get("/c/repairs", name="c_repairs")
@customer
async def repair_orders(request: web.Request, actor: Actor) -> web.Response:
    return await _repairs_page(request, actor)


async def _repairs_page(request, actor, *, failed=None, errors=None, form=None, status=200):
    rows = await call(request, repairs.list_repairs, actor)
    rated = await call(request, repair_feedback.rated_repairs, actor)
    return render(request, "customer/repairs.html", repairs=rows, rated=rated, rateable=repair_feedback.RATEABLE,
                  failed=failed, errors=errors or {}, form=form or {}, status=status)


@routes.post("/c/repairs/{ref}/feedback", name="c_repair_feedback")
@customer
async def repair_feedback_form(request: web.Request, actor: Actor) -> web.Response:
    """E8: the customer rates a repair handed back."""
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"rating": text(form, "rating"), "comment": text(form, "comment")}
    try:
        rating = parse_int(kept["rating"], "rating")
        await call(request, repair_feedback.give_repair_feedback, actor, repair_ref=ref, rating=rating,
                   comment=kept["comment"] or None)
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _repairs_page(request, actor, failed=ref, errors=field_errors(exc), form=kept,
                                   status=error_status(exc))
    raise redirect(request, "c_repairs", done=f"Thank you for your feedback on {ref}.")


@routes.post("/c/repairs/{ref}/{answer:approve|decline}", name="c_repair_answer")
@customer
async def repair_answer(request: web.Request, actor: Actor) -> web.Response:
    ref, answer = request.match_info["ref"], request.match_info["answer"]
    fn = repairs.approve_repair_estimate if answer == "approve" else repairs.decline_repair_estimate
    view = await call(request, fn, actor, repair_ref=ref)
    raise redirect(request, "c_repairs", done=f"{view.number}: {view.state.replace('_', ' ')}.")
