"""The one place a lifecycle move happens: check, set, record who/when/channel."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from backend.history.models import StateChange
from backend.identity.actor import Actor
from backend.lifecycle import Lifecycle


def move(
    s: Session,
    lifecycle: Lifecycle,
    row,
    target: StrEnum,
    actor: Actor,
    *,
    entity_type: str,
    request_id: int | None = None,
    note: str | None = None,
    attr: str = "state",
) -> None:
    current = getattr(row, attr)
    lifecycle.check(current, target)
    setattr(row, attr, str(target))
    record(s, entity_type=entity_type, entity_id=row.id, request_id=request_id,
           from_state=current, to_state=str(target), actor=actor, note=note)


def record(
    s: Session,
    *,
    entity_type: str,
    entity_id: int,
    to_state: str,
    actor: Actor,
    from_state: str | None = None,
    request_id: int | None = None,
    note: str | None = None,
) -> None:
    s.add(StateChange(
        entity_type=entity_type, entity_id=entity_id, request_id=request_id,
        from_state=from_state, to_state=to_state, actor_id=actor.user_id,
        actor_role=str(actor.role), channel=actor.channel, note=note,
    ))
