"""The conversation service on SQLite and PostgreSQL: locking, batch writes,
routing and the tuple lookups behave the same on both."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.conversations import service as conv
from backend.conversations.service import NewMessage
from tests.unit.livechat.factories import build_people

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def test_a_whole_conversation_on_each_backend(any_uow):
    uow = any_uow
    people = build_people(uow)
    c = conv.open_session(uow, session_id=None, actor=people.alice, now=T0)
    out = conv.record_messages(uow, [
        NewMessage(c.id, "customer", "hi", client_id="a"),
        NewMessage(c.id, "customer", "hi", client_id="a"),
        NewMessage(c.id, "bot", "Hello!", payload={"quick_replies": [{"title": "Agent", "payload": "/human"}]}),
    ], now=T0)
    assert [(o.message.seq, o.duplicate) for o in out] == [(1, False), (1, True), (2, False)]
    conv.set_agent_status(uow, people.asha, status="available", now=T0)
    conv.hand_off(uow, conversation_id=c.id, reason="asked", now=T0 + timedelta(seconds=1))
    [routed] = conv.route_queued(uow, now=T0 + timedelta(seconds=2))
    assert routed.agent_id == people.asha.user_id
    conv.record_message(uow, NewMessage(c.id, "agent", "Asha here", agent_id=people.asha.user_id),
                        now=T0 + timedelta(seconds=3))
    closed = conv.close_conversation(uow, people.asha, conversation_id=c.id, note="done", now=T0 + timedelta(seconds=4))
    assert closed.state == "closed"
    back = conv.record_message(uow, NewMessage(c.id, "customer", "thanks", client_id="b"),
                               now=T0 + timedelta(seconds=5))
    assert (back.reopened, back.message.seq) == (True, 4)
    assert [m.sender for m in conv.messages_since(uow, conversation_id=c.id)] == ["customer", "bot", "agent", "customer"]
