"""The handoff net: a keyword and pattern check after the classifiers (bot/config.yml, last).

Every message Rasa parses passes through it, so asking for a person or showing
frustration reaches ``request_human`` (and so ``action_handoff`` and the
live-chat queue) whatever DIET or the fallback made of it: the handoff never
depends on the model alone. The patterns are in handoff_patterns.py.

On a hit the intent becomes ``request_human`` with confidence 1.0 (first in
the ranking) and the message gets an entity ``handoff_trigger`` (``asked`` or
``frustrated``) that action_handoff passes on as the handoff's reason.
Messages starting with "/" (buttons) are left alone. Where the typo corrector
mended a misspelling ("a real persn"), the mended text is checked too.

The other way round, a message that only asks about the bot ("am I talking to
a live agent or a program?") and that the model read as request_human becomes
``bot_challenge``: the customer gets the honest answer, which says how to reach
a person, instead of a help-desk agent being called for a question.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.handoff_patterns import about_the_bot_only, trigger
from bot.components.messages import mended_text, overrule

HANDOFF_INTENT = "request_human"
ABOUT_THE_BOT_INTENT = "bot_challenge"
TRIGGER_ENTITY = "handoff_trigger"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class HandoffNet(GraphComponent):
    """Sends a request for a person, or frustration, to request_human whatever the model said."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": HANDOFF_INTENT, "about_the_bot_intent": ABOUT_THE_BOT_INTENT}

    def __init__(self, config: dict[str, Any]) -> None:
        self.intent = config.get("intent") or HANDOFF_INTENT
        self.about_the_bot_intent = config.get("about_the_bot_intent") or ABOUT_THE_BOT_INTENT

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> HandoffNet:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            mended = mended_text(message)
            why = trigger(text) or (trigger(mended) if mended else None)
            if why is None:
                said = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
                if said == self.intent and about_the_bot_only(text):  # (nothing asked: trigger said None)
                    overrule(message, self.about_the_bot_intent)
                continue
            overrule(message, self.intent)
            entities = [e for e in message.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_TYPE) != TRIGGER_ENTITY]
            entities.append({ENTITY_ATTRIBUTE_TYPE: TRIGGER_ENTITY, ENTITY_ATTRIBUTE_VALUE: why,
                             ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(text), EXTRACTOR: "HandoffNet"})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
