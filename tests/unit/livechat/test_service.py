"""Conversation use cases on a real (migrated) SQLite database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from backend.conversations import service as conv
from backend.conversations.service import NewMessage
from backend.errors import DomainError, ErrorCode

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def say(uow, cid, text, *, client_id=None, now=T0):
    return conv.record_message(uow, NewMessage(cid, "customer", text, client_id=client_id), now=now)


def online(uow, *agents, now=T0):
    for a in agents:
        conv.set_agent_status(uow, a, status="available", now=now)


def test_a_session_survives_reload_and_a_bad_id_gets_a_fresh_one(uow):
    first = conv.open_session(uow, session_id="a" * 32, now=T0)
    again = conv.open_session(uow, session_id="a" * 32, now=T0)
    assert (first.id, first.state, first.session_id) == (again.id, "bot", "a" * 32)
    short = conv.open_session(uow, session_id="abc", now=T0)
    assert short.session_id != "abc" and len(short.session_id) == 32
    assert conv.open_session(uow, session_id=None, now=T0).id not in (first.id, short.id)


def test_a_logged_in_users_chat_is_theirs_alone(uow, people):
    mine = conv.open_session(uow, session_id="b" * 32, actor=people.alice, now=T0)
    assert (mine.user_id, mine.customer_id) == (people.alice.user_id, people.customer_id)
    for stranger in (None, people.tech):
        with pytest.raises(DomainError) as err:
            conv.open_session(uow, session_id="b" * 32, actor=stranger, now=T0)
        assert err.value.code == ErrorCode.FORBIDDEN
    tech = conv.open_session(uow, session_id="t" * 32, actor=people.tech, now=T0)
    assert tech.channel == "technician"


def test_messages_are_numbered_deduplicated_and_replayed(uow):
    c = conv.open_session(uow, session_id=None, now=T0)
    one = say(uow, c.id, "hello", client_id="m1")
    again = say(uow, c.id, "hello", client_id="m1")
    two = say(uow, c.id, "anyone?", client_id="m2")
    assert (one.message.seq, two.message.seq) == (1, 2)
    assert again.duplicate and again.message.id == one.message.id
    batch = conv.record_messages(uow, [
        NewMessage(c.id, "bot", "hi there", payload={"quick_replies": [{"title": "Yes", "payload": "/affirm"}]}),
        NewMessage(c.id, "customer", "dup in batch", client_id="m3"),
        NewMessage(c.id, "customer", "dup in batch", client_id="m3"),
    ], now=T0)
    assert [b.message.seq for b in batch] == [3, 4, 4]
    assert [b.duplicate for b in batch] == [False, False, True]
    assert [m.seq for m in conv.messages_since(uow, conversation_id=c.id, after_seq=2)] == [3, 4]
    assert "options: Yes" in conv.transcript_text(uow, conversation_id=c.id)


def test_empty_and_oversized_messages_are_refused_without_stopping_the_batch(uow):
    c = conv.open_session(uow, session_id=None, now=T0)
    out = conv.record_messages(uow, [
        NewMessage(c.id, "customer", ""), NewMessage(c.id, "customer", "x" * 5000), NewMessage(c.id, "customer", "ok"),
        NewMessage(999, "customer", "nowhere"),
    ], now=T0)
    assert [o.error.code if o.error else None for o in out] == [
        ErrorCode.INVALID_INPUT, ErrorCode.INVALID_INPUT, None, ErrorCode.NOT_FOUND]
    assert out[2].message.seq == 1


def test_only_the_owning_agent_speaks_and_their_first_word_answers(uow, people):
    c = conv.open_session(uow, session_id=None, now=T0)
    say(uow, c.id, "help")
    refused = conv.record_messages(uow, [NewMessage(c.id, "agent", "hi", agent_id=people.asha.user_id)], now=T0)[0]
    assert refused.error.code == ErrorCode.FORBIDDEN
    online(uow, people.asha)
    conv.hand_off(uow, conversation_id=c.id, reason="asked", now=at(1))
    [assigned] = conv.route_queued(uow, now=at(2))
    assert (assigned.agent_id, assigned.agent_name, assigned.answered_at) == (people.asha.user_id, "Asha Rao", None)
    stored = conv.record_message(uow, NewMessage(c.id, "agent", "Hello, Asha here", agent_id=people.asha.user_id),
                                 now=at(3))
    assert stored.message.agent_name == "Asha Rao"
    assert stored.conversation.answered_at == at(3)


def test_handoff_is_idempotent_and_routing_follows_arrival_and_limits(uow, people):
    online(uow, people.meena, now=T0)  # one chat at a time
    a = conv.open_session(uow, session_id=None, now=T0)
    b = conv.open_session(uow, session_id=None, now=T0)
    conv.hand_off(uow, conversation_id=b.id, reason="asked", now=at(1))
    conv.hand_off(uow, conversation_id=a.id, reason="fallback", now=at(2))
    again = conv.hand_off(uow, conversation_id=b.id, reason="asked", now=at(5))
    assert again.queued_at == at(1)
    snap = conv.queue_snapshot(uow, now=at(3))
    assert [(e.conversation.id, e.position) for e in snap.entries] == [(b.id, 1), (a.id, 2)]
    assert snap.agents_online == 1 and snap.entries[1].estimated_wait_s == 120
    routed = conv.route_queued(uow, now=at(4))
    assert [r.id for r in routed] == [b.id]  # meena is full after one
    assert conv.route_queued(uow, now=at(5)) == []
    assert conv.queue_snapshot(uow, now=at(5)).position_of(a.id).position == 1


def test_agents_not_seen_recently_or_away_get_nothing(uow, people):
    online(uow, people.asha, now=T0)
    conv.set_agent_status(uow, people.ravi, status="away", now=T0)
    c = conv.open_session(uow, session_id=None, now=T0)
    conv.hand_off(uow, conversation_id=c.id, reason="asked", now=at(1))
    assert conv.route_queued(uow, now=at(120)) == []  # asha's console went silent
    conv.touch_agents(uow, agent_ids=[people.asha.user_id], now=at(119))
    assert [r.agent_id for r in conv.route_queued(uow, now=at(120))] == [people.asha.user_id]


def test_longest_idle_agent_first(uow, people):
    online(uow, people.asha, now=at(10))
    online(uow, people.ravi, now=at(5))
    convs = [conv.open_session(uow, session_id=None, now=T0) for _ in range(3)]
    for i, c in enumerate(convs):
        conv.hand_off(uow, conversation_id=c.id, reason="asked", now=at(20 + i))
    conv.touch_agents(uow, agent_ids=[people.asha.user_id, people.ravi.user_id], now=at(29))
    routed = conv.route_queued(uow, now=at(30))
    assert [(r.id, r.agent_id) for r in routed] == [
        (convs[0].id, people.ravi.user_id), (convs[1].id, people.asha.user_id), (convs[2].id, people.asha.user_id)]


def test_an_unanswered_assignment_goes_to_the_next_agent(uow, people):
    online(uow, people.asha, people.ravi, now=T0)
    c = conv.open_session(uow, session_id=None, now=T0)
    conv.hand_off(uow, conversation_id=c.id, reason="asked", now=at(1))
    [first] = conv.route_queued(uow, now=at(2))
    assert conv.expire_assignments(uow, timeout=timedelta(seconds=30), now=at(20)) == []
    [(lapsed, who)] = conv.expire_assignments(uow, timeout=timedelta(seconds=30), now=at(40))
    assert (lapsed.state, lapsed.queued_at, who) == ("queued", at(1), first.agent_id)
    conv.touch_agents(uow, agent_ids=[people.asha.user_id, people.ravi.user_id], now=at(40))
    [second] = conv.route_queued(uow, now=at(41))
    assert second.agent_id != first.agent_id
    conv.accept_conversation(uow, people.asha if second.agent_id == people.asha.user_id else people.ravi,
                             conversation_id=c.id, now=at(42))
    assert conv.expire_assignments(uow, timeout=timedelta(seconds=30), now=at(500)) == []
    states = [(h["from"], h["to"], h["reason"]) for h in conv.history(uow, conversation_id=c.id)]
    assert states == [("bot", "queued", "asked"), ("queued", "agent", "routed"),
                      ("agent", "queued", "assignment_timeout"), ("queued", "agent", "routed")]


def test_transfer_rules(uow, people):
    online(uow, people.asha, people.meena, now=T0)
    c = conv.open_session(uow, session_id=None, now=T0)
    picked = conv.pick_conversation(uow, people.asha, conversation_id=c.id, now=at(1))
    assert (picked.state, picked.agent_id, picked.answered_at) == ("agent", people.asha.user_id, at(1))
    with pytest.raises(DomainError) as err:  # ravi is away
        conv.transfer_conversation(uow, people.asha, conversation_id=c.id, to_agent_id=people.ravi.user_id)
    assert err.value.code == ErrorCode.CONFLICT
    with pytest.raises(DomainError) as err:  # not ravi's to give
        conv.transfer_conversation(uow, people.ravi, conversation_id=c.id, to_agent_id=people.meena.user_id)
    assert err.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as err:  # a customer is no agent
        conv.transfer_conversation(uow, people.asha, conversation_id=c.id, to_agent_id=people.alice.user_id)
    assert err.value.code == ErrorCode.NOT_FOUND
    moved = conv.transfer_conversation(uow, people.asha, conversation_id=c.id, to_agent_id=people.meena.user_id,
                                       now=at(2))
    assert (moved.agent_id, moved.agent_name, moved.answered_at) == (people.meena.user_id, "Meena Iyer", None)
    other = conv.open_session(uow, session_id=None, now=T0)
    conv.pick_conversation(uow, people.asha, conversation_id=other.id, now=at(3))
    with pytest.raises(DomainError) as err:  # meena's limit is one chat
        conv.transfer_conversation(uow, people.asha, conversation_id=other.id, to_agent_id=people.meena.user_id)
    assert err.value.code == ErrorCode.CONFLICT


def test_pick_respects_the_agents_limit(uow, people):
    online(uow, people.meena)
    a, b = (conv.open_session(uow, session_id=None, now=T0) for _ in range(2))
    conv.pick_conversation(uow, people.meena, conversation_id=a.id, now=at(1))
    with pytest.raises(DomainError) as err:
        conv.pick_conversation(uow, people.meena, conversation_id=b.id, now=at(2))
    assert err.value.code == ErrorCode.CONFLICT
    with pytest.raises(DomainError) as err:
        conv.pick_conversation(uow, people.alice, conversation_id=b.id, now=at(2))
    assert err.value.code == ErrorCode.FORBIDDEN


def test_close_then_the_next_customer_message_goes_back_to_the_bot(uow, people):
    online(uow, people.asha)
    c = conv.open_session(uow, session_id=None, now=T0)
    with pytest.raises(DomainError):
        conv.close_conversation(uow, people.asha, conversation_id=c.id)  # bot-owned
    conv.pick_conversation(uow, people.asha, conversation_id=c.id, now=at(1))
    with pytest.raises(DomainError) as err:
        conv.close_conversation(uow, people.ravi, conversation_id=c.id)
    assert err.value.code == ErrorCode.FORBIDDEN
    closed = conv.close_conversation(uow, people.asha, conversation_id=c.id, note="solved", now=at(2))
    assert (closed.state, closed.close_note, closed.resume_pending) == ("closed", "solved", True)
    back = say(uow, c.id, "one more thing", now=at(3))
    assert back.reopened and back.conversation.state == "bot"
    conv.mark_resumed(uow, conversation_id=c.id)
    assert not conv.get_conversation(uow, conversation_id=c.id).resume_pending


def test_live_list_and_my_conversations(uow, people):
    online(uow, people.asha)
    quiet = conv.open_session(uow, session_id=None, now=T0)
    busy = conv.open_session(uow, session_id=None, now=T0)
    say(uow, busy.id, "hi", now=at(1))
    assert [c.id for c in conv.live_conversations(uow, people.asha, now=at(2))] == [busy.id]
    assert quiet.id not in [c.id for c in conv.live_conversations(uow, people.asha, now=at(2))]
    conv.pick_conversation(uow, people.asha, conversation_id=busy.id, now=at(3))
    assert [c.id for c in conv.agent_conversations(uow, people.asha)] == [busy.id]
    agents = {a.name: a for a in conv.list_agents(uow, people.asha, now=at(4))}
    assert (agents["Asha Rao"].status, agents["Asha Rao"].load) == ("available", 1)
    with pytest.raises(DomainError):
        conv.set_agent_status(uow, people.asha, status="sleeping")
