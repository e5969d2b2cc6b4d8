"""The channels this system sends on, from its settings and environment.

The worker (``python -m backend.worker``) calls ``default_channels`` once at
start and hands the dict to ``dispatch_once`` every round. Add a channel
with one line: its name, and the transport when it is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from backend.db import UnitOfWork
from backend.delivery.channels import Channel
from backend.delivery.chat import ChatChannel, hub_token
from backend.delivery.email import EmailChannel
from backend.delivery.webhook import WebhookChannel
from backend.settings import Settings


def default_channels(settings: Settings, uow: UnitOfWork, env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    env = os.environ if env is None else env
    channels: dict[str, Channel] = {}
    if env.get("SMTP_URL"):  # MAIL_FROM, PORTAL_URL: see backend/delivery/email.py
        channels["email"] = EmailChannel.from_env(env, uow, currency=settings.currency,
                                                  upload_dir=settings.upload_dir, pay_secret=settings.secret_key)
    if hub := hub_url(env):  # chat push into open widget / technician chats; HUB_URL="" turns it off
        channels["chat"] = ChatChannel(hub, lambda: hub_token(settings.var_dir, env))  # read on the first push
    if env.get("WEBHOOK_URL"):  # signed with WEBHOOK_SECRET (required): see backend/delivery/webhook.py
        channels["webhook"] = WebhookChannel(env["WEBHOOK_URL"], env.get("WEBHOOK_SECRET", ""))
    return channels


def hub_url(env: Mapping[str, str] | None = None) -> str:
    """The live-chat hub the chat channel pushes to: ``HUB_URL``, by default the
    hub ``make run`` starts (``HUB_HOST``:``HUB_PORT``); empty means no chat push."""
    env = os.environ if env is None else env
    if "HUB_URL" in env:
        return env["HUB_URL"].strip()
    return f"http://{env.get('HUB_HOST', '127.0.0.1')}:{env.get('HUB_PORT', '8080')}"


def preference_channels(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The channels a user chooses on or off in the portal (the inbox is always on):
    e-mail and chat, and the webhook when one is configured."""
    env = os.environ if env is None else env
    return ("email", "chat") + (("webhook",) if env.get("WEBHOOK_URL") else ())
