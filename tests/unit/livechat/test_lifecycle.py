"""The handoff lifecycle as a pure model: every allowed and forbidden move."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from backend.conversations.lifecycle import MOVES, ConversationState as S, Handoff
from backend.errors import DomainError, ErrorCode

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

ALLOWED = {
    (S.BOT, S.QUEUED), (S.BOT, S.AGENT),
    (S.QUEUED, S.AGENT), (S.QUEUED, S.CLOSED),
    (S.AGENT, S.AGENT), (S.AGENT, S.QUEUED), (S.AGENT, S.CLOSED),
    (S.CLOSED, S.BOT),
}


def test_the_table_is_exactly_the_documented_one():
    table = {(a, b) for a in S for b in S if MOVES.can(a, b)}
    assert table == ALLOWED
    assert MOVES.terminal() == set()  # every conversation can go on


@pytest.mark.parametrize("source,target", sorted(set(itertools.product(S, S)) - ALLOWED))
def test_every_forbidden_move_is_refused_and_changes_nothing(source, target):
    h = Handoff(source, 7 if source == S.AGENT else None)
    with pytest.raises(DomainError) as err:
        h.transition_to(target, by="system", at=T0, agent_id=8)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert (h.state, h.history) == (source, [])


def test_a_full_round_records_who_when_and_why():
    h = Handoff()
    assert h.bot_owns
    h.hand_off(reason="asked", by="bot", at=T0)
    assert (h.state, h.bot_owns) == (S.QUEUED, False)
    h.assign(5, by="system", at=T0)
    assert h.is_owned_by(5) and not h.is_owned_by(6)
    h.transfer(6, by="agent:5", at=T0)
    assert h.agent_id == 6
    h.close(by="agent:6", at=T0)
    assert (h.state, h.agent_id) == (S.CLOSED, None)
    h.reopen(by="customer", at=T0)
    assert h.bot_owns
    assert [(m.source, m.target, m.by) for m in h.history] == [
        (S.BOT, S.QUEUED, "bot"), (S.QUEUED, S.AGENT, "system"), (S.AGENT, S.AGENT, "agent:5"),
        (S.AGENT, S.CLOSED, "agent:6"), (S.CLOSED, S.BOT, "customer"),
    ]
    assert h.history[0].reason == "asked"


def test_an_agent_may_pick_a_bot_conversation_directly():
    h = Handoff()
    h.assign(3, by="agent:3", at=T0, reason="picked")
    assert (h.state, h.agent_id) == (S.AGENT, 3)


def test_requeue_keeps_no_agent():
    h = Handoff(S.AGENT, 4)
    h.requeue(reason="assignment_timeout", by="system", at=T0)
    assert (h.state, h.agent_id) == (S.QUEUED, None)


@pytest.mark.parametrize("state", [S.QUEUED, S.AGENT, S.CLOSED])
def test_only_a_bot_conversation_is_handed_off(state):
    h = Handoff(state, 1 if state == S.AGENT else None)
    assert not h.can_hand_off()
    with pytest.raises(DomainError):
        h.hand_off(reason="asked", by="bot", at=T0)


def test_transfer_to_the_same_agent_or_to_nobody_is_refused():
    h = Handoff(S.AGENT, 4)
    assert not h.can_transfer(4)
    with pytest.raises(DomainError):
        h.transfer(4, by="agent:4", at=T0)
    with pytest.raises(DomainError):
        h.transition_to(S.AGENT, by="agent:4", at=T0, agent_id=None)
    assert h.history == []


@pytest.mark.parametrize("state", [S.BOT, S.QUEUED, S.CLOSED])
def test_transfer_needs_an_agent_conversation(state):
    with pytest.raises(DomainError):
        Handoff(state).transfer(2, by="agent:1", at=T0)


def test_assign_needs_an_agent_and_a_free_conversation():
    assert not Handoff(S.QUEUED).can_assign(None)
    assert not Handoff(S.CLOSED).can_assign(1)
    with pytest.raises(DomainError):
        Handoff(S.CLOSED).assign(1, by="system", at=T0)
    with pytest.raises(DomainError):
        Handoff(S.AGENT, 1).assign(2, by="system", at=T0)


def test_closing_a_bot_conversation_and_reopening_an_open_one_are_refused():
    assert not Handoff(S.BOT).can_close()
    with pytest.raises(DomainError):
        Handoff(S.BOT).close(by="agent:1", at=T0)
    for state in (S.BOT, S.QUEUED, S.AGENT):
        assert not Handoff(state, 1 if state == S.AGENT else None).can_reopen()
    with pytest.raises(DomainError):
        Handoff(S.QUEUED).requeue(reason="x", by="system", at=T0)
