"""The chat push channel: a notice goes into the recipient's open chat.

The worker hands each notice to the live-chat hub's internal endpoint
(``POST {hub}/internal/notices``, with the shared token in
``X-Hub-Token``); the hub stores it as a bot message of the user's open
widget or technician conversation (client id = the notice's message id, so
a resend is stored once), emits it as ``bot_uttered`` and replays it on
reconnect like any message. What the hub answers decides the delivery:

- stored (or already stored) → sent;
- the user has no conversation that is not closed → ``NotApplicable``
  (the delivery is "skipped"; the portal inbox has it anyway);
- hub down, timing out or answering 5xx → ``TransientFailure`` (tried again);
- any other refusal (a wrong token, a malformed notice) → ``PermanentFailure``.

The shared token is ``HUB_INTERNAL_TOKEN``; without it both processes use
the one generated on first use in ``var/hub-internal-token`` (mode 0600),
so ``make run`` needs no setting.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from backend.delivery.channels import NotApplicable, Outgoing, PermanentFailure, TransientFailure
from backend.notifications.wording import word
from backend.local_secrets import shared_secret

NAME = "chat"
PATH = "/internal/notices"
TOKEN_HEADER = "X-Hub-Token"
TOKEN_FILE = "hub-internal-token"
CLIENT_ID_MAX = 64  # conversation_messages.client_id
TEXT_MAX = 3000  # a chat message is at most 4,000 characters; the inbox keeps the whole notice


def hub_token(var_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """``HUB_INTERNAL_TOKEN``, else the token kept under ``var_dir`` (made on first use)."""
    return shared_secret(Path(var_dir) / TOKEN_FILE, "HUB_INTERNAL_TOKEN", env)


def chat_client_id(message_id: str) -> str:
    """The notice's message id as the chat message's client id (at most 64 characters)."""
    if len(message_id) <= CLIENT_ID_MAX:
        return message_id
    return "notice-" + hashlib.sha256(message_id.encode()).hexdigest()[:48]


def notice_body(out: Outgoing) -> dict:
    """What the hub is sent for one notice."""
    w = word(out.event, out.payload, out.language)
    text = f"{w.title}: {w.text}" if w.text and w.text != w.title else w.title
    if len(text) > TEXT_MAX:
        text = text[:TEXT_MAX - 1].rstrip() + "…"
    return {"user_id": out.user_id, "client_id": chat_client_id(out.message_id), "message_id": out.message_id,
            "text": text, "title": w.title,
            "notice": {"event": out.event, "reference": w.reference, "delivery_id": out.delivery_id}}


class ChatChannel:
    name = NAME

    def __init__(self, hub_url: str, token: str | Callable[[], str], *, timeout_s: float = 10.0) -> None:
        """``token``: the shared token, or a function giving it on the first send (``hub_token``)."""
        self.url = hub_url.rstrip("/") + PATH
        self._token = token
        self.timeout_s = timeout_s

    @property
    def token(self) -> str:
        if callable(self._token):
            self._token = self._token()
        return self._token

    def send(self, out: Outgoing) -> None:
        if out.user_id is None:
            raise NotApplicable("no login: nobody to chat with")
        data = json.dumps(notice_body(out)).encode()
        request = urllib.request.Request(self.url, data=data, method="POST", headers={
            "Content-Type": "application/json", TOKEN_HEADER: self.token})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = _json(response.read())
        except urllib.error.HTTPError as exc:
            detail = f"the hub answered {exc.code}: {_error_text(exc)}"
            if exc.code >= 500 or exc.code in (408, 429):
                raise TransientFailure(detail) from None
            raise PermanentFailure(detail) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientFailure(f"the hub is unreachable at {self.url}: {reason}") from None
        if "stored" not in answer:
            raise PermanentFailure(f"{self.url} is not the hub's notice endpoint (it answered without 'stored')")
        if not answer["stored"]:
            raise NotApplicable(answer.get("reason") or "no open chat")


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = _json(exc.read())
    except OSError:
        return exc.reason or ""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(error.get("message") or exc.reason or "")[:300]
