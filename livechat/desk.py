"""What the hub asks of the rest of the backend: help-desk tickets (closing a
chat, leaving a message after hours), the customer's open business for the
console, and knowledge-base search. Each function is one use case of the
core (``backend.processes``) shaped for the hub; plain functions run in a
worker thread."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from backend.db import UnitOfWork
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.processes import desk
from backend.processes.parties import identify_customer


def ticket_for_close(uow: UnitOfWork, actor: Actor, *, conversation_id: int, note: str) -> tuple[int | None, str | None]:
    """File the chat an agent closes as a help-desk ticket (see
    ``close_chat_into_ticket``). Returns (ticket id, ticket number), or
    (None, None) for a visitor we cannot tie to a customer."""
    filed = desk.close_chat_into_ticket(uow, actor, conversation_id=conversation_id, note=note)
    return filed.ticket_id, filed.number


def leave_message_ticket(uow: UnitOfWork, actor: Actor, *, conversation_id: int, text: str, name: str,
                         contact: str, message_id: int) -> str | None:
    """A message left after hours by a known customer becomes a ticket: its number."""
    return desk.leave_message_ticket(uow, actor, conversation_id=conversation_id, text=text, name=name,
                                     contact=contact, message_id=message_id).number


def identify(uow: UnitOfWork, *, reference: str, contact: str) -> Actor | None:
    if not reference or not contact:
        return None
    try:
        return identify_customer(uow, reference=reference, contact=contact, channel="chat")
    except DomainError:
        return None


def customer_summary(uow: UnitOfWork, actor: Actor, *, customer_id: int) -> dict[str, Any]:
    """The customer's identity and open business, for the agent beside the chat."""
    return plain(desk.customer_summary(uow, actor, customer_id=customer_id))


class KbSearch:
    """The console's knowledge-base search box, when ``kb/`` and its index exist."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._searcher = None
        self.error: str | None = None

    def available(self) -> bool:
        """Whether kb/ and FAISS are installed (without loading them yet)."""
        from importlib.util import find_spec

        try:
            missing = [m for m in ("kb.search", "faiss", "numpy") if find_spec(m) is None]
        except (ImportError, ValueError) as exc:
            missing = [exc.__class__.__name__]
        if missing:
            self.error = f"knowledge base not installed ({', '.join(missing)} missing)"
            return False
        return True

    def search(self, query: str, k: int = 5) -> dict[str, Any]:
        if self._searcher is None:
            from kb.search import Searcher

            self._searcher = Searcher(self.folder)
        result = self._searcher.search(query, audience="agent", k=k)
        return {
            "query": result.query, "reason": result.reason, "confident": result.confident,
            "hits": [{"title": h.title, "heading": h.heading, "slug": h.slug, "text": h.text, "snippet": h.snippet,
                      "score": round(float(h.score), 4)} for h in result.hits],
        }


def plain(value: Any) -> Any:
    """Dataclasses, dates and decimals → JSON-ready values."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
