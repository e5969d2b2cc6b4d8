"""What our pipeline components read from and write to a Rasa message, in one place.

* ``rank``: a new intent ranking, its first entry the message's intent (the sentence vote);
* ``overrule``: one intent first with confidence 1.0, the rest of the ranking kept under it
  (the unknown-words guard's fallback, the handoff net's request_human);
* ``mended_text``: the text as the typo corrector mended it (bot/components/typos.py), or None.
"""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.components.spelling import MENDED


def rank(message: Message, ranking: list[tuple[str, float]]) -> None:
    entries = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: score} for name, score in ranking]
    message.set(INTENT, entries[0], add_to_output=True)
    message.set(INTENT_RANKING_KEY, entries, add_to_output=True)


def overrule(message: Message, intent: str) -> None:
    rest = [(r[INTENT_NAME_KEY], r[PREDICTED_CONFIDENCE_KEY]) for r in message.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) != intent]
    rank(message, [(intent, 1.0), *rest])


def mended_text(message: Message) -> str | None:
    return (message.get(MENDED) or {}).get("text")
