"""Getting a person, stopping a form, and answers from the knowledge base."""

from __future__ import annotations

import asyncio
import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.base import Reply, say
from backend.knowledge import service as knowledge

log = logging.getLogger("actions.support")

# Slots a form fills for one task; stopping a form forgets them.
TASK_SLOTS = ("product", "serial_number", "problem", "site", "preferred_slot", "rating", "comment", "confirmed",
              "part", "part_sku", "quantity", "amount", "service_done", "purpose")
KB_RESULTS = 3
# A message that reports a fault ("my washing machine is not draining", "AC leaking"):
# a knowledge answer to it also offers to book a technician in the same turn.
PROBLEM_REPORT = re.compile(
    r"\b(?:not|isn'?t|won'?t|doesn'?t|don'?t|didn'?t|can'?t|cannot|stopped|no\s+longer|nahi|nahin|nhi)\b|"
    r"\b(?:leak\w*|drip\w*|nois\w*|sound\w*|smell\w*|spark\w*|trip\w*|error|code|broken|dead|burn\w*|"
    r"overheat\w*|vibrat\w*|shak\w*|beep\w*|blink\w*|flash\w*|frost\w*|ice|rust\w*|crack\w*|kharab|"
    r"band\s+ho)\b|\b[A-Z]{1,2}\d{1,2}\b", re.I)
QUESTION_ONLY = re.compile(r"^\s*(?:what|which|how\s+(?:often|much|long|many|do\s+i\s+(?:pay|book|renew|read|"
                           r"register|track))|is\s+it\s+safe|do\s+you|can\s+i\s+pay|where\s+is\s+your)\b", re.I)


def is_problem_report(text: str) -> bool:
    """A fault described, not a general question ("what is an AMC", "how do I pay")."""
    return bool(PROBLEM_REPORT.search(text or "")) and not QUESTION_ONLY.match(text or "")


def offer_person(reply: Reply, reason: str) -> Reply:
    """The reply asks "shall I get a person?"; a following yes hands over."""
    return reply.set("handoff_offered", True).set("handoff_reason", reason)


class ActionHandoff(Action):
    """Pause the bot and tell the front end a person is wanted.

    The custom payload ``{"handoff": {"reason", "requested_by"}}`` is what the
    live-chat hub acts on; it resumes the conversation (a ``resume`` event)
    when the agent closes it.
    """

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        # set by the handoff net in the NLU pipeline (bot/components/handoff.py)
        net = next((e.get("value") for e in latest.get("entities") or [] if e.get("entity") == "handoff_trigger"), None)
        if intent == "nlu_fallback":
            response, reason, by = "utter_handoff_after_fallbacks", "repeated_fallback", "bot"
        elif intent == "request_human" and net == "frustrated":
            response, reason, by = "utter_handoff_frustrated", "frustrated", "customer"
        elif intent == "request_human":
            response, reason, by = "utter_handoff", "customer_request", "customer"
        else:  # yes to a person offered by the bot
            response, reason, by = "utter_handoff", tracker.get_slot("handoff_reason") or "offered", "customer"
        return hand_over(dispatcher, tracker, response, reason, by)


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, response: str, reason: str,
              by: str) -> list[EventType]:
    """Say ``response``, send the hub the handoff payload, pause the bot."""
    dispatcher.utter_message(response=response)
    dispatcher.utter_message(json_message={"handoff": {"reason": reason, "requested_by": by}})
    events: list[EventType] = [SlotSet("handoff_offered", False), SlotSet("handoff_reason", None)]
    if tracker.active_loop.get("name"):
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events + [ConversationPaused()]


class ActionDeclineHandoff(Action):
    def name(self) -> str:
        return "action_decline_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff_declined")
        return [SlotSet("handoff_offered", False), SlotSet("handoff_reason", None)]


class ActionStopForm(Action):
    def name(self) -> str:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(response="utter_form_stopped")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + [SlotSet(s, None) for s in TASK_SLOTS]


class ActionSearchKnowledge(Action):
    """Answer from the knowledge base, or say plainly that it can't and offer a request or a person.

    The search answers only when the article supports the question (kb/support.py);
    otherwise the reply is "I don't have an article on that" with buttons to raise
    a request or talk to a person (a typed "yes" takes the person). An answer to a
    reported fault also offers to book a technician, in the same turn."""

    def name(self) -> str:
        return "action_search_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        reply = await self.answer((tracker.latest_message or {}).get("text") or "")
        reply.send(dispatcher)
        return reply.events

    @staticmethod
    async def answer(question: str) -> Reply:
        try:
            searcher = runtime.get().searcher()
            if searcher is None:
                return offer_person(say("utter_kb_unavailable"), "kb_unavailable")
            result = await asyncio.to_thread(searcher.search, question, audience="customer", k=KB_RESULTS)
        except Exception:
            log.exception("knowledge-base search failed")
            return offer_person(say("utter_kb_unavailable"), "kb_unavailable")
        if result.reason in ("no_index", "unavailable"):
            return offer_person(say("utter_kb_unavailable"), "kb_unavailable")
        best = result.best
        if best is None:
            return offer_person(say("utter_kb_no_answer"), "kb_no_answer")
        reply = say("utter_kb_answer", kb_title=best.title, kb_snippet=best.text, kb_link=article_link(best.slug))
        for hit in result.hits[1:]:
            if hit.dense_score >= searcher.threshold:
                reply.say("utter_kb_more", kb_title=hit.title, kb_link=article_link(hit.slug))
        if is_problem_report(question):
            reply.say("utter_kb_offer_booking")
        return (reply.say("utter_kb_was_it_helpful").set("handoff_offered", False).set("kb_feedback_asked", True)
                .set("kb_article", {"id": best.article_id, "version": best.version})
                .set("kb_question", question[:500]))


def article_link(slug: str) -> str:
    """Where a customer reads the whole article: the portal's public page
    (``$KB_ARTICLE_URL``, a template with ``{slug}``)."""
    return runtime.get().article_url.format(slug=slug)


class ActionKbFeedback(Action):
    """The answer to "Did this help?" (its buttons, or a typed yes or no right after it: rules.yml):
    record it on the article; "no" hands over to a person."""

    def name(self) -> str:
        return "action_kb_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        helpful = ((tracker.latest_message or {}).get("intent") or {}).get("name") in ("kb_helpful", "affirm")
        article = tracker.get_slot("kb_article")
        if isinstance(article, dict) and isinstance(article.get("id"), int):
            try:
                await asyncio.to_thread(
                    knowledge.record_feedback, runtime.get().uow, None, article_id=article["id"], helpful=helpful,
                    version=article.get("version"), conversation_id=tracker.sender_id,
                    query=tracker.get_slot("kb_question"))
            except Exception:  # feedback is a nicety: never block the customer on it
                log.exception("knowledge-base feedback not recorded")
        events: list[EventType] = [SlotSet("kb_article", None), SlotSet("kb_question", None),
                                   SlotSet("kb_feedback_asked", False)]
        if helpful:
            dispatcher.utter_message(response="utter_kb_glad")
            return events
        return events + hand_over(dispatcher, tracker, "utter_kb_not_helpful_handoff", "kb_not_helpful", "customer")
