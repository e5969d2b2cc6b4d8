"""A user's own choice of the channels their notices come on.

Per channel: on or off, and reminders (appointment, payment, renewal
reminders) on or off. The portal inbox is always on. Documents a customer
must receive — bills, offers, contracts — are e-mailed whatever the e-mail
choice (``backend.delivery.recipients`` applies the choices when a notice
fans out). No choice stored means on, reminders included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid
from backend.identity.actor import Actor
from backend.notifications.models import ChannelPreference

CHANNELS = ("email", "chat", "webhook")  # the channels a user may turn off; the inbox is not one of them
FLAGS = ("enabled", "reminders")


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    enabled: bool
    reminders: bool


@dataclass(frozen=True)
class Preferences:
    user_id: int
    channels: tuple[ChannelChoice, ...]

    def of(self, channel: str) -> ChannelChoice:
        return next(c for c in self.channels if c.channel == channel)


def _user(actor: Actor) -> int:
    if actor.user_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "log in to choose how you are told")
    return actor.user_id


def get_preferences(uow: UnitOfWork, actor: Actor, *, channels: tuple[str, ...] = CHANNELS) -> Preferences:
    """The actor's own choices for ``channels`` (on, reminders included, where none is stored)."""
    user_id = _user(actor)
    _check_channels(channels)
    with uow() as s:
        return _read(s, user_id, channels)


def set_preferences(uow: UnitOfWork, actor: Actor, *, preferences: Mapping[str, Mapping[str, bool]],
                    channels: tuple[str, ...] = CHANNELS) -> Preferences:
    """Store the actor's own choices, e.g. ``{"email": {"enabled": True, "reminders": False}}``,
    all in one transaction; channels not named keep what they had. The
    answer is the choices for ``channels`` afterwards."""
    user_id = _user(actor)
    _check_channels(channels)
    wanted = _checked(preferences)
    for attempt in (1, 2):  # two first choices of one user at once: the loser updates the winner's row
        try:
            with uow() as s:
                rows = {p.channel: p for p in s.scalars(
                    select(ChannelPreference).where(ChannelPreference.user_id == user_id,
                                                    ChannelPreference.channel.in_(sorted(wanted)))
                    .with_for_update())}
                for channel, flags in wanted.items():
                    row = rows.get(channel)
                    if row is None:
                        row = ChannelPreference(user_id=user_id, channel=channel, enabled=True, reminders=True)
                        s.add(row)
                    row.enabled = flags.get("enabled", row.enabled)
                    row.reminders = flags.get("reminders", row.reminders)
                s.flush()
                return _read(s, user_id, channels)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _read(s, user_id: int, channels: tuple[str, ...]) -> Preferences:
    rows = {p.channel: p for p in s.scalars(select(ChannelPreference).where(ChannelPreference.user_id == user_id))}
    return Preferences(user_id, tuple(
        ChannelChoice(c, bool(rows[c].enabled), bool(rows[c].reminders)) if c in rows else ChannelChoice(c, True, True)
        for c in channels))


def _check_channels(channels: tuple[str, ...]) -> None:
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise invalid(f"unknown channel '{unknown[0]}'", field="channel", allowed=list(CHANNELS))


def _checked(preferences: Mapping[str, Mapping[str, bool]]) -> dict[str, dict[str, bool]]:
    if not isinstance(preferences, Mapping) or not preferences:
        raise invalid("choose at least one channel", field="channel")
    out: dict[str, dict[str, bool]] = {}
    for channel, flags in preferences.items():
        if channel not in CHANNELS:
            raise invalid(f"unknown channel '{channel}'", field="channel", allowed=list(CHANNELS))
        if not isinstance(flags, Mapping) or not flags or set(flags) - set(FLAGS):
            raise invalid(f"say 'enabled' and/or 'reminders' for {channel}", field=channel)
        if not all(isinstance(v, bool) for v in flags.values()):
            raise invalid(f"'enabled' and 'reminders' are true or false ({channel})", field=channel)
        out[channel] = dict(flags)
    return out
