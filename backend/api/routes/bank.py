"""Paying an invoice by UPI (the payment link and QR), customers' UPI payment
reports, and bank reconciliation (issue 14 items 1 and 4)."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import CUSTOMER_AND_STAFF, INVOICE_REF, STAFF, ident
from backend.api.routing import Call, RouteTable
from backend.api.schema import Enum, Int, Obj, Str
from backend.api.uploads import read_upload
from backend.banking import paylinks
from backend.banking import payment_reports as reports
from backend.banking import statements as stm
from backend.banking.models import PaymentReportState
from backend.banking.paylinks import PayLinks
from backend.processes import payment_reports as confirming
from backend.processes import reconciliation as recon

routes = RouteTable("bank", "Paying by UPI, customers' payment reports and bank reconciliation")

LINE = ident("line_id", "statement line")
REPORT = ident("report_id", "payment report")
COLUMN = Str(max_len=60, nullable=True)


@routes.get("/api/invoices/{invoice_ref}/payment", "How to pay an invoice: its payment page (a signed link "
            "lasting 30 days), the QR image, the amount due and the upi:// link", params=INVOICE_REF,
            response=returns(paylinks.payment_instructions), roles=CUSTOMER_AND_STAFF,
            description="A customer gets their own invoices only (another's is 404 not_found); a paid invoice is "
                        "409 already_done. The link leads to the portal (PORTAL_URL) and needs no login.")
async def payment_instructions(call: Call) -> Any:
    return await call(paylinks.payment_instructions, invoice_ref=call.path["invoice_ref"],
                      links=PayLinks.from_env(secret=call.settings.secret_key))


@routes.get("/api/payment-reports", "Customers' UPI payment reports (default: those waiting)",
            query={"state": Enum(*PaymentReportState, default="reported")},
            response=returns(reports.list_payment_reports), roles=STAFF)
async def list_payment_reports(call: Call) -> Any:
    return await call(reports.list_payment_reports, state=call.query["state"])


@routes.post("/api/payment-reports/{report_id}/confirm", "The reported UPI payment reached the bank: its receipt "
             "(method upi, the UTR as reference), once", params=REPORT,
             response=returns(confirming.confirm_payment_report), roles=STAFF)
async def confirm_payment_report(call: Call) -> Any:
    return await call(confirming.confirm_payment_report, report_id=call.path["report_id"])


@routes.post("/api/payment-reports/{report_id}/reject", "No such payment reached the bank: the report is closed "
             "and the customer told why", params=REPORT, body=Obj(reason=Str(max_len=400)),
             response=returns(reports.reject_payment_report), roles=STAFF)
async def reject_payment_report(call: Call) -> Any:
    return await call(reports.reject_payment_report, report_id=call.path["report_id"], **call.body)


@routes.get("/api/bank/formats", "Saved CSV column mappings, one per bank", response=returns(stm.list_bank_formats),
            roles=STAFF)
async def list_bank_formats(call: Call) -> Any:
    return await call(stm.list_bank_formats)


@routes.post("/api/bank/formats", "Save a bank's CSV column mapping (replaces one of the same name)",
             body=Obj(name=Str(max_len=60), date_column=Str(max_len=60),
                      date_format=Str(max_len=30, description="strptime, e.g. %d/%m/%Y"),
                      amount_column=COLUMN, credit_column=COLUMN, debit_column=COLUMN, reference_column=COLUMN,
                      narration_column=COLUMN,
                      delimiter=Enum(*stm.NAMED_DELIMITERS, default="comma"),
                      skip_rows=Int(minimum=0, maximum=50, default=0)),
             response=returns(stm.save_bank_format), roles=STAFF)
async def save_bank_format(call: Call) -> Any:
    return await call(stm.save_bank_format, **call.body)


@routes.post("/api/bank/statements", "Import a bank statement (CSV with a saved format, or OFX) and match its "
             "lines", upload=True, errors=(415,),
             query={"bank_format": Str(max_len=60, nullable=True, description="The saved format's name (CSV)")},
             response=returns(recon.import_statement), roles=STAFF,
             description="Send the file as multipart/form-data field 'file'. The same statement again (the same "
                         "file, or the same transactions in another download) answers with created=false and "
                         "changes nothing.")
async def import_statement(call: Call) -> Any:
    upload = await read_upload(call.request, field="file", max_bytes=stm.MAX_FILE_BYTES)
    return await call(recon.import_statement, filename=upload.filename, data=upload.data,
                      bank_format=call.query["bank_format"])


@routes.get("/api/bank/statements", "Imported bank statements, newest first", response=returns(stm.list_statements),
            roles=STAFF)
async def list_statements(call: Call) -> Any:
    return await call(stm.list_statements)


@routes.get("/api/bank/reconciliation", "The reconciliation: proposed, unmatched on both sides, recent matches, "
            "waiting UPI reports", response=returns(recon.reconciliation), roles=STAFF)
async def reconciliation(call: Call) -> Any:
    return await call(recon.reconciliation)


@routes.post("/api/bank/reconciliation/run", "Match the statement lines still unmatched again",
             response=returns(recon.run_matching), roles=STAFF)
async def run_matching(call: Call) -> Any:
    return await call(recon.run_matching)


@routes.post("/api/bank/lines/{line_id}/confirm", "Confirm a proposed match (a UPI report becomes a receipt)",
             params=LINE, response=returns(recon.confirm_line), roles=STAFF)
async def confirm_line(call: Call) -> Any:
    return await call(recon.confirm_line, line_id=call.path["line_id"])


@routes.post("/api/bank/lines/{line_id}/match", "Match a statement line with an open item of the same amount",
             params=LINE, body=Obj(item=Str(max_len=30, description="receipt:<id>, deposit:<id> or report:<id>")),
             response=returns(recon.match_line), roles=STAFF)
async def match_line(call: Call) -> Any:
    return await call(recon.match_line, line_id=call.path["line_id"], **call.body)


@routes.post("/api/bank/lines/{line_id}/unmatch", "Undo a statement line's match or proposal", params=LINE,
             response=returns(recon.unmatch_line), roles=STAFF)
async def unmatch_line(call: Call) -> Any:
    return await call(recon.unmatch_line, line_id=call.path["line_id"])
