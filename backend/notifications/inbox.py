"""The portal inbox: every notice for a user, newest first, read or unread,
and the admin's view of deliveries that gave up (the dead letters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, not_found
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role
from backend.notifications.lifecycle import can_retry, set_state
from backend.notifications.models import Delivery, DeliveryState, Notification
from backend.notifications.wording import word

INBOX = "inbox"


@dataclass(frozen=True)
class InboxItem:
    id: int
    event: str
    title: str
    text: str
    reference: str | None
    at: datetime
    read: bool


@dataclass(frozen=True)
class DeadLetter:
    id: int
    event: str
    channel: str
    recipient: str
    address: str | None
    attempts: int
    last_error: str | None
    at: datetime


def _mine(actor: Actor):
    if actor.user_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "log in to read your inbox")
    return (Delivery.user_id == actor.user_id) & (Delivery.channel == INBOX)


def inbox(uow: UnitOfWork, actor: Actor, *, limit: int = 50, unread_only: bool = False,
          language: str = "en") -> list[InboxItem]:
    """The user's notices, newest first."""
    mine = _mine(actor)
    with uow() as s:
        q = (select(Delivery, Notification).join(Notification, Notification.id == Delivery.notification_id)
             .where(mine).order_by(Delivery.id.desc()).limit(min(max(limit, 1), 200)))
        if unread_only:
            q = q.where(Delivery.read_at.is_(None))
        items = []
        for d, n in s.execute(q):
            w = word(n.event, n.payload or {}, language)
            items.append(InboxItem(d.id, n.event, w.title, w.text, w.reference, n.created_at, d.read_at is not None))
        return items


def unread_count(uow: UnitOfWork, actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    with uow() as s:
        return s.scalar(select(func.count(Delivery.id)).where(_mine(actor), Delivery.read_at.is_(None))) or 0


def mark_read(uow: UnitOfWork, actor: Actor, *, item_id: int | None = None) -> int:
    """One notice (``item_id``) or all of them read; how many changed."""
    mine = _mine(actor)
    with uow() as s:
        q = update(Delivery).where(mine, Delivery.read_at.is_(None))
        if item_id is not None:
            if s.scalar(select(Delivery.id).where(mine, Delivery.id == item_id)) is None:
                raise not_found("notice", item_id)
            q = q.where(Delivery.id == item_id)
        return s.execute(q.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def dead_letters(uow: UnitOfWork, actor: Actor, *, limit: int = 100) -> list[DeadLetter]:
    require_role(actor, Role.ADMIN, Role.MANAGER)
    with uow() as s:
        rows = s.execute(select(Delivery, Notification.event).join(Notification, Notification.id == Delivery.notification_id)
                         .where(Delivery.state == DeliveryState.DEAD).order_by(Delivery.id.desc()).limit(limit))
        return [DeadLetter(d.id, event, d.channel, d.recipient, d.address, d.attempts, d.last_error, d.created_at)
                for d, event in rows]


def retry_delivery(uow: UnitOfWork, actor: Actor, *, delivery_id: int) -> DeadLetter:
    """Send a dead delivery again (a fresh round of attempts, same message id)."""
    require_role(actor, Role.ADMIN, Role.MANAGER)
    with uow() as s:
        d = s.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())
        if d is None:
            raise not_found("delivery", delivery_id)
        if not can_retry(d):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"delivery {delivery_id} is {d.state}, not dead",
                              current=d.state)
        set_state(d, DeliveryState.PENDING)
        d.attempts, d.next_attempt_at, d.last_error = 0, utcnow(), None
        event = s.get(Notification, d.notification_id).event
        return DeadLetter(d.id, event, d.channel, d.recipient, d.address, d.attempts, d.last_error, d.created_at)
