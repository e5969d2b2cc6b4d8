"""Reading the history: the latest changes of some kinds of record, for the
admin's pages (catalog, contract types, desk settings)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backend.db import UnitOfWork
from backend.errors import invalid
from backend.history.models import StateChange
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role, User

ADMIN_KINDS = ("product", "part", "service_charge", "coverage_type", "desk_settings", "user")


@dataclass(frozen=True)
class ChangeView:
    at: datetime
    entity_type: str
    entity_id: int
    change: str
    note: str | None
    by: str | None
    channel: str


def recent_changes(uow: UnitOfWork, actor: Actor, *, kinds: Iterable[str], limit: int = 30) -> list[ChangeView]:
    """The newest changes of these kinds first (admin and manager)."""
    require_role(actor, Role.ADMIN, Role.MANAGER)
    kinds = [k for k in kinds]
    if not kinds or any(k not in ADMIN_KINDS for k in kinds):
        raise invalid(f"kinds are some of {', '.join(ADMIN_KINDS)}", field="kinds")
    if not 1 <= limit <= 200:
        raise invalid("limit is between 1 and 200", field="limit")
    with uow() as s:
        rows = s.execute(
            select(StateChange, User.name).join(User, User.id == StateChange.actor_id, isouter=True)
            .where(StateChange.entity_type.in_(kinds))
            .order_by(StateChange.id.desc()).limit(limit)
        ).all()
        return [ChangeView(c.at, c.entity_type, c.entity_id, c.to_state, c.note, name or c.actor_role, c.channel)
                for c, name in rows]
