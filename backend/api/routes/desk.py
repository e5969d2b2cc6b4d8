"""The live-chat desk's settings (admin): business hours, the assignment
timeout, each agent's number of concurrent chats. The hub uses a change
within a few seconds, without a restart."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routing import Call, RouteTable
from backend.api.schema import Int, Obj, Str
from backend.conversations import desk

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
