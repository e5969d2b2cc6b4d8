"""The help desk beside a live chat (backend.processes.desk): a chat closed
into a ticket, a message left after hours, the customer beside the chat."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.conversations import service as conv
from backend.conversations.service import NewMessage
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.intake import service as intake
from backend.intake.models import ServiceRequest, Ticket
from backend.jobs.models import JobState as S
from backend.processes import desk
from tests.unit.core.flows import drive_to, new_job


def chat_with_agent(uow, w, *, customer=None, agent=None) -> int:
    """A chat (of ``customer``, or an anonymous visitor) that ``agent`` has picked up."""
    agent = agent or w.agent
    c = conv.open_session(uow, session_id=None, actor=customer)
    say(uow, c.id, "my invoice looks wrong")
    conv.pick_conversation(uow, agent, conversation_id=c.id)
    conv.record_message(uow, NewMessage(c.id, "agent", "I have corrected the invoice.", agent_id=agent.user_id))
    return c.id


def say(uow, cid: int, text: str) -> None:
    conv.record_message(uow, NewMessage(cid, "customer", text))


def close(uow, w, cid: int, note: str) -> desk.ChatTicket:
    """What the console's close does: file the ticket, then close the chat."""
    filed = desk.close_chat_into_ticket(uow, w.agent, conversation_id=cid, note=note)
    conv.close_conversation(uow, w.agent, conversation_id=cid, note=note, ticket_id=filed.ticket_id)
    return filed


def count(uow, model) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def ticket_moves(uow, ticket_id: int) -> list[str]:
    with uow() as s:
        return list(s.scalars(select(StateChange.to_state).where(
            StateChange.entity_type == "ticket", StateChange.entity_id == ticket_id).order_by(StateChange.id)))


def test_closing_a_customers_chat_files_a_ticket_with_the_transcript_answered_with_the_note(world, uow):
    cid = chat_with_agent(uow, world, customer=world.alice)
    filed = close(uow, world, cid, "Invoice corrected; sent again.")
    assert filed.number.startswith("TK-") and (filed.state, filed.created) == ("answered", True)
    request = intake.get_request(uow, world.agent, reference=filed.number)
    assert request.customer_id == world.alice.customer_id
    assert "my invoice looks wrong" in request.problem and "I have corrected the invoice." in request.problem
    ticket = intake.list_tickets(uow, world.alice)[0]
    assert (ticket.number, ticket.answer, ticket.state) == (filed.number, "Invoice corrected; sent again.", "answered")
    assert conv.get_conversation(uow, conversation_id=cid).ticket_id == filed.ticket_id


def test_closing_the_same_chat_twice_updates_its_ticket_and_answers_once_per_close(world, uow):
    cid = chat_with_agent(uow, world, customer=world.alice)
    first = close(uow, world, cid, "Invoice corrected.")
    say(uow, cid, "the refund has not arrived")  # back to the bot, then a person again
    conv.pick_conversation(uow, world.agent, conversation_id=cid)
    second = close(uow, world, cid, "Refund confirmed.")
    assert (second.number, second.created) == (first.number, False)
    assert count(uow, Ticket) == 1 and count(uow, ServiceRequest) == 1
    assert ticket_moves(uow, first.ticket_id) == ["open", "answered", "open", "answered"]
    ticket = intake.list_tickets(uow, world.agent)[0]
    assert ticket.answer == "Refund confirmed."


def test_a_retried_close_files_nothing_twice(world, uow):
    cid = chat_with_agent(uow, world, customer=world.alice)
    first = desk.close_chat_into_ticket(uow, world.agent, conversation_id=cid, note="Done.")
    again = desk.close_chat_into_ticket(uow, world.agent, conversation_id=cid, note="Done.")
    assert (again.number, again.created, again.state) == (first.number, False, "answered")
    assert ticket_moves(uow, first.ticket_id) == ["open", "answered"]


def test_a_refusal_in_the_middle_of_a_close_leaves_no_half_made_ticket(world, uow, monkeypatch):
    cid = chat_with_agent(uow, world, customer=world.alice)

    def refuse(*args, **kwargs):
        raise DomainError(ErrorCode.CONFLICT, "answering refused")

    monkeypatch.setattr(intake, "write_answer", refuse)
    with pytest.raises(DomainError) as err:
        desk.close_chat_into_ticket(uow, world.agent, conversation_id=cid, note="Done.")
    assert err.value.code == ErrorCode.CONFLICT
    assert count(uow, ServiceRequest) == 0 and count(uow, Ticket) == 0 and count(uow, StateChange) == 0
    assert conv.get_conversation(uow, conversation_id=cid).ticket_id is None


def test_a_note_too_long_to_be_an_answer_is_refused_before_anything_is_filed(world, uow):
    cid = chat_with_agent(uow, world, customer=world.alice)
    with pytest.raises(DomainError) as err:
        desk.close_chat_into_ticket(uow, world.agent, conversation_id=cid, note="x" * (intake.MAX_ANSWER + 1))
    assert err.value.code == ErrorCode.INVALID_INPUT
    assert count(uow, Ticket) == 0


def test_an_anonymous_visitors_chat_files_no_ticket(world, uow):
    cid = chat_with_agent(uow, world)
    filed = desk.close_chat_into_ticket(uow, world.agent, conversation_id=cid, note="Told them how to clean it.")
    assert (filed.ticket_id, filed.number) == (None, None)
    assert count(uow, Ticket) == 0


def test_only_the_chats_agent_or_a_manager_closes_it_and_only_when_a_person_has_it(world, uow):
    cid = chat_with_agent(uow, world, customer=world.alice, agent=world.manager)
    with pytest.raises(DomainError) as err:
        desk.close_chat_into_ticket(uow, world.agent, conversation_id=cid, note="Done.")
    assert err.value.code == ErrorCode.FORBIDDEN
    bot_chat = conv.open_session(uow, session_id=None, actor=world.bob)
    with pytest.raises(DomainError) as err:
        desk.close_chat_into_ticket(uow, world.manager, conversation_id=bot_chat.id, note="Done.")
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert count(uow, Ticket) == 0
    assert desk.close_chat_into_ticket(uow, world.admin, conversation_id=cid, note="Done.").number


@pytest.mark.parametrize("who", ["alice", "tech"])
def test_customers_and_technicians_cannot_close_chats_or_read_the_summary(world, uow, who):
    cid = chat_with_agent(uow, world, customer=world.alice)
    actor = getattr(world, who)
    for call in (lambda: desk.close_chat_into_ticket(uow, actor, conversation_id=cid, note="x"),
                 lambda: desk.customer_summary(uow, actor, customer_id=world.alice.customer_id)):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == ErrorCode.FORBIDDEN
    assert count(uow, Ticket) == 0


def test_a_message_left_after_hours_becomes_one_ticket_linked_to_the_chat(world, uow):
    c = conv.open_session(uow, session_id=None, actor=world.alice)
    left = dict(conversation_id=c.id, text="Please call me about my AMC renewal", name="Alice",
                contact="alice@example.com", message_id=41)
    filed = desk.leave_message_ticket(uow, world.alice, **left)
    assert filed.number.startswith("TK-") and filed.created
    assert "Alice, alice@example.com" in intake.get_request(uow, world.alice, reference=filed.number).problem
    assert conv.get_conversation(uow, conversation_id=c.id).ticket_id == filed.ticket_id
    again = desk.leave_message_ticket(uow, world.alice, **left)
    assert (again.number, again.created) == (filed.number, False)
    assert count(uow, Ticket) == 1


def test_the_summary_shows_the_customers_open_business_and_no_finished_jobs(world, uow):
    open_job = new_job(uow, world)
    drive_to(uow, world, S.CANCELLED)
    billed = drive_to(uow, world, S.BILLED)
    settled = drive_to(uow, world, S.SETTLED)
    question = intake.raise_request(uow, world.alice, want="question", problem="How do I descale?")
    answered = intake.raise_request(uow, world.alice, want="question", problem="Is the filter washable?")
    intake.close_ticket(uow, world.agent, ticket_ref=answered.ticket_number)
    intake.raise_request(uow, world.bob, want="question", problem="Bob's question")

    summary = desk.customer_summary(uow, world.agent, customer_id=world.alice.customer_id)
    assert summary.customer.name == "Alice"
    assert [(j.number, j.state) for j in summary.jobs] == [(billed, "billed"), (open_job, "new")]  # next visit first
    assert settled not in {r.job_number for r in summary.requests}
    assert {r.job_number or r.ticket_number for r in summary.requests} == {open_job, billed, question.ticket_number}
    assert [t.number for t in summary.tickets] == [question.ticket_number]
    assert [(i.source_type, i.state) for i in summary.invoices] == [("job", "open")]
