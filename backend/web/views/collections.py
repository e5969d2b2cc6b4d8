"""Money at the door and on its way to the bank: the technician's phone form
to record cash or UPI collected on a job (``/t/jobs/{ref}/collect``), and the
office's "Cash and deposits" page (``/m/cash``: each technician's cash in
hand, the undeposited cash collections to tick into a deposit with the bank's
slip reference, the deposits made)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from backend.banking.cash import METHODS
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.processes import collections
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    parse_date,
    parse_decimal,
    portal_key,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
technician = page(Role.TECHNICIAN)
office = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
RECENT_DEPOSITS = 50


# --- the technician's phone form -------------------------------------------------------------------------

async def _collect_page(request: web.Request, actor: Actor, ref: str, *, errors=None, form=None,
                        status: int = 200) -> web.Response:
    due = await call(request, collections.collection_due, actor, job_ref=ref)  # another's job: 404
    form = dict(form or {"method": "cash", "amount": str(due.outstanding) if due.outstanding else ""})
    reused = any(e.get("code") == ErrorCode.IDEMPOTENCY_CONFLICT for e in (errors or {}).values())
    if not form.get("key") or reused:
        form["key"] = new_form_key()  # one rendering of the form = one collection, even if sent twice
    return render(request, "technician/collect.html", due=due, methods=METHODS, errors=errors or {}, form=form,
                  today=date.today().isoformat(), status=status)


@routes.get("/t/jobs/{ref}/collect", name="t_collect")
@technician
async def collect_form(request: web.Request, actor: Actor) -> web.Response:
    return await _collect_page(request, actor, request.match_info["ref"])


@routes.post("/t/jobs/{ref}/collect", name="t_collect_post")
@technician
async def collect(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("amount", "method", "reference", "collected_on", "key")}
    try:
        amount = parse_decimal(kept["amount"], "amount")
        on = parse_date(kept["collected_on"], "collected_on", required=False)
        view = await call(request, collections.record_collection, actor, job_ref=ref, amount=amount,
                          method=kept["method"], reference=kept["reference"] or None, collected_on=on,
                          idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND and exc.details.get("entity") == "job":
            raise
        errors = field_errors(exc)
        if exc.code == ErrorCode.OVERPAYMENT:
            errors = {"amount": {"code": str(exc.code), "message": exc.message}}
        return await _collect_page(request, actor, ref, errors=errors, form=kept, status=error_status(exc))
    raise redirect(request, "t_collect", ref=ref,
                   done=f"{view.number}: {view.amount} {view.method.upper()} collected, receipt {view.receipt_number} "
                        f"issued to the customer; {view.invoice_outstanding} still due on {view.invoice_number}.")


# --- the office's cash and deposits -------------------------------------------------------------------

async def _cash_page(request: web.Request, actor: Actor, *, errors=None, form=None, status: int = 200) -> web.Response:
    held = await call(request, collections.cash_in_hand, actor)
    pending = await call(request, collections.list_collections, actor, undeposited=True)
    deposits = await call(request, collections.list_deposits, actor, limit=RECENT_DEPOSITS)
    form = dict(form or {})
    form.setdefault("ticked", [])
    reused = any(e.get("code") == ErrorCode.IDEMPOTENCY_CONFLICT for e in (errors or {}).values())
    if not form.get("key") or reused:
        form["key"] = new_form_key()  # one rendering = one deposit, even if the form is sent twice
    return render(request, "manager/cash.html", held=held, pending=pending, deposits=deposits, errors=errors or {},
                  form=form, today=date.today().isoformat(), status=status)


@routes.get("/m/cash", name="m_cash")
@office
async def cash_page(request: web.Request, actor: Actor) -> web.Response:
    return await _cash_page(request, actor)


@routes.post("/m/deposits", name="m_deposit")
@office
async def deposit(request: web.Request, actor: Actor) -> web.Response:
    data = await request.post()
    ticked = [v for v in data.getall("collection", []) if isinstance(v, str)]
    form = await form_of(request)
    kept = {"slip_reference": text(form, "slip_reference"), "deposited_on": text(form, "deposited_on"),
            "key": text(form, "key"), "ticked": ticked}
    try:
        on = parse_date(kept["deposited_on"], "deposited_on", required=False)
        view = await call(request, collections.record_deposit, actor, collection_numbers=ticked,
                          slip_reference=kept["slip_reference"], deposited_on=on,
                          idempotency_key=portal_key(kept["key"]))
    except DomainError as exc:
        errors = field_errors(exc)
        if exc.code == ErrorCode.NOT_FOUND:
            errors = {"collection_numbers": {"code": str(exc.code), "message": exc.message}}
        return await _cash_page(request, actor, errors=errors, form=kept, status=error_status(exc))
    raise redirect(request, "m_cash", done=f"Deposit {view.number} of {view.amount} (slip {view.slip_reference}) "
                                           f"recorded: {len(view.collections)} collection(s) moved to the bank.")
