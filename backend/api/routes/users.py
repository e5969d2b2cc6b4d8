"""Users and their roles (admin manages them; staff can list them)."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routing import Call, RouteTable
from backend.api.schema import Enum, Int, Obj, Str
from backend.identity import service as identity

ROLES = ("customer", "agent", "technician", "manager", "admin")
routes = RouteTable("users")


@routes.get("/api/users", "List users, optionally of one role", query={"role": Enum(*ROLES, nullable=True)},
            response=returns(identity.list_users), roles=("agent", "manager", "admin"))
async def list_users(call: Call) -> Any:
    return await call(identity.list_users, role=call.query["role"])


@routes.post(
    "/api/users", "Create a user (admin)", status=201, roles=("admin",), response=returns(identity.create_user),
    body=Obj(
        email=Str(max_len=254), name=Str(max_len=120), role=Enum(*ROLES), password=Str(min_len=8, max_len=200),
        customer_id=Int(nullable=True), phone=Str(max_len=32, nullable=True), max_chats=Int(maximum=50, default=3),
    ),
)
async def create_user(call: Call) -> Any:
    return await call(identity.create_user, **call.body)
