"""Do-nothing stand-ins for every custom action of the bot (the bare-Rasa floor).

Served instead of ``actions`` by ``bench/bot_turns.py``: same names, same HTTP
round trip to the action server, no backend work. A form's validation action
ends the form at once, so a turn runs the same actions as with the real
server (form, then its submit action).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk import Action
from rasa_sdk.events import SlotSet

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"


def _names() -> list[str]:
    names: list[str] = []
    for path in sorted(DOMAIN.glob("*.yml")):
        names += [a for a in (yaml.safe_load(path.read_text()) or {}).get("actions", []) if not a.startswith("utter_")]
    return names


def _make(action_name: str) -> type[Action]:
    events = [SlotSet("requested_slot", None)] if action_name.startswith("validate_") else []

    class Noop(Action):
        def name(self) -> str:
            return action_name

        async def run(self, dispatcher, tracker, domain):
            return list(events)

    Noop.__name__ = Noop.__qualname__ = "Noop_" + action_name
    globals()[Noop.__name__] = Noop  # importable by name: the server pickles its app for its worker
    return Noop


NOOPS = [_make(name) for name in _names()]
