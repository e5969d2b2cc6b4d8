"""A chat message delivered twice (a retried webhook, a re-run action) acts
once: the action passes a key made of the conversation and the message id, and
the backend answers the second run with the first result."""

from __future__ import annotations

from rasa_sdk import Tracker
from sqlalchemy import func, select

from actions import technician
from actions.base import idempotency_key
from backend.jobs import service as jobs
from backend.jobs.models import Advance, ExpenseClaim
from backend.jobs.models import JobState as S
from tests.factories import BELT
from tests.unit.actions.helpers import make_tracker, responses, run, said
from tests.unit.core.flows import drive_to


def count(uow, model) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def parts_message(ref: str, actor, message_id: str, qty: str = "1") -> Tracker:
    return make_tracker({"reference": ref, "part": "Belt", "part_sku": BELT[0], "quantity": qty}, actor=actor,
                        message_id=message_id)


def test_a_redelivered_parts_message_takes_stock_once(world, uow):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    _, first = run(technician.ActionReportPartsUsed(), parts_message(ref, world.tech, "m-41"))
    _, again = run(technician.ActionReportPartsUsed(), parts_message(ref, world.tech, "m-41"))
    assert responses(first) == responses(again) == ["utter_parts_recorded"]
    assert jobs.stock_of(uow, sku=BELT[0]) == BELT[3] - 1
    assert len(jobs.get_job(uow, world.tech, job_ref=ref).parts) == 1


def test_two_messages_reporting_the_same_part_take_it_twice(world, uow):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    run(technician.ActionReportPartsUsed(), parts_message(ref, world.tech, "m-1"))
    run(technician.ActionReportPartsUsed(), parts_message(ref, world.tech, "m-2"))
    assert jobs.stock_of(uow, sku=BELT[0]) == BELT[3] - 2


def test_a_redelivered_advance_request_answers_with_the_first_advance(world, uow):
    ref = drive_to(uow, world, S.CONFIRMED)
    slots = {"reference": ref, "amount": "1500", "purpose": "bus fare"}
    for _ in range(2):
        _, out = run(technician.ActionRequestAdvance(), make_tracker(slots, actor=world.tech, message_id="m-7"))
        assert said(out, "utter_advance_requested")["advance_amount"] == "₹1,500.00"
    assert count(uow, Advance) == 1
    # A new message asking again is a new request, which the job's lifecycle refuses.
    _, out = run(technician.ActionRequestAdvance(), make_tracker(slots, actor=world.tech, message_id="m-8"))
    assert responses(out) == ["utter_error_illegal_transition"]


def test_a_redelivered_expense_claim_is_one_claim(world, uow):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    slots = {"reference": ref, "amount": "350", "purpose": "auto fare both ways"}
    sent = []
    for _ in range(2):
        _, out = run(technician.ActionSubmitExpenseClaim(), make_tracker(slots, actor=world.tech, message_id="m-9"))
        sent.append(said(out, "utter_expense_submitted")["claim_ref"])
    assert sent[0] == sent[1] and count(uow, ExpenseClaim) == 1


def test_the_key_is_the_conversation_and_the_message():
    tracker = make_tracker({}, sender="conv-9", message_id="m-3")
    assert idempotency_key(tracker) == "chat:conv-9:m-3"
    hub = make_tracker({}, sender="conv-9", message_id="m-3", metadata={"message_id": "hub-12"})
    assert idempotency_key(hub) == "chat:conv-9:hub-12"  # the hub's stored message id wins


def test_without_a_message_id_the_user_event_time_is_the_key_and_without_it_there_is_none():
    stamped = Tracker("conv-9", {}, {"intent": {"name": "inform"}, "text": "2 belts"},
                      [{"event": "user", "text": "2 belts", "timestamp": 1764338000.25}], False, None, {}, "action_listen")
    assert idempotency_key(stamped) == "chat:conv-9:at-1764338000.25"
    bare = Tracker("conv-9", {}, {"intent": {"name": "inform"}, "text": "2 belts"},
                   [{"event": "user", "text": "2 belts"}], False, None, {}, "action_listen")
    assert idempotency_key(bare) is None  # never one key shared by every message of the conversation
