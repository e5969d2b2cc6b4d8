"""Who is talking: a signed-in user's token, or a visitor verified in this chat.

A portal or technician-app user's signed token arrives as message metadata
(the widget's ``customData`` -> ``metadata.token``; the hub passes it on with
every message and at session start). A visitor who proved who they are
(reference + phone/e-mail on file) gets a short-lived token of their own,
kept in the ``auth_token`` slot. Either way the token is verified on every
use, so a value typed or forged into a slot gets nowhere.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.tokens import actor_from_token, issue_token

CHANNEL = "chat"
VISITOR_TOKEN_MAX_AGE = 3600  # seconds; the chat session itself expires after an hour idle


def _token_in(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return None
    token = metadata.get("token")
    if not token and isinstance(metadata.get("customData"), dict):
        token = metadata["customData"].get("token")
    return token if isinstance(token, str) and token else None


def login_token(tracker: Tracker) -> str | None:
    """The signed-in user's token from this message, or from the session start."""
    return _token_in((tracker.latest_message or {}).get("metadata")) or _token_in(
        tracker.get_slot("session_started_metadata"))


def current_actor(tracker: Tracker, secret: str) -> Actor | None:
    """The verified actor of this conversation, or None for an anonymous visitor."""
    token = login_token(tracker)
    if token:
        try:
            return actor_from_token(secret, token, channel=CHANNEL)
        except DomainError:
            pass  # expired or not ours: treat the visitor as anonymous
    visitor = tracker.get_slot("auth_token")
    if visitor:
        try:
            return actor_from_token(secret, visitor, channel=CHANNEL, max_age=VISITOR_TOKEN_MAX_AGE)
        except DomainError:
            return None
    return None


def visitor_token(secret: str, actor: Actor) -> str:
    """A token for a visitor who has just proved who they are (kept in a slot)."""
    return issue_token(secret, actor)
