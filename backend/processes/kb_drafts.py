"""A closed help-desk ticket's answer becomes a proposed article (card A4).

It spans intake (the ticket and its answer) and knowledge (the proposal), so
it lives here, above both. ``ticket_draft`` prefills the agent's form: the
customer's question as the title, the question and the help desk's answer as
the body; the agent edits it (and takes out anything personal) and
``propose_from_ticket`` files it as a proposal for the curator, marked with
the ticket it came from. One proposal per ticket waits at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor, require_role
from backend.intake.models import Ticket, TicketState
from backend.intake.service import load_ticket
from backend.knowledge.proposals import (
    PROPOSERS, ProposalView, new_proposal, open_proposal_from, proposal_view,
)


@dataclass(frozen=True)
class TicketDraft:
    ticket: str
    title: str
    body: str


def _closed_ticket(s, actor: Actor, ticket_ref: str) -> Ticket:
    require_role(actor, *PROPOSERS)
    t = load_ticket(s, actor, ticket_ref)
    if t.state != TicketState.CLOSED or not (t.answer or "").strip():
        raise DomainError(ErrorCode.CONFLICT, f"{t.number} is {t.state}: only a closed ticket's answer can "
                          "become an article; answer and close it first", reason="ticket_not_closed",
                          state=t.state)
    return t


def _draft(t: Ticket) -> TicketDraft:
    question = t.body.strip()
    title = t.subject.strip() or question.splitlines()[0][:200]
    body = f"## The question\n\n{question}\n\n## The answer\n\n{t.answer.strip()}\n"
    return TicketDraft(t.number, title[:300], body)


def ticket_draft(uow: UnitOfWork, actor: Actor, *, ticket_ref: str) -> TicketDraft:
    """The article a closed ticket suggests, to edit before proposing it."""
    with uow() as s:
        return _draft(_closed_ticket(s, actor, ticket_ref))


def propose_from_ticket(uow: UnitOfWork, actor: Actor, *, ticket_ref: str, title: str | None = None,
                        body: str | None = None, tags: list[str] | tuple[str, ...] | None = None,
                        language: str | None = None, note: str | None = None) -> ProposalView:
    """A new-article proposal from a closed ticket (the agent's edited ``title`` and ``body``, or the draft's)."""
    with uow() as s:
        t = _closed_ticket(s, actor, ticket_ref)
        waiting = open_proposal_from(s, t.number)
        if waiting is not None:
            raise DomainError(ErrorCode.DUPLICATE, f"{t.number} is already proposed as an article "
                              f"(proposal #{waiting.id}, waiting for the curator)", field="ticket",
                              existing=waiting.id)
        draft = _draft(t)
        p = new_proposal(s, actor, title=title if title is not None else draft.title,
                         body=body if body is not None else draft.body, tags=tags, language=language,
                         note=note, source=t.number)
        return proposal_view(s, p)
