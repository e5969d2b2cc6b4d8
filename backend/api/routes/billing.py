"""Invoices, receipts (B12) and collection follow-ups (B11)."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import CUSTOMER_AND_STAFF, INVOICE_REF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Date, Enum, Int, Money, Obj, Str
from backend.billing import service as billing
from backend.processes import invoice_corrections as corrections
from backend.processes import payments

routes = RouteTable("billing")


@routes.get("/api/invoices", "Invoices (a customer sees their own)",
            query={"customer_id": Int(nullable=True), "state": Enum("open", "paid", "cancelled", nullable=True)},
            response=returns(billing.list_invoices), roles=CUSTOMER_AND_STAFF)
async def list_invoices(call: Call) -> Any:
    return await call(billing.list_invoices, **call.query)


@routes.get("/api/invoices/{invoice_ref}", "One invoice with its lines, paid and outstanding", params=INVOICE_REF,
            response=returns(billing.get_invoice), roles=CUSTOMER_AND_STAFF)
async def get_invoice(call: Call) -> Any:
    return await call(billing.get_invoice, invoice_ref=call.path["invoice_ref"])


RECEIPT_BODY = Obj(
    amount=Money(description="Not more than what is outstanding"),
    method=Enum(*sorted(billing.METHODS)),
    reference=Str(max_len=80, nullable=True, description="Cheque number, bank or UPI reference"),
    received_on=Date(nullable=True, description="Defaults to today"),
)


@routes.post("/api/invoices/{invoice_ref}/receipts", "Record a payment; posts the receipt voucher (B12)",
             params=INVOICE_REF, body=RECEIPT_BODY, status=201, idempotent=True,
             response=returns(payments.record_receipt), roles=STAFF,
             description="With an Idempotency-Key header a retry returns the first receipt (200, created=false); "
                         "the same key with another amount or invoice is refused (409 idempotency_conflict).")
async def record_receipt(call: Call) -> Any:
    return await call(payments.record_receipt, invoice_ref=call.path["invoice_ref"], **call.body)


@routes.post("/api/invoices/{invoice_ref}/follow-ups", "Record a collection follow-up (B11)", params=INVOICE_REF,
             body=Obj(note=Str(max_len=2000), next_on=Date(nullable=True)), status=201, idempotent=True,
             response=returns(billing.add_follow_up), roles=STAFF)
async def add_follow_up(call: Call) -> Any:
    return await call(billing.add_follow_up, invoice_ref=call.path["invoice_ref"], **call.body)


@routes.get("/api/collections", "Open invoices due for collection", query={"as_of": Date(nullable=True)},
            response=returns(billing.collections_due), roles=STAFF)
async def collections_due(call: Call) -> Any:
    return await call(billing.collections_due, as_of=call.query["as_of"])


@routes.post("/api/invoices/{invoice_ref}/credit-notes", "Issue a credit note on an invoice (full or partial)",
             params=INVOICE_REF, status=201, idempotent=True, response=returns(corrections.credit_invoice),
             roles=STAFF,
             body=Obj(amount=Money(description="With tax; not more than is left to credit"),
                      reason=Str(max_len=400, description="Why the invoice is corrected; shown to the customer"),
                      issued_on=Date(nullable=True, description="Defaults to today")),
             description="Reverses the invoice's revenue and output tax in proportion and credits the customer. "
                         "An open invoice with nothing left to pay becomes paid (money was received on it) or "
                         "cancelled (none was); a paid one leaves the customer in credit, to be refunded.")
async def credit_invoice(call: Call) -> Any:
    return await call(corrections.credit_invoice, invoice_ref=call.path["invoice_ref"], **call.body)


@routes.post("/api/invoices/{invoice_ref}/cancel", "Cancel an unpaid invoice (a credit note for all of it)",
             params=INVOICE_REF, status=201, idempotent=True, response=returns(corrections.cancel_invoice),
             roles=STAFF, body=Obj(reason=Str(max_len=400, description="Why; shown to the customer")),
             description="Its job, order or repair goes back to be billed again. Refused (409 conflict) once "
                         "money was received, for a contract instalment, an order under way or a repair handed "
                         "back: correct those with a credit note.")
async def cancel_invoice(call: Call) -> Any:
    return await call(corrections.cancel_invoice, invoice_ref=call.path["invoice_ref"], **call.body)


@routes.post("/api/invoices/{invoice_ref}/refunds", "Refund what a customer is in credit on an invoice",
             params=INVOICE_REF, status=201, idempotent=True, response=returns(corrections.refund_overpayment),
             roles=("manager", "admin"),
             body=Obj(amount=Money(description="Not more than the customer's credit on the invoice"),
                      method=Enum(*sorted(billing.METHODS)),
                      reference=Str(max_len=80, nullable=True, description="Bank or UPI reference of the refund"),
                      paid_on=Date(nullable=True, description="Defaults to today")))
async def refund_overpayment(call: Call) -> Any:
    return await call(corrections.refund_overpayment, invoice_ref=call.path["invoice_ref"], **call.body)
