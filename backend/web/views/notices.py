"""Every user's notices: the inbox (newest first, read or unread, a link to
the record each is about, mark all read) and the preferences (channels on or
off, reminders on or off, and a customer's notice language). The header's
unread count is counted by the portal's ``unread`` middleware (app.py)."""

from __future__ import annotations

import re

from aiohttp import web

from backend.customers.language import LANGUAGE_NAMES, notice_language, set_notice_language
from backend.delivery.registry import preference_channels
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.notifications import inbox as notices
from backend.notifications.preferences import get_preferences, set_preferences
from backend.notifications.wording import LANGUAGES
from backend.web.kit import call, error_status, field_errors, form_of, page, redirect, render, text, url

routes = web.RouteTableDef()
anyone = page()  # every role, logged in
PREFIX = re.compile(r"^([A-Z]{2,3})-")

CHANNEL_LABELS = {
    "email": ("E-mail", "to the address on your account"),
    "chat": ("Chat", "in the chat on our website, or the technician chat, while you have it open"),
    "webhook": ("Text messages", "SMS or WhatsApp, through our messaging gateway"),
}

# The page each kind of reference opens, per role: (route, takes the reference as {ref}).
CUSTOMER_PAGES = {"SR": ("c_request", True), "JB": ("c_request", True), "TK": ("c_request", True),
                  "INV": ("c_invoice", True), "RC": ("c_statement", False), "CT": ("c_contracts", False),
                  "SO": ("c_home", False), "RO": ("c_repairs", False)}
TECHNICIAN_PAGES = {"JB": ("t_job", True), "RO": ("t_repairs", False), "EC": ("t_money", False)}
AGENT_PAGES = {"SR": ("a_home", False), "TK": ("a_home", False), "JB": ("a_kanban", False),
               "INV": ("a_collections", False), "RC": ("a_collections", False), "CT": ("a_processes", False),
               "SO": ("a_processes", False), "RO": ("a_processes", False)}
MANAGER_PAGES = {**AGENT_PAGES, "EC": ("m_claims", False)}
JOURNEY = ("SR", "JB", "TK")  # managers and admins: the request's journey report


def link_for(request: web.Request, actor: Actor, reference: str | None) -> str | None:
    """The portal page of the record a notice is about, for this actor; None when there is none."""
    m = PREFIX.match(reference or "")
    if not m:
        return None
    prefix = m.group(1)
    if actor.role in (Role.MANAGER, Role.ADMIN) and prefix in JOURNEY:
        return url(request, "m_report", name="journey", query={"request": reference})
    pages = {Role.CUSTOMER: CUSTOMER_PAGES, Role.TECHNICIAN: TECHNICIAN_PAGES, Role.AGENT: AGENT_PAGES,
             Role.MANAGER: MANAGER_PAGES}.get(actor.role, {})
    if prefix not in pages:
        return None
    route, with_ref = pages[prefix]
    target = url(request, route, ref=reference) if with_ref else url(request, route)
    return target if with_ref else f"{target}#{reference}"


@routes.get("/inbox", name="inbox")
@anyone
async def inbox_page(request: web.Request, actor: Actor) -> web.Response:
    language = await call(request, notice_language, actor)
    items = await call(request, notices.inbox, actor, limit=100, language=language)
    links = {i.id: link_for(request, actor, i.reference) for i in items}
    return render(request, "notices/inbox.html", items=items, links=links,
                  unread_here=sum(1 for i in items if not i.read))


@routes.get("/inbox/{id:\\d+}", name="inbox_open")
@anyone
async def open_notice(request: web.Request, actor: Actor) -> web.Response:
    """Opening a notice marks it read and leads to its record (or back to it in the inbox)."""
    item_id = int(request.match_info["id"])
    await call(request, notices.mark_read, actor, item_id=item_id)  # someone else's: not_found
    target = link_for(request, actor, request.query.get("ref"))
    raise web.HTTPSeeOther(target or f"{url(request, 'inbox')}#n-{item_id}")


@routes.post("/inbox/read", name="inbox_read_all")
@anyone
async def read_all(request: web.Request, actor: Actor) -> web.Response:
    changed = await call(request, notices.mark_read, actor)
    raise redirect(request, "inbox", done=f"{changed} notice{'' if changed == 1 else 's'} marked read.")


# --- preferences --------------------------------------------------------------------------------

async def _preferences_page(request: web.Request, actor: Actor, *, errors=None, status: int = 200) -> web.Response:
    channels = preference_channels()
    prefs = await call(request, get_preferences, actor, channels=channels)
    language = await call(request, notice_language, actor)
    return render(request, "notices/preferences.html", prefs=prefs, labels=CHANNEL_LABELS, language=language,
                  languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES], errors=errors or {},
                  status=status)


@routes.get("/preferences", name="preferences")
@anyone
async def preferences(request: web.Request, actor: Actor) -> web.Response:
    return await _preferences_page(request, actor)


@routes.post("/preferences", name="preferences_post")
@anyone
async def preferences_post(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    channels = preference_channels()
    chosen = {c: {"enabled": f"{c}_enabled" in form, "reminders": f"{c}_reminders" in form} for c in channels}
    try:
        await call(request, set_preferences, actor, preferences=chosen, channels=channels)
    except DomainError as exc:
        return await _preferences_page(request, actor, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "preferences", done="Your choices are saved.")


@routes.post("/preferences/language", name="preferences_language")
@page(Role.CUSTOMER)
async def language_post(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    try:
        chosen = await call(request, set_notice_language, actor, language=text(form, "language"))
    except DomainError as exc:
        return await _preferences_page(request, actor, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "preferences", done=f"Your notices will be in {LANGUAGE_NAMES.get(chosen, chosen)}.")
