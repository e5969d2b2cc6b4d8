"""What the hub asks of the rest of the backend: help-desk tickets (closing a
chat, leaving a message after hours), the customer's open business for the
console, and knowledge-base search. Plain functions run in a worker thread."""

from __future__ import annotations

import logging
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from backend.conversations import service as conv
from backend.db import UnitOfWork
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.references import parse

log = logging.getLogger("livechat.desk")

MAX_PROBLEM = intake.MAX_PROBLEM


def _ticket_id(number: str | None) -> int | None:
    parsed = parse(number or "")
    return parsed[1] if parsed and parsed[0] == "TK" else None


def _clip(text: str, limit: int = MAX_PROBLEM) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 40].rstrip() + "\n[... transcript shortened ...]"


def ticket_for_close(uow: UnitOfWork, actor: Actor, *, conversation_id: int, note: str) -> tuple[int | None, str | None]:
    """Create (first close) or update (the chat already has one) the help-desk
    ticket of a chat, with the transcript and the agent's note as the answer.
    Returns (ticket id, ticket number), or (None, None) for a visitor we
    cannot tie to a customer."""
    view = conv.get_conversation(uow, conversation_id=conversation_id)
    if view.customer_id is None:
        return None, None
    transcript = conv.transcript_text(uow, conversation_id=conversation_id)
    staff = actor.via("chat")
    note = (note or "").strip()
    if view.ticket_id is None:
        who = view.visitor_name or "customer"
        problem = _clip(f"Live chat with {who} ({view.channel}, session {view.session_id[:8]})\n\n{transcript}")
        req = intake.raise_request(uow, staff, want="question", problem=problem, customer_id=view.customer_id,
                                   idempotency_key=f"chat-{view.id}-{view.last_seq}")
        number = req.ticket_number
        state = req.ticket_state
    else:
        number = f"TK-{view.ticket_id:06d}"
        state = intake.get_request(uow, staff, reference=number).ticket_state or "open"
        if state != "open":
            intake.reopen_ticket(uow, staff, ticket_ref=number, note=_clip(f"Chat continued:\n{transcript}", 20000))
            state = "open"
    if note and state == "open":
        intake.answer_ticket(uow, staff, ticket_ref=number, answer=note)
    return _ticket_id(number), number


def leave_message_ticket(uow: UnitOfWork, actor: Actor, *, conversation_id: int, text: str, name: str,
                         contact: str, message_id: int) -> str:
    """A message left after hours by a known customer becomes a ticket."""
    who = ", ".join(x for x in (name, contact) if x) or actor.name or "customer"
    problem = _clip(f"Message left in the chat outside business hours by {who}:\n\n{text}")
    req = intake.raise_request(uow, actor.via("chat"), want="question", problem=problem,
                               customer_id=actor.customer_id, idempotency_key=f"chat-left-{message_id}")
    ticket_id = _ticket_id(req.ticket_number)
    if ticket_id:
        conv.link_ticket(uow, conversation_id=conversation_id, ticket_id=ticket_id)
    return req.ticket_number


def identify(uow: UnitOfWork, *, reference: str, contact: str) -> Actor | None:
    from backend.identity.service import identify_customer

    if not reference or not contact:
        return None
    try:
        return identify_customer(uow, reference=reference, contact=contact, channel="chat")
    except DomainError:
        return None


def customer_summary(uow: UnitOfWork, actor: Actor, *, customer_id: int) -> dict[str, Any]:
    """The customer's identity and open business, for the agent beside the chat."""
    from backend.billing import service as billing
    from backend.customers import service as customers
    from backend.jobs import service as jobs

    customer = customers.get_customer(uow, actor, customer_id=customer_id)
    requests = intake.list_requests(uow, actor, customer_id=customer_id, limit=20)
    # list_jobs filters by customer only for a customer's own login: read as them.
    as_customer = Actor(Role.CUSTOMER, None, customer_id, customer.name, "console")
    open_jobs = [j for j in jobs.list_jobs(uow, as_customer, limit=50)
                 if getattr(j, "state", "") not in ("closed", "settled", "cancelled")]
    invoices = billing.list_invoices(uow, actor, customer_id=customer_id, state="open")
    tickets = [t for t in intake.list_tickets(uow, actor) if t.customer_id == customer_id and t.state != "closed"]
    return plain({
        "customer": customer,
        "requests": [r for r in requests if (r.ticket_state or "") != "closed" and (r.job_state or "") not in
                     ("closed", "settled", "cancelled")][:10],
        "jobs": open_jobs[:10],
        "invoices": invoices[:10],
        "tickets": tickets[:10],
    })


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
