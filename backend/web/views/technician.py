"""Technician pages, phone-sized first: today's and upcoming jobs, job detail
(cover and history), confirm, arrival, parts from stock, completion, travel
advances and expense claims with a photo or PDF of each bill."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from backend.catalog import service as catalog
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.jobs import expenses
from backend.jobs import service as jobs
from backend.processes import job_outcomes
from backend.web.kit import (
    SETTINGS,
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_decimal,
    portal_key,
    redirect,
    render,
    text,
    tz,
)

routes = web.RouteTableDef()
technician = page(Role.TECHNICIAN)
CLAIM_ROWS = 3
OPEN = {"scheduled", "confirmed", "advance_requested", "advance_sanctioned", "released", "in_progress"}


@routes.get("/t/", name="t_home")
@technician
async def home(request: web.Request, actor: Actor) -> web.Response:
    zone = tz(request)
    today = datetime.now(zone).date()
    mine = await call(request, jobs.list_jobs, actor)
    today_jobs, upcoming, other = [], [], []
    for j in mine:
        day = j.scheduled_start.astimezone(zone).date() if j.scheduled_start else None
        if j.state in OPEN and day == today:
            today_jobs.append(j)
        elif j.state in OPEN and day and day > today:
            upcoming.append(j)
        elif j.state in OPEN or j.state == "resolved":
            other.append(j)
    return render(request, "technician/home.html", today=today_jobs, upcoming=upcoming, other=other)


async def _job_page(request: web.Request, actor: Actor, ref: str, *, errors=None, form=None,
                    status: int = 200) -> web.Response:
    job = await call(request, jobs.get_job, actor, job_ref=ref)
    req = await call(request, intake.get_request, actor, reference=ref)
    parts = await call(request, catalog.list_parts, actor) if job.state == "in_progress" else []
    advances = [a for a in await call(request, expenses.list_advances, actor) if a.job_number == job.number]
    claims = [c for c in await call(request, expenses.list_expense_claims, actor) if c.job_number == job.number]
    form = dict(form or {})
    reused = any(e.get("code") == ErrorCode.IDEMPOTENCY_CONFLICT for e in (errors or {}).values())
    if not form.get("key") or reused:  # (a page sent again with other input: the next send is a new one)
        form["key"] = new_form_key()  # one rendering of the page = one parts report, advance or claim
    return render(request, "technician/job.html", job=job, req=req, parts=parts, advances=advances, claims=claims,
                  categories=expenses.CATEGORIES, rows=range(CLAIM_ROWS), errors=errors or {}, form=form,
                  status=status)


@routes.get("/t/jobs/{ref}", name="t_job")
@technician
async def job_page(request: web.Request, actor: Actor) -> web.Response:
    return await _job_page(request, actor, request.match_info["ref"])


@routes.post("/t/jobs/{ref}/{step:confirm|arrive}", name="t_step")
@technician
async def step(request: web.Request, actor: Actor) -> web.Response:
    ref, step = request.match_info["ref"], request.match_info["step"]
    fn = jobs.confirm_job if step == "confirm" else jobs.report_arrival
    try:
        await call(request, fn, actor, job_ref=ref)
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _job_page(request, actor, ref, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "t_job", done="Confirmed." if step == "confirm" else "Arrival recorded.", ref=ref)


@routes.post("/t/jobs/{ref}/parts", name="t_parts")
@technician
async def parts_used(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"part_sku": text(form, "part_sku"), "qty": text(form, "qty"), "key": text(form, "key")}
    try:
        qty = parse_decimal(kept["qty"], "qty")
        await call(request, jobs.add_parts_used, actor, job_ref=ref, part_sku=kept["part_sku"], qty=qty,
                   idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "job":
            raise
        errors = field_errors(exc)
        if exc.code in (ErrorCode.OUT_OF_STOCK, ErrorCode.NOT_FOUND):
            errors = {"part_sku": {"code": str(exc.code), "message": exc.message}}
        return await _job_page(request, actor, ref, errors=errors, form=kept, status=error_status(exc))
    raise redirect(request, "t_job", done="Part recorded.", ref=ref)


@routes.post("/t/jobs/{ref}/resolve", name="t_resolve")
@technician
async def resolve(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"service_notes": text(form, "service_notes"), "partly_done": text(form, "partly_done")}
    try:
        await call(request, job_outcomes.resolve_job, actor, job_ref=ref, service_notes=kept["service_notes"],
                   partly_done=bool(kept["partly_done"]))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _job_page(request, actor, ref, errors=field_errors(exc), form=kept, status=error_status(exc))
    raise redirect(request, "t_job", done="Job completed.", ref=ref)


@routes.post("/t/jobs/{ref}/advance", name="t_advance")
@technician
async def advance(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"amount": text(form, "amount"), "purpose": text(form, "purpose"), "key": text(form, "key")}
    try:
        amount = parse_decimal(kept["amount"], "amount")
        await call(request, expenses.request_advance, actor, job_ref=ref, amount=amount, purpose=kept["purpose"],
                   idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _job_page(request, actor, ref, errors=field_errors(exc), form=kept, status=error_status(exc))
    raise redirect(request, "t_job", done="Advance requested.", ref=ref)


@routes.post("/t/jobs/{ref}/claim", name="t_claim")
@technician
async def claim(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    data = await request.post()
    kept: dict[str, str] = {}
    for i in range(CLAIM_ROWS):
        for name in ("category", "description", "amount"):
            value = data.get(f"{name}_{i}", "")
            kept[f"{name}_{i}"] = value if isinstance(value, str) else ""
    key = data.get("key", "")
    kept["key"] = key if isinstance(key, str) else ""
    settings = request.app[SETTINGS]
    try:
        lines = []
        for i in range(CLAIM_ROWS):
            bill = data.get(f"file_{i}")
            has_file = bool(getattr(bill, "filename", None))  # an empty file input arrives as bytes
            if not (kept[f"description_{i}"].strip() or kept[f"amount_{i}"].strip() or has_file):
                continue
            amount = parse_decimal(kept[f"amount_{i}"], "amount")
            attachment_id = None
            if has_file:
                try:
                    att = await call(request, expenses.store_attachment, actor, upload_dir=settings.upload_dir,
                                     filename=bill.filename, content_type=(bill.content_type or "").lower(),
                                     data=bill.file.read(settings.upload_max_bytes + 1),
                                     max_bytes=settings.upload_max_bytes, allowed_types=settings.upload_types,
                                     idempotency_key=portal_key(kept["key"], f"-bill-{i}"))
                except DomainError as exc:
                    raise DomainError(exc.code, f"line {i + 1}: {exc.message}", field="file") from None
                attachment_id = att.id
            lines.append({"category": kept[f"category_{i}"], "description": kept[f"description_{i}"],
                          "amount": amount, "attachment_id": attachment_id})
        view = await call(request, expenses.submit_expense_claim, actor, job_ref=ref, lines=lines,
                          idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "job":
            raise
        return await _job_page(request, actor, ref, errors=field_errors(exc), form=kept, status=error_status(exc))
    raise redirect(request, "t_job", done=f"Expense claim {view.number} sent.", ref=ref)


@routes.get("/t/money", name="t_money")
@technician
async def money_page(request: web.Request, actor: Actor) -> web.Response:
    advances = await call(request, expenses.list_advances, actor)
    claims = await call(request, expenses.list_expense_claims, actor)
    return render(request, "technician/money.html", advances=advances, claims=claims)
