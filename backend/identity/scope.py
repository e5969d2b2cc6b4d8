"""The role-scoped listing, in one place: a customer sees their own records,
a technician the ones assigned to them, staff everything; anyone else is
refused (``forbidden``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role


def scoped(q: Select, actor: Actor, *, customer: Any = None, technician: Any = None) -> Select:
    """Narrow ``q`` to what ``actor`` may see. ``customer`` / ``technician``:
    the column naming a record's customer / technician, where that role may
    list such records at all."""
    if actor.role == Role.CUSTOMER and customer is not None:
        return q.where(customer == actor.customer_id)
    if actor.role == Role.TECHNICIAN and technician is not None:
        return q.where(technician == actor.user_id)
    require_role(actor, *STAFF)
    return q


def newest_visible(model: Any, actor: Actor, *, state: str | None = None, customer: Any = None,
                   technician: Any = None, limit: int = 500) -> Select:
    """The newest ``limit`` records of ``model`` the actor may see, in one state if given."""
    q = scoped(select(model).order_by(model.id.desc()).limit(limit), actor, customer=customer, technician=technician)
    return q.where(model.state == state) if state else q
