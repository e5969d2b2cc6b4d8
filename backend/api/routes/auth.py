"""Logging in (a bearer token for every role) and who am I."""

from __future__ import annotations

import time
from dataclasses import dataclass

from backend.api.keys import LOGIN_FAILURES
from backend.api.routing import Call, RouteTable
from backend.api.schema import Obj, Str
from backend.errors import DomainError, ErrorCode
from backend.identity import service as identity
from backend.identity.tokens import TOKEN_MAX_AGE, issue_token

ALL_ROLES = ("customer", "agent", "technician", "manager", "admin")
FAILURE_WINDOW = 300  # seconds
MAX_FAILURES = 5  # per e-mail within the window

routes = RouteTable("auth")


@dataclass(frozen=True)
class Login:
    token: str
    token_type: str
    expires_in: int
    role: str
    user_id: int | None
    customer_id: int | None
    name: str


@dataclass(frozen=True)
class Me:
    role: str
    user_id: int | None
    customer_id: int | None
    name: str


LOGIN_BODY = Obj(email=Str(max_len=254), password=Str(max_len=200))


@routes.post("/api/login", "Log in with e-mail and password; returns a bearer token",
             body=LOGIN_BODY, response=Login, errors=(429,))
async def login(call: Call) -> Login:
    email = call.body["email"].lower()
    failures = _recent_failures(call, email)
    if len(failures) >= MAX_FAILURES:
        wait = int(FAILURE_WINDOW - (time.monotonic() - failures[0])) + 1
        raise DomainError(ErrorCode.RATE_LIMITED, "too many failed logins; try again later", retry_after=wait)
    try:
        actor = await call.plain(identity.authenticate, email=email, password=call.body["password"], channel="api")
    except DomainError as exc:
        if exc.code == ErrorCode.UNAUTHENTICATED:
            failures.append(time.monotonic())
        raise
    token = issue_token(call.settings.secret_key, actor)
    return Login(token, "Bearer", TOKEN_MAX_AGE, str(actor.role), actor.user_id, actor.customer_id, actor.name)


def _recent_failures(call: Call, email: str) -> list[float]:
    book: dict[str, list[float]] = call.request.app[LOGIN_FAILURES]
    now = time.monotonic()
    for key in [k for k, v in book.items() if not v or now - v[-1] > FAILURE_WINDOW]:
        del book[key]
    recent = [t for t in book.get(email, []) if now - t <= FAILURE_WINDOW]
    book[email] = recent
    return recent


@routes.get("/api/me", "Who the token belongs to", response=Me, roles=ALL_ROLES)
async def me(call: Call) -> Me:
    a = call.actor
    return Me(str(a.role), a.user_id, a.customer_id, a.name)
