"""The live-chat desk's settings (admin): business hours, the assignment
timeout, each agent's number of concurrent chats. The hub uses a change
within a few seconds, without a restart.

The front desk (staff, issue 12): find a caller with one search text, the
cover of one of their items, a request raised on their behalf, a walk-in
order invoiced up front, a walk-in repair with what was handed over, and
the request calendar."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routing import Call, RouteTable
from backend.api.schema import Arr, Date, DateTime, Enum, Int, Obj, Qty, Str
from backend.conversations import desk
from backend.intake import service as intake
from backend.orders import service as orders
from backend.processes import callers, walk_in
from backend.repairs import service as repairs
from backend.reports import calendars

routes = RouteTable("desk")
VIEWERS = ("admin", "manager")
ADMIN = ("admin",)


@routes.get("/api/desk/settings", "Stored business hours and assignment timeout (null: the hub's default)",
            roles=VIEWERS, response=returns(desk.get_desk_settings))
async def get_desk_settings(call: Call) -> Any:
    return await call(desk.get_desk_settings)


@routes.post(
    "/api/desk/settings", "Store business hours and/or the assignment timeout (admin)", roles=ADMIN,
    response=returns(desk.set_desk_settings),
    body=Obj(
        business_hours=Str(max_len=desk.MAX_HOURS_SPEC, nullable=True, default=desk.UNSET,
                           description="like 'mon-fri 09:00-18:00, sat 09:00-13:00', 'always' or 'never'; "
                                       "null: back to the hub's default; absent: unchanged"),
        assign_timeout_s=Int(minimum=desk.MIN_TIMEOUT_S, maximum=desk.MAX_TIMEOUT_S, nullable=True,
                             default=desk.UNSET, description="seconds; null: the hub's default; absent: unchanged"),
    ),
    description="A spec the hub cannot read is refused with 422 invalid_input (details.field = business_hours) "
                "and the parser's message.",
)
async def set_desk_settings(call: Call) -> Any:
    return await call(desk.set_desk_settings, **call.body)


@routes.get("/api/desk/agents", "Staff who take chats, with their concurrent-chat limits", roles=VIEWERS,
            response=returns(desk.list_agent_limits))
async def list_agent_limits(call: Call) -> Any:
    return await call(desk.list_agent_limits)


@routes.post("/api/desk/agents/{user_id}/max-chats", "Set how many chats an agent may hold at once (admin)",
             params={"user_id": Int(description="The agent's user id")}, roles=ADMIN,
             body=Obj(max_chats=Int(minimum=desk.MIN_CHATS, maximum=desk.MAX_CHATS)),
             response=returns(desk.set_max_chats))
async def set_max_chats(call: Call) -> Any:
    return await call(desk.set_max_chats, user_id=call.path["user_id"], **call.body)


# --- the front desk (staff) -----------------------------------------------------------------------------

FRONT_DESK = ("agent", "manager", "admin")
CUSTOMER_ID = {"customer_id": Int(description="The customer's id")}


@routes.get("/api/desk/callers", "Find a caller by mobile (any shape), name, customer code, reference or serial",
            query={"q": Str(max_len=callers.MAX_QUERY, description="What the caller said: a mobile number, a name, "
                                                                    "a customer code, a reference or a serial")},
            roles=FRONT_DESK, response=returns(callers.find_callers),
            description="Best match first (reference, serial, code, mobile, name), at most 20 customers, each with "
                        "sites, items (the matching serial marked) and open work.")
async def find_callers(call: Call) -> Any:
    return await call(callers.find_callers, q=call.query["q"])


@routes.get("/api/desk/callers/{customer_id}/cover", "What covers one of the caller's items today, in words",
            params=CUSTOMER_ID, query={"serial": Str(max_len=60)}, roles=FRONT_DESK,
            response=returns(callers.preview_cover),
            description="Nothing is saved. A serial that is not theirs is 422 invalid_input (field serial, "
                        "reason not_their_item).")
async def preview_cover(call: Call) -> Any:
    return await call(callers.preview_cover, customer_id=call.path["customer_id"], serial=call.query["serial"])


@routes.post("/api/desk/requests", "Raise a request on a caller's behalf, recorded with the desk's channel",
             body=Obj(customer_id=Int(), want=Enum(*intake.WANTS), problem=Str(max_len=intake.MAX_PROBLEM),
                      serial=Str(max_len=60, nullable=True), site_id=Int(nullable=True),
                      preferred_at=DateTime(nullable=True),
                      channel=Enum(*callers.DESK_CHANNELS, default="phone")),
             status=201, idempotent=True, roles=FRONT_DESK, response=returns(callers.raise_for_caller))
async def raise_for_caller(call: Call) -> Any:
    return await call(callers.raise_for_caller, **call.body)


@routes.post("/api/desk/walk-in-orders", "D1 + D3 at the counter: an order and its up-front invoice, together",
             body=Obj(customer_id=Int(), description=Str(max_len=walk_in.MAX_DESCRIPTION),
                      lines=Arr(Obj(code=Str(max_len=40), qty=Qty(maximum=100)), max_items=orders.MAX_LINES),
                      site_id=Int(nullable=True), serial=Str(max_len=60, nullable=True)),
             status=201, idempotent=True, roles=FRONT_DESK, response=returns(walk_in.walk_in_order),
             description="An unknown price-list code is 404 not_found (details.codes) and leaves no order and no "
                         "invoice.")
async def walk_in_order(call: Call) -> Any:
    return await call(walk_in.walk_in_order, **call.body)


@routes.post("/api/desk/walk-in-repairs", "E1 at the counter: an item received, with accessories and condition",
             body=Obj(customer_id=Int(), item_description=Str(max_len=200), fault=Str(max_len=4000),
                      serial=Str(max_len=60, nullable=True), accessories=Str(max_len=1000, nullable=True),
                      condition_notes=Str(max_len=2000, nullable=True)),
             status=201, idempotent=True, roles=FRONT_DESK, response=returns(repairs.receive_repair),
             description="The receipt / job card to print is the portal's /portal/a/repairs/{ref}/receipt.pdf.")
async def walk_in_repair(call: Call) -> Any:
    return await call(repairs.receive_repair, **call.body)


@routes.get("/api/desk/request-calendar", "Request calendar: requests received and wanted, walk-in repairs, by day",
            query={"start": Date(nullable=True), "end": Date(nullable=True), "customer_id": Int(nullable=True),
                   "limit": Int(nullable=True, maximum=10000)},
            roles=FRONT_DESK, response=returns(calendars.request_calendar))
async def request_calendar(call: Call) -> Any:
    return await call(calendars.request_calendar, **call.query)
