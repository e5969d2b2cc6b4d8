"""Sessions and messages: store before deliver, replay since a seq.

``record_messages`` writes a batch of messages (several conversations at
once, for group commit) and returns what was stored with the conversation's
state *at that moment*, so the caller decides on the stored truth whether a
customer message goes to the bot. Every message gets the next ``seq`` of its
conversation; a client message id seen before returns the stored message
instead of a second copy.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from backend.conversations.lifecycle import ConversationState, Handoff, Sender
from backend.conversations.models import Conversation, ConversationChange, Message
from backend.conversations.views import (
    ConversationView,
    MessageView,
    NewMessage,
    Stored,
    _agent_names,
    _conv_row_view,
    _conv_view,
    _load,
    _msg_view,
    _plain,
    _row_view,
)
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.identity.actor import Actor
from backend.identity.models import Role

S = ConversationState
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TEXT = 4000

# -- sessions -----------------------------------------------------------------
def new_session_id() -> str:
    return secrets.token_hex(16)


def open_session(
    uow: UnitOfWork,
    *,
    session_id: str | None,
    channel: str = "web",
    actor: Actor | None = None,
    now: datetime | None = None,
) -> ConversationView:
    """The conversation of a widget session: the existing one for a known
    session id, else a new bot-owned one. A conversation bound to a logged-in
    user is only reopened by that user; an unusable id gets a fresh one."""
    now = now or utcnow()
    if not session_id or not SESSION_ID.match(session_id):
        session_id = new_session_id()
    with uow() as s:
        conv = s.scalar(select(Conversation).where(Conversation.session_id == session_id))
        if conv is not None and conv.user_id is not None:
            if actor is None or actor.user_id != conv.user_id:
                raise DomainError(ErrorCode.FORBIDDEN, "this chat belongs to someone else")
        if conv is None:
            conv = Conversation(
                session_id=session_id, channel=channel, state=S.BOT, last_seq=0,
                last_activity=now, created_at=now, skipped_agents=[], resume_pending=False,
            )
            s.add(conv)
        if actor is not None and conv.user_id is None and actor.role in (Role.CUSTOMER, Role.TECHNICIAN):
            conv.user_id = actor.user_id
            conv.customer_id = actor.customer_id
            conv.visitor_name = actor.name or conv.visitor_name
            if actor.role == Role.TECHNICIAN:
                conv.channel = "technician"
        s.flush()
        return _conv_view(s, conv)


def get_conversation(uow: UnitOfWork, *, conversation_id: int) -> ConversationView:
    with uow() as s:
        return _conv_view(s, _load(s, conversation_id))


def find_by_session(uow: UnitOfWork, *, session_id: str) -> ConversationView | None:
    with uow() as s:
        conv = s.scalar(select(Conversation).where(Conversation.session_id == session_id))
        return _conv_view(s, conv) if conv else None


# -- messages -----------------------------------------------------------------
def record_messages(
    uow: UnitOfWork, items: Sequence[NewMessage], *, now: datetime | None = None
) -> list[Stored]:
    """Store a batch of messages in one transaction (see the module doc).

    A customer message to a closed conversation reopens it for the bot; an
    agent message is refused unless that agent owns the conversation, and the
    first one marks the assignment as answered. A refused item does not stop
    the others: its ``Stored.error`` says why.

    This is the hub's hot path, so it works on table rows: one locking
    select, one multi-row insert, one executemany update; the ORM entity is
    loaded only for the rare lifecycle move (a reopen)."""
    now = now or utcnow()
    t = Conversation.__table__
    with uow() as s:
        ids = sorted({i.conversation_id for i in items})
        convs = {r["id"]: dict(r) for r in s.execute(
            select(t).where(t.c.id.in_(ids)).with_for_update()
        ).mappings()}
        seen = _existing_client_ids(s, items)
        touched: set[int] = set()
        answered: set[int] = set()
        rows: list[dict[str, Any]] = []
        plan: list[Stored | tuple[int, dict[str, Any] | MessageView, bool, bool]] = []
        for item in items:
            conv = convs.get(item.conversation_id)
            if conv is None:
                plan.append(Stored(None, error=not_found("conversation", item.conversation_id)))
                continue
            key = (conv["id"], item.client_id)
            if item.client_id and key in seen:
                plan.append((conv["id"], seen[key], True, False))
                continue
            problem = _refusal(conv, item)
            if problem is not None:
                plan.append(Stored(None, error=problem))
                continue
            reopened = False
            if item.sender == Sender.CUSTOMER and conv["state"] == S.CLOSED:
                entity = s.get(Conversation, conv["id"])
                s.add(entity.apply(entity.handoff().reopen(by="customer", at=now)))
                s.flush()
                conv.update(state=entity.state, agent_id=entity.agent_id)
                reopened = True
            if item.sender == Sender.AGENT and conv["answered_at"] is None:
                conv["answered_at"] = now
                answered.add(conv["id"])
            conv["last_seq"] += 1
            conv["last_activity"] = now
            touched.add(conv["id"])
            row = {"conversation_id": conv["id"], "seq": conv["last_seq"], "sender": str(item.sender),
                   "agent_id": item.agent_id, "text": item.text, "payload": item.payload,
                   "client_id": item.client_id, "created_at": now}
            rows.append(row)
            if item.client_id:
                seen[key] = row
            plan.append((conv["id"], row, False, reopened))
        if rows:
            # RETURNING order is not guaranteed (SQLite): match the ids back by (conversation, seq)
            mt = Message.__table__
            returned = s.execute(insert(mt).returning(mt.c.id, mt.c.conversation_id, mt.c.seq), rows).all()
            by_key = {(c, q): i for i, c, q in returned}
            for row in rows:
                row["id"] = by_key[(row["conversation_id"], row["seq"])]
            s.execute(
                update(t).where(t.c.id == bindparam("b_id"))
                .values(last_seq=bindparam("b_seq"), last_activity=bindparam("b_at")),
                [{"b_id": c, "b_seq": convs[c]["last_seq"], "b_at": now} for c in sorted(touched)],
            )
        if answered:
            s.execute(update(t).where(t.c.id.in_(sorted(answered))).values(answered_at=now))
        names = _agent_names(s, {c["agent_id"] for c in convs.values()} | {i.agent_id for i in items})
        views = {cid: _conv_row_view(c, names) for cid, c in convs.items()}
        out: list[Stored] = []
        for p in plan:
            if isinstance(p, Stored):
                out.append(p)
                continue
            cid, msg, dup, reopened = p
            view = msg if isinstance(msg, MessageView) else _row_view(msg, names)
            out.append(Stored(views[cid], view, dup, reopened))
        return out


def record_message(uow: UnitOfWork, item: NewMessage, *, now: datetime | None = None) -> Stored:
    stored = record_messages(uow, [item], now=now)[0]
    if stored.error is not None:
        raise stored.error
    return stored


def _refusal(conv: dict[str, Any], item: NewMessage) -> DomainError | None:
    if item.sender not in set(Sender):
        return invalid(f"unknown sender '{item.sender}'", field="sender")
    if item.text is not None and len(item.text) > MAX_TEXT:
        return DomainError(ErrorCode.INVALID_INPUT, f"a message is at most {MAX_TEXT} characters", field="text")
    if not item.text and not item.payload:
        return invalid("an empty message", field="text")
    if item.sender == Sender.AGENT and not Handoff(S(conv["state"]), conv["agent_id"]).is_owned_by(item.agent_id):
        return DomainError(ErrorCode.FORBIDDEN, "this conversation is not with you", conversation_id=conv["id"])
    return None


def _existing_client_ids(s: Session, items: Iterable[NewMessage]) -> dict[tuple[int, str], MessageView]:
    keys = {(i.conversation_id, i.client_id) for i in items if i.client_id}
    if not keys:
        return {}
    # Two INs, not a row-value IN: SQLite scans the whole table for the latter.
    rows = [m for m in s.scalars(select(Message).where(
        Message.conversation_id.in_(sorted({k[0] for k in keys})),
        Message.client_id.in_(sorted({k[1] for k in keys})),
    )) if (m.conversation_id, m.client_id) in keys]
    names = _agent_names(s, {m.agent_id for m in rows})
    return {(m.conversation_id, m.client_id): _msg_view(m, names) for m in rows}


def messages_since(
    uow: UnitOfWork, *, conversation_id: int, after_seq: int = 0, limit: int = 1000
) -> list[MessageView]:
    """What a reconnecting client missed: every message after ``after_seq``."""
    with uow() as s:
        return _messages_after(s, conversation_id, after_seq, limit)


def _messages_after(s: Session, conversation_id: int, after_seq: int, limit: int) -> list[MessageView]:
    rows = list(s.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    ))
    names = _agent_names(s, {m.agent_id for m in rows})
    return [_msg_view(m, names) for m in rows]


def transcript_text(uow: UnitOfWork, *, conversation_id: int) -> str:
    with uow() as s:
        return transcript(s, conversation_id)


def transcript(s: Session, conversation_id: int) -> str:
    """The whole chat as plain text (for the help-desk ticket)."""
    lines = []
    for m in _messages_after(s, conversation_id, 0, 1000):
        who = (m.agent_name or "agent") if m.sender == Sender.AGENT else m.sender
        text = " ".join(x for x in (m.text, _payload_summary(m.payload)) if x)
        lines.append(f"[{m.created_at:%Y-%m-%d %H:%M}] {who}: {text}")
    return "\n".join(lines)


def _payload_summary(payload: dict | None) -> str:
    if not payload:
        return ""
    if payload.get("quick_replies"):
        return "[options: " + ", ".join(q.get("title", "") for q in payload["quick_replies"]) + "]"
    if "attachment" in payload:
        return "[attachment]"
    return ""


def mark_resumed(uow: UnitOfWork, *, conversation_id: int) -> None:
    with uow() as s:
        _load(s, conversation_id, lock=True).resume_pending = False


def link_ticket(uow: UnitOfWork, *, conversation_id: int, ticket_id: int) -> ConversationView:
    with uow() as s:
        return attach_ticket(s, conversation_id, ticket_id)


def attach_ticket(s: Session, conversation_id: int, ticket_id: int) -> ConversationView:
    """``link_ticket`` inside the caller's transaction: the chat's help-desk ticket."""
    conv = _load(s, conversation_id, lock=True)
    conv.ticket_id = ticket_id
    s.flush()
    return _conv_view(s, conv)


def history(uow: UnitOfWork, *, conversation_id: int) -> list[dict[str, Any]]:
    with uow() as s:
        rows = s.scalars(
            select(ConversationChange).where(ConversationChange.conversation_id == conversation_id)
            .order_by(ConversationChange.id)
        )
        return [
            _plain({"from": r.from_state, "to": r.to_state, "by": r.by, "agent_id": r.agent_id,
                    "reason": r.reason, "at": r.at})
            for r in rows
        ]

