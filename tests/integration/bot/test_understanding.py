"""Issue 13 through the real Rasa server and action server (the shared ``kb_stack``):
an out-of-domain question answered honestly with the options, a question no article
supports answered with "I don't have an article", a reported fault answered from an
article with the offer of a technician, a person asked for in unusual words, and a
frustrated customer, each reaching the queue (the hub acts on the handoff payload).

Needs the trained model (`make train`; `make test` trains first).
"""

from __future__ import annotations

import re

import pytest

from tests.support.rasa_stack import buttons, custom, texts

pytestmark = [pytest.mark.rasa, pytest.mark.model]
OPTIONS = {"Raise a service request": "/raise_service_request", "Check a request's status": "/check_request_status",
           "Book a visit": "/book_appointment", "My bills": "/check_outstanding",
           "Warranty and contracts": "/check_coverage", "Talk to a person": "/request_human"}


def request_form_started(bot, sender: str) -> bool:
    """The service-request form is running (an anonymous visitor is first asked for a reference)."""
    return (bot.tracker(sender).get("active_loop") or {}).get("name") == "service_request_form"


def queued(bot, sender: str, reply: list[dict], reason: str) -> None:
    assert custom(reply) == [{"handoff": {"reason": reason, "requested_by": "customer"}}], reply
    assert bot.tracker(sender)["paused"] is True


@pytest.mark.parametrize("question", ["can you book me a flight to Goa for Friday",
                                      "what's the weather going to be like in Pune tomorrow",
                                      "make a call to my dad",  # the customer's own call, not a callback
                                      "what is the airtel customer care number"])  # another company's desk
def test_an_out_of_domain_question_is_answered_honestly_with_the_options(kb_stack, question):
    bot, _uow, _portal = kb_stack
    me = f"ood-{abs(hash(question))}"
    reply = bot.say(me, question)
    said = texts(reply)
    assert "not something I can help with" in said and "service requests, visits, bills and contracts" in said
    assert buttons(reply) == OPTIONS
    assert "Here's what I found" not in said and "/portal/kb/" not in said and custom(reply) == []
    bot.say(me, buttons(reply)["Raise a service request"])
    assert request_form_started(bot, me)


def test_a_question_no_article_supports_gets_no_article_answer_but_the_offers(kb_stack):
    bot, _uow, _portal = kb_stack
    me = "unsupported-1"
    reply = bot.say(me, "how do I descale my coffee machine")  # read as ask_knowledge; no article is about it
    said = texts(reply)
    assert "Here's what I found" not in said and "/portal/kb/" not in said, said
    assert re.search(r"couldn't find an answer|don't have an article", said), said
    assert buttons(reply) == {"Raise a service request": "/raise_service_request",
                              "Talk to a person": "/request_human"}
    queued(bot, me, bot.say(me, "/request_human"), "customer_request")


def test_a_reported_fault_is_answered_from_an_article_with_the_offer_of_a_technician(kb_stack):
    bot, _uow, portal = kb_stack
    me = "fault-1"
    reply = bot.say(me, "my washing machine is not draining")
    said = texts(reply)
    assert "Here's what I found" in said, said
    assert f"{portal}/portal/kb/washing-machine-not-draining-or-spinning" in said
    assert "book a technician" in said
    offered = buttons(reply)
    assert offered == {"Book a technician": "/raise_service_request", "Yes, thanks": "/kb_helpful",
                       "No": "/kb_not_helpful"}
    assert custom(reply) == []
    bot.say(me, offered["Book a technician"])
    assert request_form_started(bot, me)  # the booking starts


@pytest.mark.parametrize("words", [
    "I'd like a word with a real human",
    "pls get an actual person on this",
    "connect me to somebody in your office",
    "mujhe kisi insaan se baat karni hai",
    "ESCALATE this to whoever is in charge",
    "have your service manager ring me today",
    "oru agent kitta pesanum please",
    "I humbly request that a responsible officer of your organisation contact me",
    "evaraina manishi tho matladali",
    "the geyser tripped the MCB again after your visit. pls call me on 98450 12345",
    "put me through to your renewals team",
])
def test_a_person_asked_for_in_unusual_words_is_queued(kb_stack, words):
    bot, _uow, _portal = kb_stack
    me = f"asks-{abs(hash(words))}"
    reply = bot.say(me, words)
    queued(bot, me, reply, "customer_request")
    assert "getting a member of our help desk" in texts(reply)


@pytest.mark.parametrize("question", ["am i chatting with a live agent or a program?", "is this a bot"])
def test_a_question_about_the_bot_is_answered_honestly_with_the_way_to_a_person(kb_stack, question):
    bot, _uow, _portal = kb_stack
    me = f"about-{abs(hash(question))}"
    reply = bot.say(me, question)
    assert "I'm a bot" in texts(reply) and "talk to a person" in texts(reply)
    assert custom(reply) == [] and bot.tracker(me)["paused"] is False
    queued(bot, me, bot.say(me, "talk to a person"), "customer_request")


@pytest.mark.parametrize("words", ["this is useless", "WHY DOES NOBODY EVER ANSWER MY QUESTIONS",
                                   "ye bot kuch samajhta hi nahi"])
def test_a_frustrated_customer_is_queued(kb_stack, words):
    bot, _uow, _portal = kb_stack
    me = f"frustrated-{abs(hash(words))}"
    bot.say(me, "hello")
    reply = bot.say(me, words)
    queued(bot, me, reply, "frustrated")
    assert "sorry this hasn't been helpful" in texts(reply)


def test_registering_a_complaint_and_asking_for_someone_to_be_sent_is_a_service_request(kb_stack):
    """Not a handoff: "complaint" and "send someone" name the visit, not a wish to talk to a person."""
    bot, _uow, _portal = kb_stack
    me = "complaint-1"
    reply = bot.say(me, "please register a complaint and send someone to check my AC")
    assert custom(reply) == [], reply
    assert request_form_started(bot, me)


def test_two_messages_the_bot_cannot_read_reach_the_queue(kb_stack):
    bot, _uow, _portal = kb_stack
    me = "fallbacks-1"
    first = bot.say(me, "zyx quib flarn")  # no word the bot knows: not understood (the unknown-words guard)
    assert custom(first) == [] and "Here's what I found" not in texts(first), first
    # an unclear message tries the articles first (either wording of utter_kb_no_answer)
    assert re.search(r"couldn't find an answer|don't have an article", texts(first)), first
    reply = bot.say(me, "???")  # no word at all
    assert custom(reply) == [{"handoff": {"reason": "repeated_fallback", "requested_by": "bot"}}], reply
    assert bot.tracker(me)["paused"] is True


def test_misspelt_words_are_read_as_the_words_they_stand_for(kb_stack):
    """The typo corrector: a greeting, a request for a person and a thank-you, each misspelt."""
    bot, _uow, _portal = kb_stack
    me = "typos-1"
    greeted = texts(bot.say(me, "helloo"))  # not a word the bot knows; one letter from "hello"
    assert "How can I help" in greeted or "What can I do for you" in greeted, greeted
    assert "I couldn't find an answer" not in greeted
    thanked = texts(bot.say(me, "thnks"))
    assert "welcome" in thanked.lower() or "Happy to help" in thanked, thanked
    queued(bot, me, bot.say(me, "cn i tlk to a real persn"), "customer_request")
