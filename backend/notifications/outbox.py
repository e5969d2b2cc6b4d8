"""Writing to the outbox happens inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.notifications.models import Notification


def notify(
    s: Session,
    *,
    event: str,
    subject_type: str,
    subject_id: int,
    customer_id: int | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    **payload: Any,
) -> None:
    s.add(Notification(
        event=event, subject_type=subject_type, subject_id=subject_id,
        customer_id=customer_id, user_id=user_id, dedupe_key=dedupe_key,
        payload={k: (v if isinstance(v, (int, float, bool, type(None))) else str(v)) for k, v in payload.items()},
    ))
