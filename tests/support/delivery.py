"""What a person was told: the notices delivered to them, not rows in the outbox.

``told`` runs the dispatcher once (as the worker does every second) and
reads the person's portal inbox, the one channel every user has."""

from __future__ import annotations

from backend.db import UnitOfWork
from backend.delivery.dispatcher import dispatch_once
from backend.identity.actor import Actor
from backend.notifications.inbox import inbox


def deliver(uow: UnitOfWork) -> None:
    while dispatch_once(uow, {}, worker="test", batch=500).busy:
        pass


def told(uow: UnitOfWork, person: Actor) -> list[str]:
    """The events delivered to ``person``'s inbox, oldest first."""
    deliver(uow)
    return [item.event for item in reversed(inbox(uow, person, limit=200))]
