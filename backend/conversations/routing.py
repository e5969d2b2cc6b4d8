"""Routing of queued conversations to agents, as pure functions.

Rules (issue 5): agents set themselves available or away; each has a limit of
concurrent chats (``users.max_chats``); queued conversations are served in
arrival order, each to the longest-idle available agent under their limit.
"Idle since" is the later of the moment the agent became available and the
moment they last received a conversation, so work spreads round the team.
An agent who let an assignment time out is passed over for that conversation
while anyone else can take it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class AgentSlot:
    agent_id: int
    available: bool
    load: int
    max_chats: int
    idle_since: datetime

    @property
    def has_room(self) -> bool:
        return self.available and self.load < self.max_chats


@dataclass(frozen=True)
class Waiting:
    conversation_id: int
    queued_at: datetime
    skipped: frozenset[int] = frozenset()


def arrival_order(waiting: Iterable[Waiting]) -> list[Waiting]:
    return sorted(waiting, key=lambda w: (w.queued_at, w.conversation_id))


def pick_agent(agents: Iterable[AgentSlot], *, skipped: frozenset[int] = frozenset()) -> AgentSlot | None:
    """The longest-idle available agent with room, preferring those who have
    not let this conversation time out already."""
    open_ = [a for a in agents if a.has_room]
    fresh = [a for a in open_ if a.agent_id not in skipped]
    pool = fresh or open_
    if not pool:
        return None
    return min(pool, key=lambda a: (a.idle_since, a.agent_id))


def plan_assignments(
    waiting: Iterable[Waiting], agents: Iterable[AgentSlot], *, now: datetime
) -> list[tuple[int, int]]:
    """(conversation id, agent id) pairs for one routing pass."""
    slots = {a.agent_id: a for a in agents}
    plan: list[tuple[int, int]] = []
    for item in arrival_order(waiting):
        agent = pick_agent(slots.values(), skipped=item.skipped)
        if agent is None:
            break  # nobody has room: the rest keep their place in the queue
        plan.append((item.conversation_id, agent.agent_id))
        slots[agent.agent_id] = replace(agent, load=agent.load + 1, idle_since=now)
    return plan


def queue_positions(waiting: Iterable[Waiting]) -> dict[int, int]:
    """1-based position of each queued conversation."""
    return {w.conversation_id: i for i, w in enumerate(arrival_order(waiting), start=1)}


DEFAULT_WAIT_S = 60.0


def average_wait(recent_waits_s: Sequence[float], *, default: float = DEFAULT_WAIT_S) -> float:
    """Mean wait (queued → assigned) of recent conversations, or a default."""
    waits = [w for w in recent_waits_s if w >= 0]
    return sum(waits) / len(waits) if waits else default


def estimate_wait(position: int, *, agents_online: int, average_wait_s: float) -> int:
    """Seconds until a conversation at ``position`` is likely answered,
    rounded up to 10 s: the average recent wait per place in the queue,
    shared by the agents online (at least one, even when nobody is)."""
    if position <= 0:
        return 0
    seconds = average_wait_s * position / max(1, agents_online)
    return int(math.ceil(seconds / 10.0) * 10)
