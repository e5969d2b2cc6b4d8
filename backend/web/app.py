"""The composition root of the portal: server-rendered pages for every role,
as an aiohttp sub-application that calls the service core directly.

    portal = create_portal(settings, uow)
    app.add_subapp("/portal", portal)     # the hub, or python -m backend.web

Every URL is built from the route names (``url_for``), so the portal works
under any prefix. aiohttp cannot mount a sub-application at ``/`` itself
(the prefix may not be empty), and the hub already serves ``/`` (its demo
website), so the portal lives under ``/portal``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

import backend.models  # noqa: F401  (every area's tables, so cross-area foreign keys resolve)
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.errors import DomainError, ErrorCode
from backend.notifications.inbox import unread_count
from backend.settings import Settings
from backend.web.kit import (
    CODEC, CONFIG, JINJA, LIMITER, SESSION, SETTINGS, UNREAD, UOW, PortalConfig, error_status, render, session_of,
)
from backend.web.session import COOKIE, MAX_AGE, LoginLimiter, SessionCodec
from backend.web.tasks import TASKS, Tasks

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
log = logging.getLogger("backend.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_portal(settings: Settings, uow: UnitOfWork | None = None, *,
                  config: PortalConfig | None = None) -> web.Application:
    from backend.web.views import all_routes

    app = web.Application(middlewares=[errors, sessions, csrf, unread, security_headers])
    app[SETTINGS] = settings
    app[CONFIG] = config or PortalConfig()
    app[CODEC] = SessionCodec(settings.secret_key)
    app[LIMITER] = LoginLimiter()
    app[JINJA] = _jinja(app[CONFIG])
    if uow is not None:
        app[UOW] = uow
        app[TASKS] = Tasks(uow)
    else:
        app.cleanup_ctx.append(_database)
    app.router.add_routes(all_routes())
    app.router.add_static("/static", STATIC, name="static", append_version=True)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[SETTINGS].database_url)
    app[UOW] = UnitOfWork(make_session_factory(engine))
    app[TASKS] = Tasks(app[UOW])
    yield
    engine.dispose()


# --- templates ------------------------------------------------------------------------------------

def _jinja(config: PortalConfig) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    zone = ZoneInfo(config.timezone)
    env.filters["money"] = _money
    env.filters["dt"] = lambda v: v.astimezone(zone).strftime("%d %b %Y %H:%M") if isinstance(v, datetime) else ""
    env.filters["hm"] = lambda v: v.astimezone(zone).strftime("%H:%M") if isinstance(v, datetime) else ""
    env.filters["d"] = lambda v: v.strftime("%d %b %Y") if isinstance(v, (date, datetime)) else ""
    env.filters["words"] = lambda v: str(v or "").replace("_", " ")
    env.filters["qty"] = lambda v: format(v.normalize(), "f") if isinstance(v, Decimal) else v
    env.globals["zone"] = config.timezone
    return env


def _money(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


# --- middlewares ----------------------------------------------------------------------------------

@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refusal is a page with its code and words; never a traceback."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return render(request, "error.html", status=413, code=ErrorCode.UPLOAD_TOO_LARGE,
                      message="what you sent is larger than this site accepts; send smaller files, one bill a line")
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            return render(request, "error.html", status=exc.status, code=ErrorCode.NOT_FOUND,
                          message="there is no such page")
        raise
    except DomainError as exc:
        return render(request, "error.html", status=error_status(exc), code=exc.code, message=exc.message)
    except Exception:
        log.exception("portal page %s %s failed", request.method, request.path)
        return render(request, "error.html", status=500, code="internal_error",
                      message="something went wrong on our side; it has been logged")


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    codec = request.app[CODEC]
    session = codec.loads(request.cookies.get(COOKIE)) or codec.new()
    request[SESSION] = session
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects carry the cookie too
        _store(request, exc, request[SESSION])
        raise
    _store(request, response, request[SESSION])
    return response


def _store(request: web.Request, response: web.StreamResponse, session) -> None:
    if response.prepared:
        return
    secure = request.secure or request.app[CONFIG].force_secure_cookie
    if session.cleared:
        response.del_cookie(COOKIE, path="/")
    elif session.dirty:
        response.set_cookie(COOKIE, request.app[CODEC].dumps(session), max_age=MAX_AGE, path="/", httponly=True,
                            samesite="Lax", secure=secure)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in UNSAFE:
        session = session_of(request)
        token = request.headers.get("X-CSRF-Token")
        if token is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            token = (await request.post()).get("_csrf")
        if not request.app[CODEC].csrf_ok(session, token if isinstance(token, str) else None):
            return render(request, "error.html", status=403, code=ErrorCode.FORBIDDEN,
                          message="this form has expired or did not come from this site; reload the page and try again")
    return await handler(request)


@web.middleware
async def unread(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The header's count of unread notices: one query per page for a logged-in
    user (not for static files or downloads). A failed count hides the badge,
    never the page."""
    actor = session_of(request).actor
    route = request.match_info.route
    if (actor is not None and actor.user_id is not None and request.method in ("GET", "POST")
            and not isinstance(route.resource, web.StaticResource)
            and not (route.name or "").endswith(("_pdf", "health")) and request.query.get("format") != "csv"):
        try:
            request[UNREAD] = await asyncio.to_thread(unread_count, request.app[UOW], actor)
        except Exception:
            log.exception("counting the unread notices failed")
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- standing alone -------------------------------------------------------------------------------

def create_standalone(settings: Settings, uow: UnitOfWork | None = None, *, config: PortalConfig | None = None,
                      prefix: str = "/portal") -> web.Application:
    """``python -m backend.web``: the portal under ``prefix`` and ``/`` leading to it."""
    root = web.Application(client_max_size=4 * settings.upload_max_bytes)
    root.add_subapp(prefix, create_portal(settings, uow, config=config))

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPFound(prefix + "/")

    root.router.add_get("/", home)
    return root
