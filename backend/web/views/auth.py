"""Log in, log out, health, and the landing page that sends each role home."""

from __future__ import annotations

from aiohttp import web

from backend.errors import DomainError, ErrorCode
from backend.identity import service as identity
from backend.web.kit import CODEC, HOME, SESSION, LIMITER, call, form_of, render, session_of, text, url

routes = web.RouteTableDef()


def _safe_next(request: web.Request, value: str) -> str | None:
    """Only a path inside this site (no scheme, no other host)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and "\n" not in value:
        return value
    return None


@routes.get("/health", name="health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/", name="home")
async def home(request: web.Request) -> web.Response:
    actor = session_of(request).actor
    if actor is None:
        raise web.HTTPSeeOther(url(request, "login"))
    raise web.HTTPSeeOther(url(request, HOME[actor.role]))


@routes.get("/login", name="login")
async def login_form(request: web.Request) -> web.Response:
    return render(request, "login.html", form={"email": "", "next": request.query.get("next", "")}, errors={})


@routes.post("/login", name="login_post")
async def login(request: web.Request) -> web.Response:
    form = await form_of(request)
    email, password = text(form, "email").strip()[:254], text(form, "password")[:200]
    kept = {"email": email, "next": text(form, "next")}
    limiter, peer = request.app[LIMITER], request.remote or "?"
    if limiter.blocked(email, peer):
        return render(request, "login.html", status=429, form=kept, errors={"_form": {
            "code": str(ErrorCode.RATE_LIMITED), "message": "too many failed logins; wait a few minutes"}})
    if not email or not password:
        field = "email" if not email else "password"
        return render(request, "login.html", status=400, form=kept, errors={field: {
            "code": str(ErrorCode.INVALID_INPUT), "message": f"enter your {field}"}})
    try:
        actor = await call(request, identity.authenticate, None, email=email, password=password, channel="portal")
    except DomainError as exc:
        limiter.failed(email, peer)
        return render(request, "login.html", status=401, form=kept,
                      errors={"_form": {"code": str(exc.code), "message": exc.message}})
    limiter.succeeded(email)
    old = session_of(request)
    request.app[CODEC].revoke(old)
    fresh = request.app[CODEC].new(actor)  # a new session id: no fixation
    request[SESSION] = fresh
    target = _safe_next(request, kept["next"]) or url(request, HOME[actor.role])
    raise web.HTTPSeeOther(target)


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.Response:
    session = session_of(request)
    request.app[CODEC].revoke(session)
    session.cleared = True
    raise web.HTTPSeeOther(url(request, "login", query={"done": "You are logged out."}))
