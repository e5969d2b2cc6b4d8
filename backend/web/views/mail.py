"""Staff pages about e-mail: the captured mails of the development mail
server (``var/mail/``, written by ``python -m backend.devmail``) and the
deliveries that gave up (dead letters), which an admin or manager sends again."""

from __future__ import annotations

import asyncio

from aiohttp import web

from backend.devmail import mailbox
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.notifications import inbox
from backend.web.kit import SETTINGS, call, error_status, page, redirect, render

routes = web.RouteTableDef()
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
deciders = page(Role.ADMIN, Role.MANAGER)


def _folder(request: web.Request):
    return request.app[SETTINGS].var_dir / "mail"


def _missing(request: web.Request, what: str) -> web.Response:
    return render(request, "error.html", status=404, code="not_found", message=f"{what} is not among the captured mails")


# --- captured mails -------------------------------------------------------------------------------

@routes.get("/x/mail", name="x_mail")
@staff
async def mail_list(request: web.Request, actor: Actor) -> web.Response:
    folder = _folder(request)
    mails = await asyncio.to_thread(mailbox.list_mail, folder)
    return render(request, "admin/mail_list.html", mails=mails, folder=str(folder), exists=folder.is_dir())


@routes.get("/x/mail/{name}", name="x_mail_message")
@staff
async def mail_message(request: web.Request, actor: Actor) -> web.Response:
    name = request.match_info["name"]
    mail = await asyncio.to_thread(mailbox.read_mail, _folder(request), name)
    if mail is None:
        return _missing(request, name)
    return render(request, "admin/mail_message.html", mail=mail, name=name)


@routes.get("/x/mail/{name}/parts/{index:\\d+}", name="x_mail_part")
@staff
async def mail_part(request: web.Request, actor: Actor) -> web.StreamResponse:
    name, index = request.match_info["name"], int(request.match_info["index"])
    found = await asyncio.to_thread(mailbox.attachment, _folder(request), name, index)
    if found is None:
        return _missing(request, f"part {index} of {name}")
    part, data = found
    safe = "".join(ch for ch in part.filename if ch.isalnum() or ch in "-_.") or f"part-{index + 1}"
    return web.Response(body=data, content_type=part.content_type,
                        headers={"Content-Disposition": f'attachment; filename="{safe}"',
                                 "Cache-Control": "private, no-store"})


# --- dead letters ---------------------------------------------------------------------------------

@routes.get("/x/deliveries/dead", name="x_dead")
@deciders
async def dead_page(request: web.Request, actor: Actor) -> web.Response:
    return await _dead(request, actor)


async def _dead(request, actor, *, errors=None, status=200):
    rows = await call(request, inbox.dead_letters, actor)
    return render(request, "admin/dead_letters.html", rows=rows, errors=errors or {}, status=status)


@routes.post("/x/deliveries/{id:\\d+}/retry", name="x_dead_retry")
@deciders
async def retry(request: web.Request, actor: Actor) -> web.Response:
    delivery_id = int(request.match_info["id"])
    try:
        sent = await call(request, inbox.retry_delivery, actor, delivery_id=delivery_id)
    except DomainError as exc:  # already sent again (a double click), or gone
        return await _dead(request, actor, errors={delivery_id: {"code": str(exc.code), "message": exc.message}},
                           status=error_status(exc))
    raise redirect(request, "x_dead", done=f"Delivery {sent.id} ({sent.event} by {sent.channel} to "
                                           f"{sent.address or sent.recipient}) is queued to be sent again.")
