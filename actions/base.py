"""What every custom action shares: who is asking, one backend call, one answer.

An action reads its slots, makes ONE backend call in a worker thread (the
service functions are synchronous and would block the action server's event
loop), and returns a :class:`Reply`: response names from the domain with
their variables, plus events. Wording never lives here.

Failures: a ``DomainError`` becomes ``utter_error_<code>`` (one polite answer
per stable error code, all in the domain); anything unexpected is logged and
answered with an apology and the offer of a person.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.identity import current_actor
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role

log = logging.getLogger("actions")
T = TypeVar("T")

CURRENCY_SIGNS = {"INR": "₹"}


@dataclass
class Reply:
    """Responses to send (name + variables) and events to return."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: list[EventType] = field(default_factory=list)

    def say(self, response: str, **variables: Any) -> Reply:
        self.messages.append((response, variables))
        return self

    def set(self, slot: str, value: Any) -> Reply:
        self.events.append(SlotSet(slot, value))
        return self

    def send(self, dispatcher: CollectingDispatcher) -> None:
        for response, variables in self.messages:
            dispatcher.utter_message(response=response, **variables)


def say(response: str, **variables: Any) -> Reply:
    return Reply().say(response, **variables)


def error_reply(exc: DomainError) -> Reply:
    return say(f"utter_error_{exc.code}")


def unexpected_reply() -> Reply:
    return say("utter_error_unexpected").set("handoff_offered", True).set("handoff_reason", "action_error")


async def call(fn: Callable[..., T], actor: Actor | None, **kwargs: Any) -> T:
    """Run one backend use case ``fn(uow, actor, **kwargs)`` off the event loop."""
    rt = runtime.get()
    if actor is None:
        return await asyncio.to_thread(fn, rt.uow, **kwargs)
    return await asyncio.to_thread(fn, rt.uow, actor, **kwargs)


def slot_text(tracker: Tracker, name: str) -> str | None:
    value = tracker.get_slot(name)
    return str(value).strip() if value not in (None, "") else None


def idempotency_key(tracker: Tracker) -> str | None:
    """Stable for one user message: the same message handled twice (a
    re-delivery, a retried action call) gets the same key, so the backend
    answers with the first result instead of acting twice.

    The hub gives every stored message an id and passes it as metadata
    ``message_id``; Rasa's own message id is the fallback, then the user
    event's timestamp. With none of them there is no key (never one key
    shared by every message of the conversation).
    """
    latest = tracker.latest_message or {}
    metadata = latest.get("metadata") if isinstance(latest.get("metadata"), dict) else {}
    message_id = metadata.get("message_id") or latest.get("message_id")
    if not message_id:
        stamp = next((e.get("timestamp") for e in reversed(tracker.events or [])
                      if e.get("event") == "user"), None)
        if stamp is None:
            return None
        message_id = f"at-{stamp}"
    return f"chat:{tracker.sender_id}:{message_id}"[:120]


# --- formatting values for responses (numbers and dates, never words) ------------

def money_text(amount: Decimal | int | str | None) -> str:
    currency = runtime.get().settings.currency
    value = Decimal(str(amount or 0))
    return f"{CURRENCY_SIGNS.get(currency, currency + ' ')}{value:,.2f}"


def when_text(at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(runtime.get().zone).strftime("%a %d %b, %I:%M %p")


def date_text(day: date | None) -> str:
    return day.strftime("%d %b %Y") if day else "-"


# --- the action base --------------------------------------------------------------

class BackendAction(Action, ABC):
    """Read slots -> one backend call -> a response name + events.

    ``roles``: who may run it (empty: anyone identified). Without an identified
    actor the action answers ``anonymous_response`` and calls nothing.
    ``resets``: slots cleared afterwards, whatever the outcome, so the next
    run of the same form asks again.
    """

    roles: tuple[Role, ...] = ()
    anonymous_response = "utter_error_unauthenticated"
    resets: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def act(self, tracker: Tracker, actor: Actor) -> Reply: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        actor = None
        try:
            actor = current_actor(tracker, runtime.get().settings.secret_key)
            if actor is None:
                reply = say(self.anonymous_response)
            elif self.roles and actor.role not in self.roles:
                reply = say("utter_error_forbidden")
            else:
                reply = await self.act(tracker, actor)
        except DomainError as exc:
            reply = error_reply(exc)
        except Exception:
            log.exception("action %s failed", self.name())
            reply = unexpected_reply()
        reply.send(dispatcher)
        events = list(reply.events)
        offered = any(e.get("name") == "handoff_offered" for e in events if isinstance(e, dict))
        if actor is not None and tracker.get_slot("handoff_offered") and not offered:
            events.append(SlotSet("handoff_offered", False))  # the user moved on from the offer
        return events + [SlotSet(slot, None) for slot in self.resets]
