"""Process A: the entitlement check, raising requests, help-desk tickets."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import (
    ALL_ROLES,
    CUSTOMER_AND_STAFF,
    NOTE,
    REQUEST_REF,
    STAFF,
    TICKET_REF,
)
from backend.api.routing import Call, RouteTable
from backend.api.schema import Date, DateTime, Enum, Int, Obj, Str
from backend.intake import service as intake

routes = RouteTable("intake")


@routes.get("/api/entitlement", "Which contract or warranty covers a serial on a date (A2)",
            query={"serial": Str(max_len=60), "on": Date(nullable=True)},
            response=returns(intake.check_entitlement), roles=ALL_ROLES)
async def check_entitlement(call: Call) -> Any:
    return await call(intake.check_entitlement, serial=call.query["serial"], on=call.query["on"])


RAISE_BODY = Obj(
    want=Enum(*intake.WANTS, description="question → ticket; service → covered job or paid order; "
                                         "contract, order, repair"),
    problem=Str(max_len=intake.MAX_PROBLEM),
    customer_id=Int(nullable=True, description="Staff only: whose request (a customer's own is implied)"),
    serial=Str(max_len=60, nullable=True),
    site_id=Int(nullable=True),
    preferred_at=DateTime(nullable=True),
    contract_type=Str(max_len=20, default="AMC", description="For want=contract: AMC, CMC, WARRANTY…"),
)


@routes.post("/api/requests", "Raise a request; it is classified and its process started (A)",
             body=RAISE_BODY, status=201, idempotent=True, response=returns(intake.raise_request),
             roles=CUSTOMER_AND_STAFF,
             description="With an Idempotency-Key header a retry returns the first request (200, created=false).")
async def raise_request(call: Call) -> Any:
    return await call(intake.raise_request, **call.body)


@routes.get("/api/requests", "Requests, newest first (a customer sees their own)",
            query={"customer_id": Int(nullable=True)}, response=returns(intake.list_requests),
            roles=CUSTOMER_AND_STAFF)
async def list_requests(call: Call) -> Any:
    return await call(intake.list_requests, customer_id=call.query["customer_id"])


@routes.get("/api/requests/{reference}", "One request with its whole journey", params=REQUEST_REF,
            response=returns(intake.get_request), roles=ALL_ROLES)
async def get_request(call: Call) -> Any:
    return await call(intake.get_request, reference=call.path["reference"])


@routes.get("/api/tickets", "Help-desk tickets (a customer sees their own)",
            query={"state": Enum("open", "answered", "closed", nullable=True)},
            response=returns(intake.list_tickets), roles=CUSTOMER_AND_STAFF)
async def list_tickets(call: Call) -> Any:
    return await call(intake.list_tickets, state=call.query["state"])


@routes.post("/api/tickets/{ticket_ref}/answer", "Answer a ticket (A1)", params=TICKET_REF,
             body=Obj(answer=Str(max_len=20000)), response=returns(intake.answer_ticket), roles=STAFF)
async def answer_ticket(call: Call) -> Any:
    return await call(intake.answer_ticket, ticket_ref=call.path["ticket_ref"], **call.body)


@routes.post("/api/tickets/{ticket_ref}/close", "Close a ticket", params=TICKET_REF, body=Obj(note=NOTE),
             response=returns(intake.close_ticket), roles=CUSTOMER_AND_STAFF)
async def close_ticket(call: Call) -> Any:
    return await call(intake.close_ticket, ticket_ref=call.path["ticket_ref"], **call.body)


@routes.post("/api/tickets/{ticket_ref}/reopen", "Reopen a ticket", params=TICKET_REF, body=Obj(note=NOTE),
             response=returns(intake.reopen_ticket), roles=CUSTOMER_AND_STAFF)
async def reopen_ticket(call: Call) -> Any:
    return await call(intake.reopen_ticket, ticket_ref=call.path["ticket_ref"], **call.body)
