"""The public payment page of an invoice (no login): ``/pay/{token}`` with its
UPI QR code (``/pay/{token}/qr.png``) and the customer's "I have paid" form.
The signed, expiring link is the authority (``backend.banking.paylinks``);
an expired or altered one gets a page saying how to get a new link."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from backend.banking import paylinks
from backend.banking import payment_reports as reports
from backend.banking.paylinks import PayLinks
from backend.errors import DomainError, ErrorCode
from backend.web.kit import (
    SETTINGS,
    call,
    error_status,
    field_errors,
    form_of,
    parse_date,
    parse_decimal,
    render,
    text,
    url,
)

routes = web.RouteTableDef()


def links_for(request: web.Request) -> PayLinks:
    """Links signed with the portal's secret, leading to this portal as the request reached it."""
    path = url(request, "pay", token="T")
    prefix = path[: -len("/pay/T")]
    return PayLinks(request.app[SETTINGS].secret_key, f"{request.url.origin()}{prefix}")


def _link_problem(request: web.Request, exc: DomainError) -> web.Response:
    expired = exc.details.get("reason") == "expired"
    status = 410 if expired else error_status(exc) if exc.code == ErrorCode.NOT_FOUND else 403
    return render(request, "pay/link_problem.html", status=status, code=exc.code, message=exc.message,
                  expired=expired, how=paylinks.HOW_TO_GET_A_NEW_LINK)


async def _page(request: web.Request, *, errors=None, form=None, status: int = 200) -> web.Response:
    token = request.match_info["token"]
    try:
        info = await call(request, paylinks.pay_page, None, token=token, links=links_for(request))
    except DomainError as exc:
        if exc.code in (ErrorCode.UNAUTHENTICATED, ErrorCode.NOT_FOUND):
            return _link_problem(request, exc)
        raise
    form = form or {"amount": f"{info.amount_due - info.awaiting:.2f}" if info.amount_due > info.awaiting else "",
                    "paid_on": date.today().isoformat()}
    return render(request, "pay/page.html", status=status, pay=info, token=token, form=form, errors=errors or {},
                  title=f"Pay {info.invoice_number}")


@routes.get("/pay/{token}", name="pay")
async def pay_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.get("/pay/{token}/qr.png", name="pay_qr")
async def pay_qr(request: web.Request) -> web.Response:
    try:
        png = await call(request, paylinks.pay_qr_png, None, token=request.match_info["token"],
                         links=links_for(request))
    except DomainError as exc:
        raise web.HTTPNotFound() if exc.code in (ErrorCode.UNAUTHENTICATED, ErrorCode.NOT_FOUND) else exc
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


@routes.post("/pay/{token}", name="pay_report")
async def report(request: web.Request) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("utr", "amount", "paid_on")}
    try:
        view = await call(request, reports.report_payment, None, token=request.match_info["token"],
                          utr=kept["utr"], amount=parse_decimal(kept["amount"], "amount"),
                          paid_on=parse_date(kept["paid_on"], "paid_on", required=False), links=links_for(request))
    except DomainError as exc:
        if exc.code == ErrorCode.UNAUTHENTICATED or (exc.code == ErrorCode.NOT_FOUND
                                                     and exc.details.get("entity") == "invoice"):
            return _link_problem(request, exc)
        return await _page(request, errors=field_errors(exc), form=kept, status=error_status(exc))
    done = (f"Thank you: your payment of {view.amount:.2f} (UTR {view.utr}) is reported; we confirm it when it "
            "reaches our bank." if view.created else f"This payment (UTR {view.utr}) was already reported.")
    raise web.HTTPSeeOther(url(request, "pay", token=request.match_info["token"], query={"done": done}))
