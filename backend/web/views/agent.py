"""Help-desk agent pages: intake queue, kanban of jobs by state, the
appointment calendar with technician lanes, advances to sanction, jobs to
release and bill, collections with follow-ups, receipts entry."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from backend.billing import service as billing
from backend.customers.service import get_customer
from backend.errors import DomainError, ErrorCode
from backend.identity import service as identity
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.jobs import expenses
from backend.jobs import service as jobs
from backend.jobs.lifecycle import JOB_MOVES, can_bill, can_override_estimate
from backend.jobs.models import JobState
from backend.processes import job_outcomes
from backend.processes import payments
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
    tz,
    url,
)
from backend.web.words import JOB_COLUMNS, MOVED_BY_OTHERS

routes = web.RouteTableDef()
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
agent = page(Role.AGENT, Role.MANAGER)
WORKDAY_HOURS = 8


async def customer_names(request: web.Request, actor: Actor, ids) -> dict[int, str]:
    names = {}
    for cid in sorted(set(ids)):
        try:
            names[cid] = (await call(request, get_customer, actor, customer_id=cid)).name
        except DomainError:
            names[cid] = f"customer {cid}"
    return names


@routes.get("/a/", name="a_home")
@agent
async def intake_queue(request: web.Request, actor: Actor) -> web.Response:
    return await _intake(request, actor)


async def _intake(request, actor, *, errors=None, form=None, status=200, ticket=None) -> web.Response:
    new_jobs = await call(request, jobs.list_jobs, actor, state="new")
    tickets = await call(request, intake.list_tickets, actor, state="open")
    requests = await call(request, intake.list_requests, actor, limit=20)
    names = await customer_names(request, actor, [j.customer_id for j in new_jobs] + [t.customer_id for t in tickets]
                                 + [r.customer_id for r in requests])
    return render(request, "agent/intake.html", new_jobs=new_jobs, tickets=tickets, requests=requests, names=names,
                  errors=errors or {}, form=form or {}, error_ticket=ticket, status=status)


@routes.post("/a/tickets/{ref}/answer", name="a_answer")
@agent
async def answer(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"answer": text(form, "answer")}
    try:
        await call(request, intake.answer_ticket, actor, ticket_ref=ref, answer=kept["answer"])
    except DomainError as exc:
        return await _intake(request, actor, errors=field_errors(exc), form=kept, status=error_status(exc), ticket=ref)
    raise redirect(request, "a_home", done=f"{ref} answered.")


# --- kanban -------------------------------------------------------------------------------------

@routes.get("/a/kanban", name="a_kanban")
@agent
async def kanban(request: web.Request, actor: Actor) -> web.Response:
    all_jobs = await call(request, jobs.list_jobs, actor, limit=2000)
    columns = {state: [] for state in JOB_COLUMNS}
    for j in all_jobs:
        columns.setdefault(j.state, []).append(j)
    names = await customer_names(request, actor, [j.customer_id for j in all_jobs])
    order = {s: i for i, s in enumerate(JOB_COLUMNS)}
    return render(request, "agent/kanban.html", columns=columns, names=names,
                  ordered=lambda states: sorted(states, key=lambda s: order.get(s, 99)),
                  focus=request.query.get("job"), message=request.query.get("why"))


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@routes.post("/a/jobs/{ref}/move", name="a_move")
@agent
async def move(request: web.Request, actor: Actor) -> web.StreamResponse:
    """Move a card: the use case that makes that move, or the reason it is refused."""
    ref = request.match_info["ref"]
    form = await form_of(request)
    target, note = text(form, "target"), text(form, "note")
    try:
        job = await call(request, jobs.get_job, actor, job_ref=ref)
        done = await _make_move(request, actor, job, target, note)
    except DomainError as exc:
        if _wants_json(request):
            return web.json_response({"ok": False, "code": str(exc.code), "message": exc.message},
                                     status=error_status(exc))
        raise web.HTTPSeeOther(url(request, "a_kanban", query={"job": ref, "why": f"{exc.code}: {exc.message}"})) from None
    if isinstance(done, str) and done.startswith("/"):
        if _wants_json(request):
            needs = FORM_NEEDED.get(target, FORM_NEEDED["scheduled"])
            return web.json_response({"ok": False, "code": needs[0], "redirect": done, "message": needs[1]})
        raise web.HTTPSeeOther(done)
    if _wants_json(request):
        return web.json_response({"ok": True, "message": done})
    raise redirect(request, "a_kanban", done=done)


# Moves made on another page: the code and message a dragged card answers with.
FORM_NEEDED = {
    "scheduled": ("needs_slot", "pick a technician and a slot in the calendar"),
    "resolved": ("needs_invoice_cancelled", "cancel the job's invoice on its page to bill the job again"),
}


async def _make_move(request: web.Request, actor: Actor, job, target: str, note: str) -> str:
    if target not in set(JobState):
        raise DomainError(ErrorCode.INVALID_INPUT, f"unknown job state '{target}'", field="target")
    JOB_MOVES.check(JobState(job.state), JobState(target))  # an illegal move: its reason, nothing changes
    ref = job.number
    if target == "scheduled":
        return url(request, "a_calendar", query={"job": ref})
    if target == "resolved" and job.state == JobState.BILLED and job.invoice_number:
        return url(request, "a_invoice", ref=job.invoice_number)  # billed again only by cancelling the invoice
    if target == "released":
        await call(request, jobs.release_job, actor, job_ref=ref)
        return f"{ref} released."
    if target == "billed":
        view = await call(request, jobs.bill_job, actor, job_ref=ref)
        return f"{ref} billed ({view.invoice_number})." if view.invoice_number else f"{ref} closed: nothing billable."
    if target == "closed":
        await call(request, jobs.close_job, actor, job_ref=ref, note=note)
        return f"{ref} closed."
    if target == "cancelled":
        await call(request, job_outcomes.cancel_job, actor, job_ref=ref, reason=note)
        return f"{ref} cancelled."
    raise DomainError(ErrorCode.FORBIDDEN, f"an agent does not make this move: {MOVED_BY_OTHERS.get(target, target)}",
                      current=job.state, target=target)


# --- calendar with technician lanes ---------------------------------------------------------------

@routes.get("/a/calendar", name="a_calendar")
@agent
async def calendar(request: web.Request, actor: Actor) -> web.Response:
    return await _calendar(request, actor)


async def _calendar(request, actor, *, errors=None, form=None, status=200, failed=None) -> web.Response:
    zone = tz(request)
    try:
        day = parse_date(request.query.get("day", ""), "day", required=False) or datetime.now(zone).date()
    except DomainError:
        day = datetime.now(zone).date()
    techs = await call(request, identity.list_users, actor, role="technician")
    techs = [t for t in techs if t.active]
    all_jobs = await call(request, jobs.list_jobs, actor, limit=2000)
    lanes = []
    for t in techs:
        booked = [j for j in all_jobs if j.technician_id == t.id and j.scheduled_start
                  and j.scheduled_start.astimezone(zone).date() == day and j.state != "cancelled"]
        hours = sum((j.scheduled_end - j.scheduled_start).total_seconds() / 3600 for j in booked)
        lanes.append({"tech": t, "jobs": booked, "hours": hours, "load": min(100, round(100 * hours / WORKDAY_HOURS))})
    waiting = [j for j in all_jobs if j.state == "new"]
    names = await customer_names(request, actor, [j.customer_id for j in waiting])
    focus = request.query.get("job") or failed
    defaults = form or {"day": day.isoformat(), "time": "10:00", "hours": "2"}
    return render(request, "agent/calendar.html", day=day, prev=day - timedelta(days=1), next=day + timedelta(days=1),
                  lanes=lanes, waiting=waiting, techs=techs, names=names, focus=focus, form=defaults,
                  errors=errors or {}, failed=failed, status=status)


@routes.post("/a/jobs/{ref}/schedule", name="a_schedule")
@agent
async def schedule(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("technician_id", "day", "time", "hours")}
    try:
        tech = parse_int(kept["technician_id"], "technician_id")
        start = parse_local(request, kept["day"], kept["time"], "start")
        hours = parse_int(kept["hours"] or "2", "end")
        await call(request, jobs.schedule_job, actor, job_ref=ref, technician_id=tech, start=start,
                   end=start + timedelta(hours=hours))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "job":
            raise
        errors = field_errors(exc)
        if exc.code == ErrorCode.NOT_FOUND:
            errors = {"technician_id": {"code": str(exc.code), "message": exc.message}}
        return await _calendar(request, actor, errors=errors, form=kept, status=error_status(exc), failed=ref)
    raise web.HTTPSeeOther(url(request, "a_calendar", query={"day": kept["day"], "done": f"{ref} scheduled."}))


# --- advances, release and bill ------------------------------------------------------------------

@routes.get("/a/advances", name="a_advances")
@agent
async def advances(request: web.Request, actor: Actor) -> web.Response:
    return await _advances(request, actor)


async def _advances(request, actor, *, errors=None, failed=None, status=200):
    waiting = await call(request, expenses.list_advances, actor, state="requested")
    recent = [a for a in await call(request, expenses.list_advances, actor) if a.state != "requested"][:20]
    return render(request, "agent/advances.html", waiting=waiting, recent=recent, errors=errors or {},
                  failed=failed, status=status)


@routes.post("/a/advances/{id:\\d+}/{answer:sanction|reject}", name="a_advance_answer")
@agent
async def advance_answer(request: web.Request, actor: Actor) -> web.Response:
    advance_id, answer = int(request.match_info["id"]), request.match_info["answer"]
    form = await form_of(request)
    try:
        if answer == "sanction":
            await call(request, expenses.sanction_advance, actor, advance_id=advance_id)
        else:
            await call(request, expenses.reject_advance, actor, advance_id=advance_id, reason=text(form, "reason"))
    except DomainError as exc:
        return await _advances(request, actor, errors=field_errors(exc), failed=advance_id, status=error_status(exc))
    raise redirect(request, "a_advances", done=f"Advance {advance_id} {answer}ed.")


@routes.get("/a/billing", name="a_billing")
@agent
async def billing_page(request: web.Request, actor: Actor) -> web.Response:
    return await _billing(request, actor)


async def _billing(request, actor, *, errors=None, failed=None, status=200):
    to_release = (await call(request, jobs.list_jobs, actor, state="confirmed")
                  + await call(request, jobs.list_jobs, actor, state="advance_sanctioned"))
    to_bill = (await call(request, jobs.list_jobs, actor, state="resolved")
               + await call(request, jobs.list_jobs, actor, state="feedback"))
    names = await customer_names(request, actor, [j.customer_id for j in to_release + to_bill])
    return render(request, "agent/billing.html", to_release=to_release, to_bill=to_bill, names=names,
                  billable={j.number for j in to_bill if can_bill(j)},
                  overridable={j.number for j in to_bill if can_override_estimate(j)},
                  errors=errors or {}, failed=failed, status=status)


@routes.post("/a/jobs/{ref}/{action:release|bill|close|override}", name="a_job_action")
@agent
async def job_action(request: web.Request, actor: Actor) -> web.Response:
    ref, action = request.match_info["ref"], request.match_info["action"]
    form = await form_of(request)
    try:
        if action == "release":
            await call(request, jobs.release_job, actor, job_ref=ref)
            done = f"{ref} released to the technician."
        elif action == "bill":
            view = await call(request, jobs.bill_job, actor, job_ref=ref)
            done = f"{ref} billed: {view.invoice_number}." if view.invoice_number else f"{ref} closed: nothing billable."
        elif action == "override":  # the customer agreed outside the portal: why billing may go ahead
            await call(request, jobs.override_estimate_answer, actor, job_ref=ref, reason=text(form, "reason"))
            done = f"{ref}: override recorded; the job can be billed."
        else:
            await call(request, jobs.close_job, actor, job_ref=ref, note=text(form, "note"))
            done = f"{ref} closed."
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _billing(request, actor, errors=field_errors(exc), failed=ref, status=error_status(exc))
    raise redirect(request, "a_billing", done=done)


# --- collections and receipts --------------------------------------------------------------------

@routes.get("/a/collections", name="a_collections")
@agent
async def collections(request: web.Request, actor: Actor) -> web.Response:
    return await _collections(request, actor)


async def _collections(request, actor, *, errors=None, form=None, failed=None, status=200):
    due = await call(request, billing.collections_due, actor)
    open_invoices = await call(request, billing.list_invoices, actor, state="open")
    names = await customer_names(request, actor, [d.customer_id for d in due] + [i.customer_id for i in open_invoices])
    form = dict(form or {"method": "bank"})
    form["key"] = form.get("key") or new_form_key()  # one receipt per submission, even if sent twice
    return render(request, "agent/collections.html", due=due, open_invoices=open_invoices, names=names,
                  errors=errors or {}, form=form, failed=failed, status=status,
                  methods=sorted(billing.METHODS))


@routes.post("/a/invoices/{ref}/follow-up", name="a_follow_up")
@agent
async def follow_up(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"note": text(form, "note"), "next_on": text(form, "next_on")}
    key = text(form, "key")
    try:
        next_on = parse_date(kept["next_on"], "next_on", required=False)
        await call(request, billing.add_follow_up, actor, invoice_ref=ref, note=kept["note"], next_on=next_on,
                   idempotency_key=portal_key(key, f"-{ref[:20]}"))
    except DomainError as exc:
        return await _collections(request, actor, errors=field_errors(exc), form=kept, failed=ref,
                                  status=error_status(exc))
    raise redirect(request, "a_collections", done=f"Follow-up on {ref} recorded.")


@routes.post("/a/receipts", name="a_receipt")
@agent
async def receipt(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("invoice", "amount", "method", "reference", "received_on", "key")}
    try:
        amount = parse_decimal(kept["amount"], "amount")
        on = parse_date(kept["received_on"], "received_on", required=False)
        view = await call(request, payments.record_receipt, actor, invoice_ref=kept["invoice"].strip(), amount=amount,
                          method=kept["method"], reference=kept["reference"] or None, received_on=on,
                          idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        errors = field_errors(exc)
        if exc.code == ErrorCode.NOT_FOUND:
            errors = {"invoice": {"code": str(exc.code), "message": exc.message}}
        elif exc.code == ErrorCode.OVERPAYMENT:
            errors = {"amount": {"code": str(exc.code), "message": exc.message}}
        return await _collections(request, actor, errors=errors, form=kept, failed="receipt",
                                  status=error_status(exc))
    raise redirect(request, "a_collections",
                   done=f"Receipt {view.number} recorded; {view.invoice_outstanding} still due on {view.invoice_number}.")
