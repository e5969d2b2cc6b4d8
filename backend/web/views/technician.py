"""Technician pages, phone-sized first and usable without a signal: today's
and upcoming jobs, job detail (customer, site, cover, history), confirm,
arrival (with the phone's position when allowed), parts from stock, notes,
before/after photos, the customer's signature, completion, travel advances
and expense claims with a photo or PDF of each bill.

Every form works as a plain form post (a redirect back with what was done,
or the page again with the error next to the field). The technician app
(``static/tech-app.js``) posts the same forms from its offline queue with
``Accept: application/json``: it gets ``{"ok": true, "message", "redirect"}``
or ``{"ok": false, "code", "message", "details"}`` instead, and the form's
``key`` is the queued action's idempotency key, so a resend does nothing
twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from backend.catalog import service as catalog
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.jobs import expenses, media
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
    url,
)

routes = web.RouteTableDef()
technician = page(Role.TECHNICIAN)
CLAIM_ROWS = 3
OPEN = {"scheduled", "confirmed", "advance_requested", "advance_sanctioned", "released", "in_progress"}
PARTS_SHOWN = OPEN  # the parts catalogue rides along on every open job's page, so it is there offline


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _done(request: web.Request, ref: str, message: str, **extra: Any) -> web.StreamResponse:
    if wants_json(request):
        return web.json_response({"ok": True, "message": message, **extra,
                                  "redirect": url(request, "t_job", query={"done": message}, ref=ref)})
    raise redirect(request, "t_job", done=message, ref=ref)


def _refused(exc: DomainError) -> web.Response:
    body = exc.as_dict()
    return web.json_response({"ok": False, "code": body["code"], "message": body["message"],
                              "details": body.get("details", {})}, status=error_status(exc))


async def _refusal(request: web.Request, actor: Actor, ref: str, exc: DomainError, *, errors=None, form=None,
                   whole_page_for=(ErrorCode.NOT_FOUND,)) -> web.StreamResponse:
    """The JSON refusal for the app; for a form post, the page again with the
    error next to its field (or the error page when the job itself is not there)."""
    if wants_json(request):
        return _refused(exc)
    if exc.code in whole_page_for and exc.details.get("entity", "job") == "job":
        raise exc
    return await _job_page(request, actor, ref, errors=errors or field_errors(exc), form=form,
                           status=error_status(exc))


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
    field = await call(request, job_outcomes.field_report, actor, job_ref=ref)
    parts = await call(request, catalog.list_parts, actor) if job.state in PARTS_SHOWN else []
    advances = [a for a in await call(request, expenses.list_advances, actor) if a.job_number == job.number]
    claims = [c for c in await call(request, expenses.list_expense_claims, actor) if c.job_number == job.number]
    form = dict(form or {})
    reused = any(e.get("code") == ErrorCode.IDEMPOTENCY_CONFLICT for e in (errors or {}).values())
    if not form.get("key") or reused:  # (a page sent again with other input: the next send is a new one)
        form["key"] = new_form_key()  # one rendering of the page = one parts report, advance or claim
    return render(request, "technician/job.html", job=job, req=req, field=field, parts=parts, advances=advances,
                  claims=claims, categories=expenses.CATEGORIES, rows=range(CLAIM_ROWS), errors=errors or {},
                  form=form, fresh_key=new_form_key, status=status)


@routes.get("/t/jobs/{ref}", name="t_job")
@technician
async def job_page(request: web.Request, actor: Actor) -> web.Response:
    return await _job_page(request, actor, request.match_info["ref"])


@routes.post("/t/jobs/{ref}/confirm", name="t_confirm")
@technician
async def confirm(request: web.Request, actor: Actor) -> web.StreamResponse:
    ref = request.match_info["ref"]
    form = await form_of(request)
    try:
        await call(request, jobs.confirm_job, actor, job_ref=ref, idempotency_key=portal_key(text(form, "key")))
    except DomainError as exc:
        return await _refusal(request, actor, ref, exc)
    return _done(request, ref, "Confirmed.")


@routes.post("/t/jobs/{ref}/arrive", name="t_arrive")
@technician
async def arrive(request: web.Request, actor: Actor) -> web.StreamResponse:
    """B5 with the position the phone gave (or why none), and the phone's time
    when the app kept the arrival offline."""
    ref = request.match_info["ref"]
    form = await form_of(request)
    try:
        await call(request, jobs.report_arrival, actor, job_ref=ref, location=text(form, "location") or None,
                   latitude=text(form, "latitude") or None, longitude=text(form, "longitude") or None,
                   accuracy_m=text(form, "accuracy_m") or None, reported_at=text(form, "at") or None,
                   idempotency_key=portal_key(text(form, "key")))
    except DomainError as exc:
        return await _refusal(request, actor, ref, exc)
    return _done(request, ref, "Arrival recorded.")


@routes.post("/t/jobs/{ref}/parts", name="t_parts")
@technician
async def parts_used(request: web.Request, actor: Actor) -> web.StreamResponse:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"part_sku": text(form, "part_sku"), "qty": text(form, "qty"), "key": text(form, "key")}
    try:
        qty = parse_decimal(kept["qty"], "qty")
        await call(request, jobs.add_parts_used, actor, job_ref=ref, part_sku=kept["part_sku"], qty=qty,
                   idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        errors = field_errors(exc)
        if exc.code in (ErrorCode.OUT_OF_STOCK, ErrorCode.NOT_FOUND) and exc.details.get("entity") != "job":
            errors = {"part_sku": {"code": str(exc.code), "message": exc.message}}
        return await _refusal(request, actor, ref, exc, errors=errors, form=kept)
    return _done(request, ref, "Part recorded.")


@routes.post("/t/jobs/{ref}/notes", name="t_note")
@technician
async def note(request: web.Request, actor: Actor) -> web.StreamResponse:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"note": text(form, "note"), "key": text(form, "key")}
    try:
        await call(request, media.add_note, actor, job_ref=ref, body=kept["note"], noted_at=text(form, "at") or None,
                   idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        errors = {"note": {"code": str(exc.code), "message": exc.message}} if exc.details.get("field") else None
        return await _refusal(request, actor, ref, exc, errors=errors, form=kept)
    return _done(request, ref, "Note saved.")


async def _file(request: web.Request, name: str, limit: int) -> tuple[str, str, bytes, dict[str, str]]:
    """The uploaded file of field ``name`` (filename, type, at most ``limit`` + 1 bytes) and the other fields."""
    data = await request.post()
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    upload = data.get(name)
    if not getattr(upload, "filename", None):  # an empty file input arrives as bytes
        raise DomainError(ErrorCode.INVALID_INPUT, "choose a picture first", field="file")
    return upload.filename, (upload.content_type or "").lower(), upload.file.read(limit + 1), fields


@routes.post("/t/jobs/{ref}/photos", name="t_photo")
@technician
async def photo(request: web.Request, actor: Actor) -> web.StreamResponse:
    """A before or after photo (the app has already scaled it down on the phone)."""
    ref = request.match_info["ref"]
    settings = request.app[SETTINGS]
    try:
        filename, content_type, data, fields = await _file(request, "file", settings.upload_max_bytes)
        view = await call(request, media.add_photo, actor, job_ref=ref, kind=fields.get("kind", ""),
                          filename=filename, content_type=content_type, data=data,
                          upload_dir=settings.upload_dir, max_bytes=settings.upload_max_bytes,
                          allowed_types=settings.upload_types, taken_at=fields.get("at") or None,
                          idempotency_key=portal_key(fields.get("key", "")))
    except DomainError as exc:
        return await _refusal(request, actor, ref, exc,
                              errors={"photo": {"code": str(exc.code), "message": exc.message}})
    return _done(request, ref, f"{view.kind.capitalize()} photo saved.", photo=view.id)


@routes.post("/t/jobs/{ref}/signature", name="t_signature")
@technician
async def signature(request: web.Request, actor: Actor) -> web.StreamResponse:
    """The customer's signature drawn on the phone (a PNG from the app's canvas) and their name."""
    ref = request.match_info["ref"]
    settings = request.app[SETTINGS]
    try:
        filename, content_type, data, fields = await _file(request, "file", media.SIGNATURE_MAX)
        await call(request, media.sign_job, actor, job_ref=ref, signer_name=fields.get("signer_name", ""), data=data,
                   content_type=content_type, upload_dir=settings.upload_dir, signed_at=fields.get("at") or None,
                   idempotency_key=portal_key(fields.get("key", "")))
    except DomainError as exc:
        errors = (field_errors(exc) if exc.details.get("field") == "signer_name"
                  else {"sign": {"code": str(exc.code), "message": exc.message}})
        return await _refusal(request, actor, ref, exc, errors=errors)
    return _done(request, ref, "Signature saved.")


@routes.post("/t/jobs/{ref}/resolve", name="t_resolve")
@technician
async def resolve(request: web.Request, actor: Actor) -> web.StreamResponse:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"service_notes": text(form, "service_notes"), "partly_done": text(form, "partly_done"),
            "key": text(form, "key")}
    try:
        await call(request, job_outcomes.resolve_job, actor, job_ref=ref, service_notes=kept["service_notes"],
                   partly_done=bool(kept["partly_done"]), completed_at=text(form, "at") or None,
                   idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        return await _refusal(request, actor, ref, exc, form=kept)
    return _done(request, ref, "Job completed.")


@routes.post("/t/jobs/{ref}/advance", name="t_advance")
@technician
async def advance(request: web.Request, actor: Actor) -> web.StreamResponse:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {"amount": text(form, "amount"), "purpose": text(form, "purpose"), "key": text(form, "key")}
    try:
        amount = parse_decimal(kept["amount"], "amount")
        await call(request, expenses.request_advance, actor, job_ref=ref, amount=amount, purpose=kept["purpose"],
                   idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        return await _refusal(request, actor, ref, exc, form=kept)
    return _done(request, ref, "Advance requested.")


@routes.post("/t/jobs/{ref}/claim", name="t_claim")
@technician
async def claim(request: web.Request, actor: Actor) -> web.StreamResponse:
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
        return await _refusal(request, actor, ref, exc, form=kept)
    return _done(request, ref, f"Expense claim {view.number} sent.")


@routes.get("/t/money", name="t_money")
@technician
async def money_page(request: web.Request, actor: Actor) -> web.Response:
    advances = await call(request, expenses.list_advances, actor)
    claims = await call(request, expenses.list_expense_claims, actor)
    return render(request, "technician/money.html", advances=advances, claims=claims)
