"""What every portal handler uses: app keys, the page decorator (login and
role checks), calling a use case off the event loop, rendering a template,
redirects, and turning a ``DomainError`` into errors shown next to fields."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.settings import Settings
from backend.web.session import LoginLimiter, Session, SessionCodec

log = logging.getLogger("backend.web")


@dataclass(frozen=True)
class PortalConfig:
    """How the portal sits among the other processes."""

    widget_url: str | None = "/widget.js"  # the live-chat hub's widget script
    console_url: str = "/console"  # the hub's agent console
    timezone: str = "Asia/Kolkata"  # times are shown and typed in this zone
    force_secure_cookie: bool = False  # set behind a TLS-terminating proxy


SETTINGS = web.AppKey("portal_settings", Settings)
CONFIG = web.AppKey("portal_config", PortalConfig)
UOW = web.AppKey("portal_uow", UnitOfWork)
CODEC = web.AppKey("portal_codec", SessionCodec)
LIMITER = web.AppKey("portal_limiter", LoginLimiter)
JINJA = web.AppKey("portal_jinja", jinja2.Environment)
SESSION = web.RequestKey("portal_session", Session)
UNREAD = web.RequestKey("portal_unread", int)  # the header's unread notices (app.py's middleware counts them)

STATUS = {
    ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403, ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.INVALID_INPUT: 400, ErrorCode.MALFORMED: 400, ErrorCode.ILLEGAL_TRANSITION: 409,
    ErrorCode.CONFLICT: 409, ErrorCode.DUPLICATE: 409, ErrorCode.ALREADY_DONE: 409, ErrorCode.OUT_OF_STOCK: 409,
    ErrorCode.OVERPAYMENT: 409, ErrorCode.NOT_COVERED: 409, ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.UPLOAD_TOO_LARGE: 413, ErrorCode.UPLOAD_TYPE: 415, ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UNBALANCED: 409,
}

HOME = {Role.CUSTOMER: "c_home", Role.TECHNICIAN: "t_home", Role.AGENT: "a_home", Role.MANAGER: "m_home",
        Role.ADMIN: "x_users"}

Handler = Callable[[web.Request, Actor], Awaitable[web.StreamResponse]]


def session_of(request: web.Request) -> Session:
    return request[SESSION]


def url(request: web.Request, route: str, /, query: dict[str, Any] | None = None, **parts: Any) -> str:
    u = request.app.router[route].url_for(**{k: str(v) for k, v in parts.items()})
    if query:
        u = u.with_query({k: str(v) for k, v in query.items() if v not in (None, "")})
    return str(u)


def page(*roles: Role) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Login required; only the given roles (others get 403)."""

    def wrap(handler: Handler):
        @functools.wraps(handler)
        async def inner(request: web.Request) -> web.StreamResponse:
            actor = session_of(request).actor
            if actor is None:
                if request.method == "GET":
                    raise web.HTTPSeeOther(url(request, "login", query={"next": request.path_qs}))
                return render(request, "error.html", status=401, code=ErrorCode.UNAUTHENTICATED,
                              message="your session has ended; log in again")
            if roles and actor.role not in roles:
                return render(request, "error.html", status=403, code=ErrorCode.FORBIDDEN,
                              message=f"this page is not for a {actor.role}")
            return await handler(request, actor)

        return inner

    return wrap


async def call(request: web.Request, fn: Callable[..., Any], actor: Actor | None, /, **kwargs: Any) -> Any:
    """One use case, in a worker thread (the core is synchronous)."""
    uow = request.app[UOW]
    if actor is None:
        return await asyncio.to_thread(fn, uow, **kwargs)
    return await asyncio.to_thread(fn, uow, actor.via("portal"), **kwargs)


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    env = request.app[JINJA]
    session = request.get(SESSION)
    codec = request.app[CODEC]
    ctx = {
        "request": request,
        "actor": session.actor if session else None,
        "csrf": codec.csrf_token(session) if session else "",
        "config": request.app[CONFIG],
        "url": functools.partial(url, request),
        "flash": request.query.get("done"),
        "unread": request.get(UNREAD),
        "unshown_errors": {},
        **context,
    }
    actor = ctx["actor"]
    if actor is not None and actor.role in (Role.CUSTOMER, Role.TECHNICIAN) and request.app[CONFIG].widget_url:
        from backend.identity.tokens import issue_token

        ctx["chat_token"] = issue_token(request.app[SETTINGS].secret_key, actor)
    else:
        ctx["chat_token"] = None
    text = env.get_template(template).render(ctx)
    if status >= 400 and context.get("errors") and 'role="alert"' not in text:
        # The refused form is not on the page any more (its record moved on or is
        # not listed): the error and its code go above the page instead of nowhere.
        text = env.get_template(template).render({**ctx, "unshown_errors": context["errors"]})
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def redirect(request: web.Request, route: str, /, done: str | None = None, **parts: Any) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url(request, route, query={"done": done} if done else None, **parts))


def field_errors(exc: DomainError) -> dict[str, dict[str, str]]:
    """``{"field": {"code": ..., "message": ...}}``; no field → ``_form``."""
    name = exc.details.get("field") or "_form"
    return {str(name): {"code": str(exc.code), "message": exc.message}}


def error_status(exc: DomainError) -> int:
    return STATUS.get(exc.code, 400)


async def form_of(request: web.Request) -> dict[str, Any]:
    """The posted form as a plain dict (last value of each name; files kept)."""
    data = await request.post()
    return {k: data.getall(k)[-1] for k in data.keys()}


def text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


# --- parsing typed-in values, with the same codes as the API -------------------------------------

def tz(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[CONFIG].timezone)


def parse_int(value: str, field: str, *, required: bool = True, positive: bool = True) -> int | None:
    """A typed whole number; ``positive=False`` leaves the range to the use case (0 and below pass)."""
    value = (value or "").strip()
    if not value and not required:
        return None
    if not re.fullmatch(r"[+-]?\d{1,10}", value):
        raise invalid(f"{field.replace('_', ' ')} must be a whole number", field=field)
    n = int(value)
    if positive and not 0 < n < 2**31:
        raise invalid(f"{field.replace('_', ' ')} must be a positive whole number", field=field)
    return n


def new_form_key() -> str:
    """A fresh idempotency key for one rendering of a form: sent twice (a double
    tap, a resend after a lost answer, the back button), it acts once."""
    return secrets.token_hex(8)


def portal_key(value: str | None, suffix: str = "") -> str | None:
    """The use case's idempotency key for a form's key (None: the form had none)."""
    return f"portal-{value[:80]}{suffix}" if value else None


def parse_date(value: str, field: str, *, required: bool = True) -> date | None:
    value = (value or "").strip()
    if not value and not required:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid("give a date like 2025-01-31", field=field) from None


def parse_local(request: web.Request, day: str, clock: str, field: str, *, required: bool = True) -> datetime | None:
    """A date and a time typed in the portal's zone, as aware UTC."""
    if not (day or "").strip() and not (clock or "").strip() and not required:
        return None
    d = parse_date(day, field)
    try:
        t = time.fromisoformat((clock or "").strip())
    except ValueError:
        raise invalid("give a time like 14:30", field=field) from None
    return datetime.combine(d, t, tz(request)).astimezone(timezone.utc)


def parse_decimal(value: str, field: str) -> str:
    """Checked only for being a number; the core checks the range."""
    value = (value or "").strip().replace(",", "")
    try:
        Decimal(value)
    except InvalidOperation:
        raise invalid(f"{field.replace('_', ' ')} is not a number", field=field) from None
    return value
