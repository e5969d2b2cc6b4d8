"""Staff pages for money reaching the bank: bank reconciliation (import a
statement with a saved bank format, see matched / proposed / unmatched on
both sides, confirm or fix a match) and customers' UPI payment reports
(confirm into a receipt, or reject with a reason)."""

from __future__ import annotations

from aiohttp import web

from backend.banking import payment_reports as reports
from backend.banking import statements as stm
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.processes import payment_reports as confirming
from backend.processes import reconciliation as recon
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    page,
    parse_int,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
FORMAT_FIELDS = ("name", "date_column", "date_format", "amount_column", "credit_column", "debit_column",
                 "reference_column", "narration_column", "delimiter", "skip_rows")


async def _bank(request: web.Request, actor: Actor, *, errors=None, form=None, failed=None,
                status: int = 200) -> web.Response:
    view = await call(request, recon.reconciliation, actor)
    form = form or {}
    if not form.get("delimiter"):
        form = {**form, "delimiter": "comma", "skip_rows": form.get("skip_rows", "0")}
    return render(request, "agent/bank.html", rec=view, errors=errors or {}, form=form, failed=failed,
                  delimiters=list(stm.NAMED_DELIMITERS),
                  delimiter_names=stm.DELIMITERS, status=status)


@routes.get("/a/bank", name="a_bank")
@staff
async def bank(request: web.Request, actor: Actor) -> web.Response:
    return await _bank(request, actor)


@routes.post("/a/bank/statements", name="a_bank_import")
@staff
async def import_statement(request: web.Request, actor: Actor) -> web.Response:
    data = await request.post()
    chosen = data.get("bank_format")
    chosen = chosen if isinstance(chosen, str) else ""
    upload = data.get("file")
    try:
        if not getattr(upload, "filename", None):
            raise DomainError(ErrorCode.INVALID_INPUT, "choose the statement file (CSV or OFX)", field="file")
        body = upload.file.read(stm.MAX_FILE_BYTES + 1)
        result = await call(request, recon.import_statement, actor, filename=upload.filename, data=body,
                            bank_format=chosen or None)
    except DomainError as exc:
        return await _bank(request, actor, errors=field_errors(exc), form={"bank_format": chosen}, failed="import",
                           status=error_status(exc))
    if not result.created:
        done = f"{result.statement.filename}: these transactions were imported before; nothing changed."
    else:
        done = (f"Imported {result.statement.filename}: {result.lines_new} new lines of {result.lines_read}; "
                f"{result.matched} matched, {result.proposed} proposed, {result.unmatched} unmatched"
                + (f"; {result.reports_confirmed} UPI reports confirmed into receipts" if result.reports_confirmed
                   else "") + ".")
    raise redirect(request, "a_bank", done=done)


@routes.post("/a/bank/formats", name="a_bank_format")
@staff
async def save_format(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in FORMAT_FIELDS}
    try:
        view = await call(request, stm.save_bank_format, actor, name=kept["name"], date_column=kept["date_column"],
                          date_format=kept["date_format"], amount_column=kept["amount_column"] or None,
                          credit_column=kept["credit_column"] or None, debit_column=kept["debit_column"] or None,
                          reference_column=kept["reference_column"] or None,
                          narration_column=kept["narration_column"] or None,
                          delimiter=kept["delimiter"],
                          skip_rows=parse_int(kept["skip_rows"] or "0", "skip_rows", positive=False))
    except DomainError as exc:
        return await _bank(request, actor, errors=field_errors(exc), form=kept, failed="format",
                           status=error_status(exc))
    raise redirect(request, "a_bank", done=f"Bank format '{view.name}' {'saved' if view.created else 'updated'}.")


@routes.post("/a/bank/match", name="a_bank_match")
@staff
async def run_matching(request: web.Request, actor: Actor) -> web.Response:
    counts = await call(request, recon.run_matching, actor)
    raise redirect(request, "a_bank", done=f"Matched again: {counts.matched} matched, {counts.proposed} proposed, "
                                           f"{counts.unmatched} still unmatched.")


@routes.post("/a/bank/lines/{id:\\d+}/{action:confirm|match|unmatch}", name="a_bank_line")
@staff
async def line_action(request: web.Request, actor: Actor) -> web.Response:
    line_id, action = int(request.match_info["id"]), request.match_info["action"]
    form = await form_of(request)
    try:
        if action == "confirm":
            await call(request, recon.confirm_line, actor, line_id=line_id)
        elif action == "match":
            await call(request, recon.match_line, actor, line_id=line_id, item=text(form, "item"))
        else:
            await call(request, recon.unmatch_line, actor, line_id=line_id)
    except DomainError as exc:
        return await _bank(request, actor, errors=field_errors(exc), failed=line_id, status=error_status(exc))
    words = {"confirm": "confirmed", "match": "matched", "unmatch": "unmatched"}[action]
    raise redirect(request, "a_bank", done=f"Statement line {line_id} {words}.")


# --- customers' UPI payment reports ---------------------------------------------------------------

async def _reports(request: web.Request, actor: Actor, *, errors=None, failed=None, status: int = 200):
    waiting = await call(request, reports.list_payment_reports, actor, state="reported")
    decided = [r for r in await call(request, reports.list_payment_reports, actor, state=None, limit=60)
               if r.state != "reported"][:30]
    return render(request, "agent/payment_reports.html", waiting=waiting, decided=decided, errors=errors or {},
                  failed=failed, status=status)


@routes.get("/a/payment-reports", name="a_payment_reports")
@staff
async def payment_reports(request: web.Request, actor: Actor) -> web.Response:
    return await _reports(request, actor)


@routes.post("/a/payment-reports/{id:\\d+}/{answer:confirm|reject}", name="a_payment_report")
@staff
async def decide_report(request: web.Request, actor: Actor) -> web.Response:
    report_id, answer = int(request.match_info["id"]), request.match_info["answer"]
    form = await form_of(request)
    try:
        if answer == "confirm":
            done = await call(request, confirming.confirm_payment_report, actor, report_id=report_id)
            message = (f"UTR {done.report.utr} confirmed: receipt {done.receipt.number} on "
                       f"{done.report.invoice_number}.")
        else:
            view = await call(request, reports.reject_payment_report, actor, report_id=report_id,
                              reason=text(form, "reason"))
            message = f"UTR {view.utr} rejected; the customer is told why."
    except DomainError as exc:
        return await _reports(request, actor, errors=field_errors(exc), failed=report_id, status=error_status(exc))
    raise redirect(request, "a_payment_reports", done=message)
