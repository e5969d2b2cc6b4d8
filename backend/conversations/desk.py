"""The live-chat desk's settings, stored by the admin and read by the hub.

Business hours (the spec of ``BusinessHours.parse``) and the assignment
timeout live in one row of ``desk_settings``; a value not stored (NULL)
leaves the hub on its environment default (HUB_HOURS, HUB_ASSIGN_TIMEOUT).
Each agent's number of concurrent chats is ``users.max_chats``, which routing
reads on every pass. Every change leaves a history row (``state_changes``).

The hub calls :func:`read_desk_settings` (no actor: it is the system) on its
routing timer through :class:`DeskSettingsCache`, so a change is used within
a few seconds, without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backend.conversations.hours import BusinessHours
from backend.conversations.models import DeskSettings
from backend.db import UnitOfWork, utcnow
from backend.errors import invalid, not_found
from backend.history.changes import apply_changes, describe
from backend.history.moves import record
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role, User

MAX_HOURS_SPEC = 400
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 10, 3600
MIN_CHATS, MAX_CHATS = 1, 50
UNSET = object()  # "leave as it is" (None means "back to the environment default")


@dataclass(frozen=True)
class DeskSettingsView:
    """What is stored; None = the hub's environment default."""

    business_hours: str | None
    assign_timeout_s: int | None
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class AgentLimitView:
    user_id: int
    name: str
    email: str
    role: str
    max_chats: int
    active: bool


def check_hours(spec: str) -> str:
    """The spec as stored, or ``invalid_input`` with the parser's own words."""
    text = spec.strip()
    if len(text) > MAX_HOURS_SPEC:
        raise invalid(f"business hours are at most {MAX_HOURS_SPEC} characters", field="business_hours")
    if not text:
        raise invalid("give business hours such as 'mon-fri 09:00-18:00', 'always' or 'never'",
                      field="business_hours")
    try:
        BusinessHours.parse(text)
    except ValueError as exc:
        raise invalid(str(exc), field="business_hours") from None
    return text


def _check_timeout(seconds) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise invalid("the assignment timeout is a whole number of seconds", field="assign_timeout_s")
    if not MIN_TIMEOUT_S <= seconds <= MAX_TIMEOUT_S:
        raise invalid(f"the assignment timeout is between {MIN_TIMEOUT_S} and {MAX_TIMEOUT_S} seconds",
                      field="assign_timeout_s")
    return seconds


def _view(s, row: DeskSettings | None) -> DeskSettingsView:
    if row is None:
        return DeskSettingsView(None, None, None, None)
    who = s.get(User, row.updated_by_id).name if row.updated_by_id else None
    return DeskSettingsView(row.business_hours, row.assign_timeout_s, row.updated_at, who)


def read_desk_settings(uow: UnitOfWork) -> DeskSettingsView:
    """For the hub (the system itself): what is stored, no access check."""
    with uow() as s:
        return _view(s, s.get(DeskSettings, 1))


def get_desk_settings(uow: UnitOfWork, actor: Actor) -> DeskSettingsView:
    require_role(actor, Role.ADMIN, Role.MANAGER)
    return read_desk_settings(uow)


def set_desk_settings(uow: UnitOfWork, actor: Actor, *, business_hours=UNSET, assign_timeout_s=UNSET,
                      ) -> DeskSettingsView:
    """Store business hours and/or the assignment timeout (admin). ``None``
    clears a value back to the hub's environment default; a value not given
    stays as it is. Both are checked before anything is written."""
    require_role(actor, Role.ADMIN)
    if business_hours is not UNSET and business_hours is not None:
        if not isinstance(business_hours, str):
            raise invalid("business hours are text such as 'mon-fri 09:00-18:00'", field="business_hours")
        business_hours = check_hours(business_hours)
    if assign_timeout_s is not UNSET and assign_timeout_s is not None:
        assign_timeout_s = _check_timeout(assign_timeout_s)
    with uow() as s:
        row = s.scalar(select(DeskSettings).where(DeskSettings.id == 1).with_for_update())
        if row is None:
            row = DeskSettings(id=1)
            s.add(row)
        changes = apply_changes(row, {"business_hours": business_hours, "assign_timeout_s": assign_timeout_s},
                                skip=UNSET)
        if changes:
            row.updated_at, row.updated_by_id = utcnow(), actor.user_id
            s.flush()
            record(s, entity_type="desk_settings", entity_id=1, to_state="edited", actor=actor,
                   note=describe(changes, sep=": ", none="default"))
        return _view(s, row)


def list_agent_limits(uow: UnitOfWork, actor: Actor) -> list[AgentLimitView]:
    """Staff who can take chats (agents, managers, admins) with their limits."""
    require_role(actor, Role.ADMIN, Role.MANAGER)
    with uow() as s:
        rows = s.scalars(select(User).where(User.role.in_([str(r) for r in STAFF])).order_by(User.name, User.id))
        return [AgentLimitView(u.id, u.name, u.email, u.role, u.max_chats, u.active) for u in rows]


def set_max_chats(uow: UnitOfWork, actor: Actor, *, user_id: int, max_chats: int) -> AgentLimitView:
    """How many chats this agent may hold at once (admin); routing uses it on
    its next pass. Chats already held above a lowered limit stay with them."""
    require_role(actor, Role.ADMIN)
    if isinstance(max_chats, bool) or not isinstance(max_chats, int) or not MIN_CHATS <= max_chats <= MAX_CHATS:
        raise invalid(f"concurrent chats are between {MIN_CHATS} and {MAX_CHATS}", field="max_chats")
    with uow() as s:
        user = s.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None or user.role not in STAFF:
            raise not_found("agent", user_id)
        if user.max_chats != max_chats:
            record(s, entity_type="user", entity_id=user.id, to_state="max_chats", actor=actor,
                   note=f"max_chats: {user.max_chats} → {max_chats}")
            user.max_chats = max_chats
        return AgentLimitView(user.id, user.name, user.email, user.role, user.max_chats, user.active)


@dataclass(frozen=True)
class DeskRouting:
    """What the hub works with: the stored values, or its defaults."""

    hours: BusinessHours
    assign_timeout_s: float
    stored: DeskSettingsView


class DeskSettingsCache:
    """The stored desk settings over the hub's defaults, re-read at most every
    ``ttl_s`` seconds. ``current()`` never touches the database (the hub's
    event loop calls it); ``refresh()`` does (call it in a worker thread).
    A spec that no longer parses (stored before a parser change) falls back
    to the default rather than stopping the desk."""

    def __init__(self, uow: UnitOfWork, *, default_hours: BusinessHours, default_timeout_s: float,
                 ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.uow, self.ttl_s, self.clock = uow, ttl_s, clock
        self.default_hours, self.default_timeout_s = default_hours, default_timeout_s
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._value = DeskRouting(default_hours, default_timeout_s, DeskSettingsView(None, None, None, None))

    def current(self) -> DeskRouting:
        return self._value

    def stale(self) -> bool:
        return self._read_at is None or self.clock() - self._read_at >= self.ttl_s

    def refresh(self, *, force: bool = False) -> DeskRouting:
        with self._lock:
            if force or self.stale():
                stored = read_desk_settings(self.uow)
                self._value = self._combine(stored)
                self._read_at = self.clock()
            return self._value

    def _combine(self, stored: DeskSettingsView) -> DeskRouting:
        hours = self.default_hours
        if stored.business_hours is not None:
            if stored.business_hours == self._value.stored.business_hours:
                hours = self._value.hours  # parsed already
            else:
                try:
                    hours = BusinessHours.parse(stored.business_hours, self.default_hours.zone.key)
                except ValueError:
                    hours = self.default_hours
        timeout = float(stored.assign_timeout_s) if stored.assign_timeout_s is not None else self.default_timeout_s
        return DeskRouting(hours, timeout, stored)
