"""The handoff lifecycle: bot → queued → agent → closed (→ bot again).

A small pure model with its own table of moves. ``Handoff`` holds only the
state, the owning agent and the history; the ORM entity and the tests drive it
the same way, so one set of rules decides every move.

    bot    ──hand_off──▶ queued ──assign──▶ agent ──close──▶ closed
     │                     ▲  │               │  ▲              │
     └────────pick─────────┼──┼───────────────┘  └─transfer     │
                           └──┴──requeue (timeout, agent away)   │
    bot ◀──────────────────────reopen (next customer message)────┘

``queued → closed`` covers a customer who leaves a message instead of waiting
or an agent closing a stale queued chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from backend.errors import DomainError, ErrorCode
from backend.lifecycle import Lifecycle


class ConversationState(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class HandoffReason(StrEnum):
    ASKED = "asked"  # the customer asked for a person (bot's handoff payload)
    FALLBACK = "fallback"  # the bot failed to understand repeatedly
    BOT_UNREACHABLE = "bot_unreachable"  # Rasa or the action server is down
    PICKED = "picked"  # an agent took a bot conversation from the live list
    TIMEOUT = "assignment_timeout"  # the assigned agent did not answer in time
    AGENT_AWAY = "agent_away"  # the agent released the chat back to the queue
    LEFT_MESSAGE = "left_message"  # a visitor left a message after hours (no ticket possible)
    OTHER = "other"


S = ConversationState

MOVES = Lifecycle(
    "conversation",
    {
        S.BOT: {S.QUEUED, S.AGENT},
        S.QUEUED: {S.AGENT, S.CLOSED},
        S.AGENT: {S.AGENT, S.QUEUED, S.CLOSED},  # agent → agent is a transfer
        S.CLOSED: {S.BOT},
    },
)


@dataclass(frozen=True)
class Move:
    """One row of the history: who moved the conversation where, and why."""

    source: ConversationState
    target: ConversationState
    by: str  # "customer", "bot", "system" or "agent:<user id>"
    at: datetime
    reason: str = ""
    agent_id: int | None = None  # the owning agent after the move


@dataclass
class Handoff:
    state: ConversationState = S.BOT
    agent_id: int | None = None
    history: list[Move] = field(default_factory=list)

    # -- guards -------------------------------------------------------------
    @property
    def bot_owns(self) -> bool:
        """Only a bot-owned conversation is forwarded to Rasa."""
        return self.state == S.BOT

    def can_hand_off(self) -> bool:
        return self.state == S.BOT

    def can_assign(self, agent_id: int) -> bool:
        return self.state in (S.BOT, S.QUEUED) and agent_id is not None

    def can_transfer(self, to_agent_id: int) -> bool:
        return self.state == S.AGENT and to_agent_id is not None and to_agent_id != self.agent_id

    def can_requeue(self) -> bool:
        return self.state == S.AGENT

    def can_close(self) -> bool:
        return MOVES.can(self.state, S.CLOSED)

    def can_reopen(self) -> bool:
        return self.state == S.CLOSED

    def is_owned_by(self, agent_id: int | None) -> bool:
        return self.state == S.AGENT and agent_id is not None and self.agent_id == agent_id

    # -- moves --------------------------------------------------------------
    def transition_to(
        self,
        target: ConversationState,
        *,
        by: str,
        at: datetime,
        reason: str = "",
        agent_id: int | None = None,
    ) -> Move:
        target = ConversationState(target)
        MOVES.check(self.state, target)
        if target == S.AGENT and agent_id is None:
            raise _refuse("an agent-owned conversation needs an agent")
        if target != S.AGENT:
            agent_id = None
        if self.state == S.AGENT and target == S.AGENT and agent_id == self.agent_id:
            raise _refuse("the conversation is already with this agent")
        move = Move(self.state, target, by, at, reason, agent_id)
        self.state, self.agent_id = target, agent_id
        self.history.append(move)
        return move

    def hand_off(self, *, reason: str, by: str, at: datetime) -> Move:
        if not self.can_hand_off():
            raise _illegal(self.state, S.QUEUED, "only a bot conversation is handed off")
        return self.transition_to(S.QUEUED, by=by, at=at, reason=reason)

    def assign(self, agent_id: int, *, by: str, at: datetime, reason: str = "") -> Move:
        if not self.can_assign(agent_id):
            raise _illegal(self.state, S.AGENT, "only a bot or queued conversation is assigned")
        return self.transition_to(S.AGENT, by=by, at=at, reason=reason, agent_id=agent_id)

    def transfer(self, to_agent_id: int, *, by: str, at: datetime, reason: str = "transfer") -> Move:
        if self.state != S.AGENT:
            raise _illegal(self.state, S.AGENT, "only a conversation with an agent is transferred")
        return self.transition_to(S.AGENT, by=by, at=at, reason=reason, agent_id=to_agent_id)

    def requeue(self, *, reason: str, by: str, at: datetime) -> Move:
        if not self.can_requeue():
            raise _illegal(self.state, S.QUEUED, "only a conversation with an agent goes back to the queue")
        return self.transition_to(S.QUEUED, by=by, at=at, reason=reason)

    def close(self, *, by: str, at: datetime, reason: str = "") -> Move:
        return self.transition_to(S.CLOSED, by=by, at=at, reason=reason)

    def reopen(self, *, by: str, at: datetime) -> Move:
        return self.transition_to(S.BOT, by=by, at=at, reason="new message")


def agent_actor(user_id: int) -> str:
    return f"agent:{user_id}"


def _illegal(current: ConversationState, target: ConversationState, why: str) -> DomainError:
    return DomainError(
        ErrorCode.ILLEGAL_TRANSITION,
        f"a conversation in state '{current}' cannot do this: {why}",
        entity="conversation",
        current=str(current),
        target=str(target),
    )


def _refuse(why: str) -> DomainError:
    return DomainError(ErrorCode.ILLEGAL_TRANSITION, why, entity="conversation")
