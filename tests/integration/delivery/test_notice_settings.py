"""The inbox, a user's own channel preferences and a customer's notice
language, as use cases, on SQLite and PostgreSQL; and a help-desk answer
reaching the customer (the notice says it, the request carries it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.customers.language import notice_language, set_notice_language
from backend.delivery.dispatcher import dispatch_once
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.notifications import inbox
from backend.notifications.models import Delivery, Notification
from backend.notifications.outbox import notify
from backend.notifications.preferences import get_preferences, set_preferences
from backend.processes.lookup import status_of
from tests.factories import build_world


class Recorder:
    def __init__(self, name: str) -> None:
        self.name, self.sent = name, []

    def send(self, out) -> None:
        self.sent.append(out)


def _reminder(uow, customer_id: int) -> None:
    with uow() as s:
        notify(s, event="payment_reminder", subject_type="invoice", subject_id=1, customer_id=customer_id,
               invoice="INV-000001", outstanding="10.00")


def _code(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def test_a_customer_cannot_read_or_mark_another_users_notice(any_uow):
    w = build_world(any_uow)
    _reminder(any_uow, w.alice.customer_id)
    dispatch_once(any_uow, {}, worker="t")
    [item] = inbox.inbox(any_uow, w.alice)
    assert inbox.inbox(any_uow, w.bob) == [] and inbox.unread_count(any_uow, w.bob) == 0
    assert _code(inbox.mark_read, any_uow, w.bob, item_id=item.id) == ErrorCode.NOT_FOUND
    assert _code(inbox.mark_read, any_uow, w.agent, item_id=item.id) == ErrorCode.NOT_FOUND
    assert inbox.mark_read(any_uow, w.bob) == 0  # "mark all read" touches only their own
    assert inbox.unread_count(any_uow, w.alice) == 1
    assert inbox.mark_read(any_uow, w.alice, item_id=item.id) == 1
    assert inbox.mark_read(any_uow, w.alice, item_id=item.id) == 0  # already read: nothing changes
    assert inbox.unread_count(any_uow, w.alice) == 0


def test_preferences_are_the_users_own_and_steer_the_fan_out(any_uow):
    w = build_world(any_uow)
    prefs = get_preferences(any_uow, w.alice)
    assert [(c.channel, c.enabled, c.reminders) for c in prefs.channels] == [
        ("email", True, True), ("chat", True, True), ("webhook", True, True)]
    after = set_preferences(any_uow, w.alice, preferences={"chat": {"enabled": False},
                                                           "email": {"reminders": False}},
                            channels=("email", "chat"))
    assert [(c.channel, c.enabled, c.reminders) for c in after.channels] == [
        ("email", True, False), ("chat", False, True)]
    again = set_preferences(any_uow, w.alice, preferences={"chat": {"enabled": True, "reminders": False}})
    assert again.of("chat") == type(again.of("chat"))("chat", True, False)
    assert get_preferences(any_uow, w.bob).of("chat").enabled  # bob's are untouched

    email, chat = Recorder("email"), Recorder("chat")
    _reminder(any_uow, w.alice.customer_id)  # a reminder: alice has reminders off on both channels
    with any_uow() as s:
        notify(s, event="final_bill", subject_type="invoice", subject_id=1, customer_id=w.alice.customer_id,
               invoice="INV-000002", job="JB-000001", total="10.00")
    dispatch_once(any_uow, {"email": email, "chat": chat}, worker="t")
    assert [o.event for o in email.sent] == ["final_bill"] and [o.event for o in chat.sent] == ["final_bill"]
    assert {i.event for i in inbox.inbox(any_uow, w.alice)} == {"payment_reminder", "final_bill"}


def test_preferences_refuse_what_they_do_not_know(any_uow):
    w = build_world(any_uow)
    assert _code(set_preferences, any_uow, w.alice, preferences={"fax": {"enabled": False}}) == ErrorCode.INVALID_INPUT
    assert _code(set_preferences, any_uow, w.alice, preferences={"chat": {"enabled": "no"}}) == ErrorCode.INVALID_INPUT
    assert _code(set_preferences, any_uow, w.alice, preferences={"chat": {"muted": True}}) == ErrorCode.INVALID_INPUT
    assert _code(set_preferences, any_uow, w.alice, preferences={}) == ErrorCode.INVALID_INPUT
    nobody = Actor(Role.CUSTOMER, None, w.alice.customer_id, "visitor", "chat")
    assert _code(get_preferences, any_uow, nobody) == ErrorCode.FORBIDDEN
    assert get_preferences(any_uow, w.alice).of("email").enabled  # nothing was written


def test_a_customer_chooses_the_language_of_their_notices(any_uow):
    w = build_world(any_uow)
    assert notice_language(any_uow, w.alice) == "en" and notice_language(any_uow, w.tech) == "en"
    assert set_notice_language(any_uow, w.alice, language="HI") == "hi"
    assert notice_language(any_uow, w.alice) == "hi" and notice_language(any_uow, w.bob) == "en"
    assert _code(set_notice_language, any_uow, w.alice, language="fr") == ErrorCode.INVALID_INPUT
    assert _code(set_notice_language, any_uow, w.tech, language="hi") == ErrorCode.FORBIDDEN
    _reminder(any_uow, w.alice.customer_id)
    dispatch_once(any_uow, {}, worker="t")
    [item] = inbox.inbox(any_uow, w.alice, language=notice_language(any_uow, w.alice))
    assert (item.title, item.reference) == ("भुगतान की याद", "INV-000001")


def test_a_help_desk_answer_reaches_the_customer(any_uow):
    w = build_world(any_uow)
    view = intake.raise_request(any_uow, w.alice, want="question", problem="How do I descale the washer?")
    assert status_of(any_uow, w.alice, reference=view.ticket_number).ticket_answer is None
    intake.answer_ticket(any_uow, w.agent, ticket_ref=view.ticket_number, answer="Use citric acid once a month.")
    with any_uow() as s:
        notice = s.scalar(select(Notification).where(Notification.event == "ticket_answered"))
        assert notice.payload == {"ticket": view.ticket_number, "answer": "Use citric acid once a month."}
    dispatch_once(any_uow, {}, worker="t")
    item = next(i for i in inbox.inbox(any_uow, w.alice) if i.event == "ticket_answered")
    assert item.text == f"The help desk answered {view.ticket_number}: Use citric acid once a month."
    assert item.reference == view.ticket_number
    for ref in (view.number, view.ticket_number):  # the request's page and the bot read the same view
        found = status_of(any_uow, w.alice, reference=ref)
        assert (found.ticket_state, found.ticket_answer) == ("answered", "Use citric acid once a month.")
    assert intake.get_request(any_uow, w.alice, reference=view.number).ticket_answer.startswith("Use citric")
    assert _code(status_of, any_uow, w.bob, reference=view.ticket_number) == ErrorCode.NOT_FOUND
    with any_uow() as s:
        assert s.scalar(select(Delivery.id).where(Delivery.user_id == w.bob.user_id)) is None
