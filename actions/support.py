"""Getting a person, stopping a form, and answers from the knowledge base."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.base import Reply, say

log = logging.getLogger("actions.support")

# Slots a form fills for one task; stopping a form forgets them.
TASK_SLOTS = ("product", "serial_number", "problem", "site", "preferred_slot", "rating", "comment", "confirmed",
              "part", "part_sku", "quantity", "amount", "service_done", "purpose")
KB_RESULTS = 3


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
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "nlu_fallback":
            response, reason, by = "utter_handoff_after_fallbacks", "repeated_fallback", "bot"
        elif intent == "request_human":
            response, reason, by = "utter_handoff", "customer_request", "customer"
        else:  # yes to a person offered by the bot
            response, reason, by = "utter_handoff", tracker.get_slot("handoff_reason") or "offered", "customer"
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
    """Answer from the knowledge base, or say plainly that it can't and offer a person."""

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
        reply = say("utter_kb_answer", kb_title=best.title, kb_snippet=best.text)
        for hit in result.hits[1:]:
            if hit.dense_score >= searcher.threshold:
                reply.say("utter_kb_more", kb_title=hit.title)
        return reply.say("utter_kb_was_it_helpful").set("handoff_offered", False)
