"""A visitor's own account: "Create an account" (``/signup``), the confirmation
link it mails (``/signup/confirm/{token}``: confirms and logs in), "Forgot
password?" (``/password/forgot``) and the reset link it mails
(``/password/reset/{token}``). Each handler makes one call to
``backend.processes.signup``.

Sign-ups and reset requests are rate-limited per client address and per
e-mail address (they send mail), as logins are; a reset request answers the
same whether or not the address has an account.
"""

from __future__ import annotations

import weakref

from aiohttp import web

from backend.errors import DomainError, ErrorCode
from backend.processes import signup as accounts
from backend.web.kit import (
    CODEC, HOME, SESSION, SETTINGS, call, error_status, field_errors, form_of, render, session_of, text, url,
)
from backend.web.session import LoginLimiter

routes = web.RouteTableDef()

WINDOW_S = 3600
PER_EMAIL = 3  # mails to one address an hour
PER_PEER = 10  # sign-ups (or reset requests) from one address an hour
_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
SENT = ("If an account exists for {email}, we have sent it a link to choose a new password. It works once, "
        "within an hour. No mail after a few minutes? Check your spam folder, or ask again.")


def _limiter(request: web.Request, kind: str) -> LoginLimiter:
    """One limiter per portal and kind (``signup``, ``reset``), kept as long as the portal."""
    per_app = _limiters.setdefault(request.app, {})
    if kind not in per_app:
        per_app[kind] = LoginLimiter(window_s=WINDOW_S, per_email=PER_EMAIL, per_peer=PER_PEER)
    return per_app[kind]


def _too_many(what: str) -> dict:
    return {"_form": {"code": str(ErrorCode.RATE_LIMITED),
                      "message": f"too many {what} from here in the last hour; wait a while and try again"}}


def _log_in(request: web.Request, actor) -> None:
    old = session_of(request)
    request.app[CODEC].revoke(old)
    request[SESSION] = request.app[CODEC].new(actor)  # a new session id: no fixation


# --- create an account ----------------------------------------------------------------------------

@routes.get("/signup", name="signup")
async def signup_form(request: web.Request) -> web.Response:
    return render(request, "signup.html", form={}, errors={})


@routes.post("/signup", name="signup_post")
async def signup(request: web.Request) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k).strip()[:254] for k in ("name", "mobile", "email")}
    password, again = text(form, "password")[:300], text(form, "password_again")[:300]
    limiter, peer = _limiter(request, "signup"), request.remote or "?"
    if limiter.blocked(kept["email"], peer):
        return render(request, "signup.html", status=429, form=kept, errors=_too_many("sign-ups"))
    if password != again:
        return render(request, "signup.html", status=400, form=kept, errors={"password_again": {
            "code": str(ErrorCode.INVALID_INPUT), "message": "the two passwords differ; type the same one twice"}})
    limiter.failed(kept["email"], peer)  # every attempt counts: each may send a mail
    try:
        done = await call(request, accounts.sign_up, None, name=kept["name"], mobile=kept["mobile"],
                          email=kept["email"], password=password)
    except DomainError as exc:
        return render(request, "signup.html", status=error_status(exc), form=kept, errors=field_errors(exc))
    return render(request, "signup_sent.html", email=done.email, resent=done.resent)


@routes.get("/signup/confirm/{token}", name="signup_confirm")
async def confirm(request: web.Request) -> web.Response:
    try:
        actor = await call(request, accounts.verify_email, None, secret=request.app[SETTINGS].secret_key,
                           token=request.match_info["token"])
    except DomainError as exc:
        return render(request, "signup_link.html", status=error_status(exc), code=exc.code, message=exc.message,
                      what="confirm")
    _log_in(request, actor)
    raise web.HTTPSeeOther(url(request, HOME[actor.role], query={
        "done": "Your e-mail address is confirmed and you are logged in. Welcome!"}))


# --- forgot password ------------------------------------------------------------------------------

@routes.get("/password/forgot", name="password_forgot")
async def forgot_form(request: web.Request) -> web.Response:
    return render(request, "reset_request.html", form={"email": request.query.get("email", "")[:254]}, errors={})


@routes.post("/password/forgot", name="password_forgot_post")
async def forgot(request: web.Request) -> web.Response:
    form = await form_of(request)
    email = text(form, "email").strip()[:254]
    limiter, peer = _limiter(request, "reset"), request.remote or "?"
    if not email:
        return render(request, "reset_request.html", status=400, form={"email": ""}, errors={"email": {
            "code": str(ErrorCode.INVALID_INPUT), "message": "enter the e-mail address you log in with"}})
    if limiter.blocked(email, peer):
        return render(request, "reset_request.html", status=429, form={"email": email},
                      errors=_too_many("password reset requests"))
    limiter.failed(email, peer)
    await call(request, accounts.request_password_reset, None, email=email)
    return render(request, "reset_sent.html", message=SENT.format(email=email))


@routes.get("/password/reset/{token}", name="password_reset")
async def reset_form(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        target = await call(request, accounts.check_reset_link, None, secret=request.app[SETTINGS].secret_key,
                            token=token)
    except DomainError as exc:
        return render(request, "signup_link.html", status=error_status(exc), code=exc.code, message=exc.message,
                      what="reset")
    return render(request, "reset_form.html", token=token, email=target.email, errors={})


@routes.post("/password/reset/{token}", name="password_reset_post")
async def reset(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    form = await form_of(request)
    password, again = text(form, "password")[:300], text(form, "password_again")[:300]
    secret = request.app[SETTINGS].secret_key
    try:
        if password != again:
            target = await call(request, accounts.check_reset_link, None, secret=secret, token=token)
            return render(request, "reset_form.html", status=400, token=token, email=target.email, errors={
                "password_again": {"code": str(ErrorCode.INVALID_INPUT),
                                   "message": "the two passwords differ; type the same one twice"}})
        target = await call(request, accounts.reset_password, None, secret=secret, token=token, password=password)
    except DomainError as exc:
        if exc.details.get("field") == "password":
            target = await call(request, accounts.check_reset_link, None, secret=secret, token=token)
            return render(request, "reset_form.html", status=error_status(exc), token=token, email=target.email,
                          errors=field_errors(exc))
        return render(request, "signup_link.html", status=error_status(exc), code=exc.code, message=exc.message,
                      what="reset")
    request.app[CODEC].revoke_user(target.user_id)  # every session from before the reset ends here
    session = session_of(request)
    request.app[CODEC].revoke(session)
    session.cleared = True
    raise web.HTTPSeeOther(url(request, "login", query={
        "done": "Your password is changed; log in with the new one. Your other sessions were logged out."}))
