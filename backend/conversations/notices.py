"""Where a notice pushed to chat goes: the recipient's open conversation.

A notice (an appointment booked, a job assigned, …) is stored in the most
recently active conversation of the user that is not closed — their website
widget or technician chat — as a bot message whose client id is the
notice's message id. A resend of the same notice (the worker crashed
before it recorded the first send) finds the message it already stored, in
whichever of the user's conversations it went to, and is not stored again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend.conversations.lifecycle import ConversationState
from backend.conversations.models import Conversation, Message
from backend.conversations.views import MessageView, _agent_names, _msg_view
from backend.db import UnitOfWork


@dataclass(frozen=True)
class NoticeTarget:
    conversation_id: int
    existing: MessageView | None  # the notice was stored before (a resend): deliver nothing new


def notice_target(uow: UnitOfWork, *, user_id: int, client_id: str) -> NoticeTarget | None:
    """The conversation a notice for ``user_id`` goes to, or None when the
    user has no conversation that is not closed."""
    with uow() as s:
        mine = select(Conversation.id).where(Conversation.user_id == user_id)
        seen = s.scalar(select(Message).where(Message.conversation_id.in_(mine), Message.client_id == client_id)
                        .limit(1))
        if seen is not None:
            return NoticeTarget(seen.conversation_id, _msg_view(seen, _agent_names(s, [seen.agent_id])))
        conversation_id = s.scalar(
            select(Conversation.id)
            .where(Conversation.user_id == user_id, Conversation.state != ConversationState.CLOSED)
            .order_by(Conversation.last_activity.desc(), Conversation.id.desc()).limit(1))
        return NoticeTarget(conversation_id, None) if conversation_id is not None else None
