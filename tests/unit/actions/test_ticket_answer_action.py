"""'Any reply to my question?': the status of a ticket carries the help desk's answer."""

from __future__ import annotations

from actions import customer
from backend.intake.service import answer_ticket, raise_request
from tests.unit.actions.helpers import make_tracker, responses, run, said


def test_an_answered_ticket_comes_with_its_answer(world, uow):
    view = raise_request(uow, world.alice, want="question", problem="How do I descale?")
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": view.ticket_number},
                                                                   actor=world.alice))
    assert said(out, "utter_request_status_ticket")["ticket_state"] == "open"  # no answer yet
    answer_ticket(uow, world.agent, ticket_ref=view.ticket_number, answer="Use citric acid once a month.")
    for ref in (view.ticket_number, view.number):
        _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": ref}, actor=world.alice))
        sent = said(out, "utter_request_status_ticket_answered")
        assert sent["ticket_answer"] == "Use citric acid once a month."
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": view.ticket_number},
                                                                   actor=world.bob))
    assert responses(out) == ["utter_error_not_found"]
