"""Trackers built in code, the real domain, and running actions against it."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from backend.identity.actor import Actor
from backend.identity.tokens import issue_token

ROOT = Path(__file__).resolve().parents[3]
SECRET = "unit-test-secret"
_ids = itertools.count(1)


def load_domain() -> dict[str, Any]:
    """bot/domain/*.yml merged the way Rasa merges a domain folder."""
    merged: dict[str, Any] = {"intents": [], "entities": [], "slots": {}, "forms": {}, "responses": {},
                              "actions": []}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text()) or {}
        for key in ("intents", "entities", "actions"):
            merged[key] += part.get(key, [])
        for key in ("slots", "forms", "responses"):
            merged[key].update(part.get(key, {}))
    return merged


DOMAIN = load_domain()


def token_for(actor: Actor) -> str:
    return issue_token(SECRET, actor)


def make_tracker(
    slots: dict[str, Any] | None = None, *, intent: str = "affirm", text: str = "", actor: Actor | None = None,
    metadata: dict | None = None, active_loop: str | None = None, just_set: dict[str, Any] | None = None,
    sender: str = "conv-1", message_id: str | None = None, entities: list[dict] | None = None,
) -> Tracker:
    """A tracker as Rasa sends it: ``slots`` already held, ``just_set`` set by
    this message (what a form validation action validates), an optional
    signed-in ``actor`` (its token in the message metadata)."""
    metadata = dict(metadata or {})
    if actor is not None:
        metadata["token"] = token_for(actor)
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update({"handoff_offered": False, "last_message_unclear": False})
    all_slots.update(slots or {})
    all_slots.update(just_set or {})
    latest = {"intent": {"name": intent, "confidence": 1.0}, "entities": list(entities or []), "text": text,
              "message_id": message_id or f"msg-{next(_ids)}", "metadata": metadata}
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata}]
    events += [SlotSet(k, v) for k, v in (just_set or {}).items()]
    if active_loop:
        all_slots["requested_slot"] = all_slots.get("requested_slot")
    return Tracker(sender, all_slots, latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action: Action, tracker: Tracker) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    """The variables sent with ``response`` (it must have been sent)."""
    for m in dispatcher.messages:
        if m.get("response") == response:
            return m
    raise AssertionError(f"{response} not sent; sent: {responses(dispatcher)}")
