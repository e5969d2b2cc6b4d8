"""HTTP routes of the hub: health, the widget script, the demo website, the
agent console and its login."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import web

from backend.db import utcnow
from backend.errors import DomainError, ErrorCode
from backend.identity.service import authenticate
from backend.identity.tokens import issue_token

STATIC = Path(__file__).resolve().parent / "static"
HUB = web.AppKey("hub", object)
LOGIN_WINDOW_S = 300
LOGIN_MAX_FAILURES = 10

routes = web.RouteTableDef()
_failures: dict[str, list[float]] = {}


def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    w = hub.writer
    return web.json_response({"status": "ok", "hours_open": hub.hours.is_open(utcnow()),
                              "messages_written": w.written, "write_batches": w.batches,
                              "write_seconds": round(w.db_seconds, 3)})


@routes.get("/")
async def demo(request: web.Request) -> web.FileResponse:
    return _page("demo.html")


@routes.get("/technician")
async def technician(request: web.Request) -> web.FileResponse:
    return _page("technician.html")


@routes.get("/console")
async def console(request: web.Request) -> web.FileResponse:
    return _page("console.html")


@routes.get("/widget.js")
async def widget(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "widget.js", headers={"Cache-Control": "no-cache",
                                                            "Access-Control-Allow-Origin": "*"})


def _error(code: ErrorCode | str, message: str, status: int) -> web.Response:
    return web.json_response({"error": {"code": str(code), "message": message}}, status=status)


@routes.post("/console/login")
async def console_login(request: web.Request) -> web.Response:
    """E-mail and password of an agent, manager or admin → a signed token."""
    return await _login(request, staff=True)


@routes.post("/chat/login")
async def chat_login(request: web.Request) -> web.Response:
    """A customer's or technician's login for the widget (its ``customData.token``)."""
    return await _login(request, staff=False)


async def _login(request: web.Request, *, staff: bool) -> web.Response:
    hub = request.app[HUB]
    peer = request.remote or "?"
    now = time.monotonic()
    recent = [t for t in _failures.get(peer, []) if now - t < LOGIN_WINDOW_S]
    if len(recent) >= LOGIN_MAX_FAILURES:
        return _error(ErrorCode.RATE_LIMITED, "too many failed logins; wait a few minutes", 429)
    try:
        body = await request.json()
    except ValueError:
        return _error(ErrorCode.MALFORMED, "send JSON: {\"email\": ..., \"password\": ...}", 400)
    email, password = (body or {}).get("email"), (body or {}).get("password")
    if not isinstance(email, str) or not isinstance(password, str) or len(email) > 254 or len(password) > 200:
        return _error(ErrorCode.MALFORMED, "send JSON: {\"email\": ..., \"password\": ...}", 400)
    try:
        actor = await asyncio.to_thread(authenticate, hub.uow, email=email, password=password, channel="console")
    except DomainError as exc:
        _failures[peer] = recent + [now]
        return _error(exc.code, exc.message, 401)
    if staff and not actor.is_staff:
        return _error(ErrorCode.FORBIDDEN, "the console is for agents; customers use the chat on the website", 403)
    if not staff and actor.is_staff:
        return _error(ErrorCode.FORBIDDEN, "staff answer chats in the agent console", 403)
    token = issue_token(hub.settings.core.secret_key, actor)
    return web.json_response({"token": token, "user_id": actor.user_id, "name": actor.name, "role": str(actor.role)})
