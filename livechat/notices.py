"""Notices pushed into chat: ``POST /internal/notices``, for the worker only.

The worker's chat channel (``backend.delivery.chat``) sends one notice for
one user, with the shared token in ``X-Hub-Token`` (anything else is refused
with 401). The hub stores it as a bot message of the user's open
conversation — its payload ``{"notice": {"event", "reference",
"delivery_id"}}``, its client id the notice's message id — before it emits
it as ``bot_uttered`` to the conversation's room, so it is replayed on
reconnect like any message and a resend is stored once.

Answers: ``201 {"stored": true, "duplicate": false, …}`` stored and
emitted; ``200 {"stored": true, "duplicate": true, …}`` stored before (not
emitted again); ``200 {"stored": false, "reason": "no_open_chat"}`` the
user has no conversation that is not closed.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

from backend.conversations.lifecycle import Sender
from backend.conversations.messages import MAX_TEXT
from backend.conversations.notices import notice_target
from backend.conversations.service import NewMessage
from backend.delivery.chat import PATH, TOKEN_HEADER, hub_token
from backend.errors import ErrorCode
from livechat.pages import HUB
from livechat.settings import HubSettings

BODY_MAX = 16 * 1024

routes = web.RouteTableDef()


class InternalToken:
    """HUB_INTERNAL_TOKEN, else the token under the var dir: read (or made) on
    the first notice, so a hub that is never sent one writes nothing."""

    def __init__(self, settings: HubSettings) -> None:
        self._settings, self._value = settings, settings.internal_token

    @property
    def value(self) -> str:
        if self._value is None:
            self._value = hub_token(self._settings.core.var_dir)
        return self._value


TOKEN = web.AppKey("hub_internal_token", InternalToken)


def install(app: web.Application, settings: HubSettings) -> None:
    """The endpoint and its token, on the hub's application."""
    app[TOKEN] = InternalToken(settings)
    app.router.add_routes(routes)


def _error(code: ErrorCode | str, message: str, status: int, **details: Any) -> web.Response:
    return web.json_response({"error": {"code": str(code), "message": message, "details": details}}, status=status)


def _invalid(message: str, field: str) -> web.Response:
    return _error(ErrorCode.INVALID_INPUT, message, 422, field=field)


@routes.post(PATH)
async def push_notice(request: web.Request) -> web.Response:
    given = request.headers.get(TOKEN_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), request.app[TOKEN].value.encode()):
        return _error(ErrorCode.UNAUTHENTICATED, f"send the hub's internal token in {TOKEN_HEADER}", 401)
    raw = await request.content.read(BODY_MAX + 1)
    if len(raw) > BODY_MAX:
        return _error(ErrorCode.UPLOAD_TOO_LARGE, f"a notice is at most {BODY_MAX} bytes", 413)
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _error(ErrorCode.MALFORMED, "send a JSON object", 400)
    user_id, client_id, text, notice = body.get("user_id"), body.get("client_id"), body.get("text"), body.get("notice")
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
        return _invalid("user_id must be a positive whole number", "user_id")
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        return _invalid("client_id must be text of 1 to 64 characters", "client_id")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return _invalid(f"text must be 1 to {MAX_TEXT} characters", "text")
    if not isinstance(notice, dict) or not isinstance(notice.get("event"), str):
        return _invalid("notice must be an object with its event", "notice")
    meta = {"event": notice["event"][:48],
            "reference": notice["reference"][:30] if isinstance(notice.get("reference"), str) else None,
            "delivery_id": notice["delivery_id"] if isinstance(notice.get("delivery_id"), int) else None}

    hub = request.app[HUB]
    target = await hub.db(notice_target, user_id=user_id, client_id=client_id)
    if target is None:
        return web.json_response({"stored": False, "reason": "no_open_chat"})
    if target.existing is not None:
        m = target.existing
        return web.json_response({"stored": True, "duplicate": True, "conversation_id": m.conversation_id,
                                  "seq": m.seq, "message_id": m.id})
    stored = await hub.writer.write(NewMessage(target.conversation_id, Sender.BOT, text.strip(), {"notice": meta},
                                               client_id))
    if stored.error is not None:
        return _error(stored.error.code, stored.error.message, 409)
    if not stored.duplicate:
        await hub.deliver(stored.message)
    m = stored.message
    return web.json_response({"stored": True, "duplicate": stored.duplicate, "conversation_id": m.conversation_id,
                              "seq": m.seq, "message_id": m.id}, status=200 if stored.duplicate else 201)
