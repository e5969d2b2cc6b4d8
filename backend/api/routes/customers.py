"""Customers with their sites and contacts, and the notices the system sent them."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF, ident
from backend.api.routing import Call, RouteTable
from backend.api.schema import Int, Obj, Str
from backend.customers import service as customers
from backend.notifications import inbox
from backend.notifications import service as notifications

routes = RouteTable("customers")


@routes.get("/api/customers/{customer_id}", "A customer with sites and contacts (a customer sees only themself)",
            params=ident("customer_id", "customer"), response=returns(customers.get_customer),
            roles=CUSTOMER_AND_STAFF)
async def get_customer(call: Call) -> Any:
    return await call(customers.get_customer, customer_id=call.path["customer_id"])


@routes.post("/api/customers/{customer_id}/gst", "Set a customer's GSTIN and GST state code (staff)",
             params=ident("customer_id", "customer"), response=returns(customers.set_gst_registration), roles=STAFF,
             body=Obj(gstin=Str(max_len=20, nullable=True, default=None,
                                description="The GSTIN (15 characters, checked with its check character); "
                                            "null or blank: not registered"),
                      state_code=Str(max_len=2, nullable=True, default=None,
                                     description="Two-digit GST state code of the address on record; "
                                                 "blank with a GSTIN: the GSTIN's state")),
             description="Decides the place of supply of the customer's next invoices (CGST + SGST within the "
                         "company's state, else IGST). Refused with 422 invalid_input, details.reason one of "
                         "format, checksum, unknown_state, state_mismatch.")
async def set_gst_registration(call: Call) -> Any:
    return await call(customers.set_gst_registration, customer_id=call.path["customer_id"], **call.body)


@routes.get("/api/notifications", "Notices written to the outbox, newest first (each 'customer informed')",
            query={"customer_id": Int(nullable=True), "limit": Int(maximum=500, default=50)},
            response=returns(notifications.list_notifications), roles=ALL_ROLES)
async def list_notifications(call: Call) -> Any:
    return await call(notifications.list_notifications, **call.query)


@routes.get("/api/inbox", "My notices as delivered to me (the portal inbox), newest first",
            query={"limit": Int(maximum=200, default=50)}, response=returns(inbox.inbox), roles=ALL_ROLES)
async def my_inbox(call: Call) -> Any:
    return await call(inbox.inbox, **call.query)


@routes.post("/api/inbox/read", "Mark one notice (item_id) or all of my notices read; how many changed",
             body=Obj(item_id=Int(nullable=True, default=None)), roles=ALL_ROLES)
async def mark_inbox_read(call: Call) -> Any:
    return {"changed": await call(inbox.mark_read, **call.body)}
