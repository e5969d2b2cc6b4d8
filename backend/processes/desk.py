"""The help desk beside a live chat: a chat closed into a ticket, a message
left after hours, and what the agent sees of the customer. Each use case is
one transaction across conversations, intake, jobs, billing and customers."""

from __future__ import annotations

from dataclasses import dataclass

from backend import fields
from backend.billing.queries import open_invoices
from backend.billing.service import InvoiceView
from backend.conversations.handoffs import conversation_to_close
from backend.conversations.messages import attach_ticket, transcript
from backend.customers.service import CustomerView, customer_view
from backend.db import UnitOfWork
from backend.identity.actor import STAFF, Actor, require_role
from backend.intake import service as intake
from backend.intake.models import TicketState
from backend.intake.service import RequestView, TicketView
from backend.jobs.lifecycle import FINISHED
from backend.jobs.queries import open_jobs
from backend.jobs.views import JobView
from backend.references import format_reference, parse

SHOWN = 10  # of each kind, beside the chat
SHORTENED = "\n[... transcript shortened ...]"


@dataclass(frozen=True)
class ChatTicket:
    """The help-desk ticket a chat was filed under; no number when the
    visitor is not tied to a customer (nothing to file it under)."""

    ticket_id: int | None
    number: str | None
    state: str | None = None
    created: bool = False  # False: an existing ticket was updated (or nothing was filed)


@dataclass(frozen=True)
class CustomerSummary:
    customer: CustomerView
    requests: list[RequestView]
    jobs: list[JobView]
    invoices: list[InvoiceView]
    tickets: list[TicketView]


def close_chat_into_ticket(uow: UnitOfWork, actor: Actor, *, conversation_id: int, note: str | None) -> ChatTicket:
    """File a chat the agent is closing as a help-desk ticket with the
    transcript, answered with the agent's note: a new ticket the first time,
    the chat's ticket (reopened with the rest of the chat) after that.

    Checks that this agent may close the chat before anything is written;
    the ticket (or its reopening) and the answer commit together. The
    conversation is closed, and the ticket linked to it, by
    ``close_conversation`` afterwards: until then a retried close finds the
    ticket by its idempotency key (the chat and its last message) and files
    nothing twice."""
    require_role(actor, *STAFF)
    note = (note or "").strip()
    if note:
        note = intake.checked_answer(note)
    staff = actor.via("chat")
    with uow() as s:
        chat = conversation_to_close(s, staff, conversation_id)
        if chat.customer_id is None:
            return ChatTicket(None, None)
        text = transcript(s, conversation_id)
        if chat.ticket_id is None:
            who = chat.visitor_name or "customer"
            problem = _clip(f"Live chat with {who} ({chat.channel}, session {chat.session_id[:8]})\n\n{text}",
                            intake.MAX_PROBLEM)
            request = intake.new_request(s, staff, want="question", problem=problem, customer_id=chat.customer_id,
                                         idempotency_key=f"chat-{chat.id}-{chat.last_seq}")
            number, state, created = request.ticket_number, request.ticket_state, request.created
        else:
            number, created = format_reference("TK", chat.ticket_id), False
            state = intake.load_ticket(s, staff, number).state
            if state != TicketState.OPEN:
                state = intake.reopen(s, staff, ticket_ref=number, note=_clip(f"Chat continued:\n{text}",
                                                                              intake.MAX_ANSWER)).state
        if note and state == TicketState.OPEN:
            state = intake.write_answer(s, staff, ticket_ref=number, answer=note).state
        return ChatTicket(_ticket_id(number), number, str(state), created)


def leave_message_ticket(uow: UnitOfWork, actor: Actor, *, conversation_id: int, text: str, name: str = "",
                         contact: str = "", message_id: int) -> ChatTicket:
    """A message a known customer left in the chat outside business hours
    becomes a help-desk ticket linked to the chat; the same message again
    answers with the same ticket."""
    who = ", ".join(x for x in (name, contact) if x) or actor.name or "customer"
    problem = _clip(f"Message left in the chat outside business hours by {who}:\n\n{text}", intake.MAX_PROBLEM)
    with uow() as s:
        request = intake.new_request(s, actor.via("chat"), want="question", problem=problem,
                                     customer_id=actor.customer_id, idempotency_key=f"chat-left-{message_id}")
        ticket_id = _ticket_id(request.ticket_number)
        if ticket_id is not None:
            attach_ticket(s, conversation_id, ticket_id)
        return ChatTicket(ticket_id, request.ticket_number, request.ticket_state, request.created)


def customer_summary(uow: UnitOfWork, actor: Actor, *, customer_id: int) -> CustomerSummary:
    """Who the customer is and their open business (requests, jobs, invoices,
    tickets), for the agent beside the chat. Staff only."""
    require_role(actor, *STAFF)
    with uow() as s:
        customer = customer_view(s, actor, customer_id=customer_id)
        requests = [r for r in intake.request_views(s, actor, customer_id=customer_id, limit=2 * SHOWN)
                    if r.ticket_state != TicketState.CLOSED and r.job_state not in FINISHED]
        tickets = [t for t in intake.ticket_views(s, actor, customer_id=customer_id)
                   if t.state != TicketState.CLOSED]
        return CustomerSummary(
            customer=customer,
            requests=requests[:SHOWN],
            jobs=open_jobs(s, actor, customer_id=customer_id, limit=SHOWN),
            invoices=open_invoices(s, actor, customer_id=customer_id, limit=SHOWN),
            tickets=tickets[:SHOWN],
        )


def _ticket_id(number: str | None) -> int | None:
    parsed = parse(number or "")
    return parsed[1] if parsed and parsed[0] == "TK" else None


def _clip(text: str, limit: int) -> str:
    text = fields.printable(text)
    if len(text) <= limit:
        return text
    return text[: limit - 40].rstrip() + SHORTENED
