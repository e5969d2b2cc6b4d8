from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backend.db import UnitOfWork, utcnow
from backend.identity.actor import Actor, require_customer_access
from backend.identity.models import Role
from backend.notifications.models import Notification


@dataclass(frozen=True)
class NotificationView:
    id: int
    event: str
    subject_type: str
    subject_id: int
    payload: dict
    created_at: datetime
    sent_at: datetime | None


def list_notifications(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None, limit: int = 50) -> list[NotificationView]:
    with uow() as s:
        q = select(Notification).order_by(Notification.id.desc()).limit(min(max(limit, 1), 500))
        if actor.role == Role.CUSTOMER:
            q = q.where(Notification.customer_id == actor.customer_id)
        elif actor.role == Role.TECHNICIAN:
            q = q.where(Notification.user_id == actor.user_id)
        elif customer_id is not None:
            require_customer_access(actor, customer_id)
            q = q.where(Notification.customer_id == customer_id)
        return [NotificationView(n.id, n.event, n.subject_type, n.subject_id, dict(n.payload), n.created_at, n.sent_at)
                for n in s.scalars(q)]


def mark_sent(uow: UnitOfWork, *, ids: list[int]) -> int:
    """Called by a delivery worker after it handed the notices on."""
    with uow() as s:
        rows = s.scalars(select(Notification).where(Notification.id.in_(ids), Notification.sent_at.is_(None))).all()
        for n in rows:
            n.sent_at = utcnow()
        return len(rows)
