"""The outgoing webhook: every notice, signed, to one URL of the business's
choosing (an SMS or WhatsApp gateway, a CRM, …).

``POST WEBHOOK_URL`` with a JSON body::

    {"id": "<message id>", "event": "appointment_confirmed", "reference": "JB-000012",
     "title": "...", "text": "...", "language": "en",
     "recipient": {"user_id": 7, "customer_id": 3, "name": "Asha Mehta", "email": null, "phone": null},
     "payload": {...the notice's own values...}}

and the headers

- ``X-Fieldserv-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with WEBHOOK_SECRET>``:
  the receiver recomputes it over the bytes it received and compares in
  constant time;
- ``X-Fieldserv-Delivery: <message id>``: the same on every attempt of one
  notice, so the receiver drops a repeat;
- ``X-Fieldserv-Event: <event>``.

A 2xx answer is delivered. A timeout, a connection error, a 5xx, 408 or 429
is tried again later (``TransientFailure``); any other answer (4xx, or a
redirect, which is not followed) will not get better by retrying
(``PermanentFailure``: dead at once, an admin may send it again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from backend.delivery.channels import Outgoing, PermanentFailure, TransientFailure
from backend.notifications.wording import word

NAME = "webhook"
SIGNATURE_HEADER = "X-Fieldserv-Signature"
DELIVERY_HEADER = "X-Fieldserv-Delivery"
EVENT_HEADER = "X-Fieldserv-Event"
RETRYABLE_4XX = (408, 429)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


def webhook_body(out: Outgoing) -> bytes:
    w = word(out.event, out.payload, out.language)
    return json.dumps({
        "id": out.message_id, "event": out.event, "reference": w.reference, "title": w.title, "text": w.text,
        "language": out.language,
        "recipient": {"user_id": out.user_id, "customer_id": out.customer_id, "name": out.name,
                      "email": out.extra.get("email") or out.address, "phone": out.extra.get("phone")},
        "payload": out.payload,
    }, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a webhook that moved is a configuration to fix
        return None


class WebhookChannel:
    name = NAME

    def __init__(self, url: str, secret: str, *, timeout_s: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"WEBHOOK_URL must be an http(s) address, not {url!r}")
        if not secret:
            raise ValueError("WEBHOOK_SECRET is required to sign the webhook")
        self.url, self.secret, self.timeout_s = url, secret, timeout_s
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, out: Outgoing) -> None:
        body = webhook_body(out)
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "fieldserv-webhook/1",
            SIGNATURE_HEADER: sign(self.secret, body), DELIVERY_HEADER: out.message_id, EVENT_HEADER: out.event,
        })
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = f"{self.url} answered {exc.code} {exc.reason}"
            if exc.code >= 500 or exc.code in RETRYABLE_4XX:
                raise TransientFailure(detail) from None
            raise PermanentFailure(detail) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise TransientFailure(f"{self.url} is unreachable: {getattr(exc, 'reason', exc)}") from None
