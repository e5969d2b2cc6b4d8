"""The desk's invoice page: one invoice as staff see it, printable, with its
corrections — a credit note, the cancellation of an unpaid invoice, and (for
a manager) the refund of what a customer paid over."""

from __future__ import annotations

from aiohttp import web

from backend.billing import service as billing
from backend.customers.service import get_customer
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.processes import invoice_corrections as corrections
from backend.web import pdf
from backend.web.kit import (
    SETTINGS, call, error_status, field_errors, form_of, new_form_key, page, parse_date, parse_decimal, portal_key, redirect,
    render, text,
)

routes = web.RouteTableDef()
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)


@routes.get("/a/invoices/{ref}", name="a_invoice")
@staff
async def invoice(request: web.Request, actor: Actor) -> web.Response:
    return await _page(request, actor, request.match_info["ref"])


async def _page(request, actor, ref, *, failed=None, errors=None, form=None, status=200) -> web.Response:
    inv = await call(request, billing.get_invoice, actor, invoice_ref=ref)
    credit_notes, refunds = await call(request, corrections.corrections_of, actor, invoice_ref=ref)
    cust = await call(request, get_customer, actor, customer_id=inv.customer_id)
    form = dict(form or {})
    form["key"] = form.get("key") or new_form_key()
    return render(request, "agent/invoice.html", inv=inv, customer=cust, credit_notes=credit_notes, refunds=refunds,
                  failed=failed, errors=errors or {}, form=form, methods=sorted(billing.METHODS),
                  can_refund=actor.role in (Role.MANAGER, Role.ADMIN), status=status)


@routes.get("/a/invoices/{ref}/pdf", name="a_invoice_pdf")
@staff
async def invoice_pdf(request: web.Request, actor: Actor) -> web.Response:
    inv = await call(request, billing.get_invoice, actor, invoice_ref=request.match_info["ref"])
    cust = await call(request, get_customer, actor, customer_id=inv.customer_id)
    return pdf.response(pdf.invoice_pdf(inv, cust, request.app[SETTINGS].currency), f"{inv.number}.pdf")


@routes.post("/a/invoices/{ref}/credit-note", name="a_credit_note")
@staff
async def credit_note(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("amount", "reason", "key")}
    try:
        amount = parse_decimal(kept["amount"], "amount")
        note = await call(request, corrections.credit_invoice, actor, invoice_ref=ref, amount=amount,
                          reason=kept["reason"], idempotency_key=portal_key(kept["key"], "-cn"))
    except DomainError as exc:
        return await _page(request, actor, ref, failed="credit", errors=field_errors(exc), form=kept,
                           status=error_status(exc))
    raise redirect(request, "a_invoice", ref=ref,
                   done=f"Credit note {note.number} of {note.amount} issued; {ref} is {note.invoice_state}.")


@routes.post("/a/invoices/{ref}/cancel", name="a_cancel_invoice")
@staff
async def cancel(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("reason", "key")}
    try:
        note = await call(request, corrections.cancel_invoice, actor, invoice_ref=ref, reason=kept["reason"],
                          idempotency_key=portal_key(kept["key"], "-cancel"))
    except DomainError as exc:
        return await _page(request, actor, ref, failed="cancel", errors=field_errors(exc), form=kept,
                           status=error_status(exc))
    raise redirect(request, "a_invoice", ref=ref, done=f"{ref} cancelled by credit note {note.number}.")


@routes.post("/a/invoices/{ref}/refund", name="a_refund")
@page(Role.MANAGER, Role.ADMIN)
async def refund(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("amount", "method", "reference", "paid_on", "key")}
    try:
        amount = parse_decimal(kept["amount"], "amount")
        on = parse_date(kept["paid_on"], "paid_on", required=False)
        r = await call(request, corrections.refund_overpayment, actor, invoice_ref=ref, amount=amount,
                       method=kept["method"], reference=kept["reference"] or None, paid_on=on,
                       idempotency_key=portal_key(kept["key"], "-rf"))
    except DomainError as exc:
        return await _page(request, actor, ref, failed="refund", errors=field_errors(exc), form=kept,
                           status=error_status(exc))
    raise redirect(request, "a_invoice", ref=ref, done=f"Refund {r.number} of {r.amount} recorded.")
