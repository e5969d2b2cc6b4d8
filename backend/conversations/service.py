"""Use cases of conversations, in one place for their callers. Each takes a
unit of work, ids and primitives, owns one transaction and returns plain
dataclasses (``views``). Sessions and messages — store before deliver, replay
since a seq — live in ``messages``; queue, assignment, transfer, close and
agents in ``handoffs``."""

from backend.conversations.handoffs import (
    AGENT_ROLES,
    accept_conversation,
    agent_conversations,
    close_conversation,
    expire_assignments,
    hand_off,
    list_agents,
    live_conversations,
    pick_conversation,
    queue_snapshot,
    route_queued,
    set_agent_status,
    touch_agents,
    transfer_conversation,
)
from backend.conversations.messages import (
    MAX_TEXT,
    SESSION_ID,
    find_by_session,
    get_conversation,
    history,
    link_ticket,
    mark_resumed,
    messages_since,
    new_session_id,
    open_session,
    record_message,
    record_messages,
    transcript_text,
)
from backend.conversations.views import (
    AgentView,
    ConversationView,
    MessageView,
    NewMessage,
    QueueEntry,
    QueueSnapshot,
    Stored,
)

__all__ = [
    "AGENT_ROLES", "MAX_TEXT", "SESSION_ID", "AgentView", "ConversationView", "MessageView", "NewMessage",
    "QueueEntry", "QueueSnapshot", "Stored", "accept_conversation", "agent_conversations", "close_conversation",
    "expire_assignments", "find_by_session", "get_conversation", "hand_off", "history", "link_ticket",
    "list_agents", "live_conversations", "mark_resumed", "messages_since", "new_session_id", "open_session",
    "pick_conversation", "queue_snapshot", "record_message", "record_messages", "route_queued",
    "set_agent_status", "touch_agents", "transcript_text", "transfer_conversation",
]
