"""The unknown-words guard: a message the bot has no word for is not understood.

DIET always names some intent, and with character n-grams and dense features
even keyboard noise ("florp", "zyx quib flarn") or bare punctuation ("???")
can get a confident one ("stop", "affirm"). A person would say "sorry, I
didn't get that". This component (bot/config.yml, after the FallbackClassifier,
before the handoff net) learns the words of the training data, and turns into
``nlu_fallback`` a message that

has no word seen in training: keyboard noise, or no word at all ("???", an
emoji alone). A misspelling beside one known word still reaches the model
("wat r my jobs" has "my" and "jobs"); so does anything with a digit ("5"
answering a rating, a phone number, a reference), an entity a rule-based
extractor found (an e-mail address), and a button payload ("/..."). A word the
typo corrector mended to a training word ("helo") counts as known.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES, EXTRACTOR, TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.messages import mended_text, overrule
from bot.components.stored import load_json, save_json
from bot.components.vocabulary import unreadable, words

FALLBACK_INTENT = "nlu_fallback"
VOCABULARY_FILE = "vocabulary.json"


def extracted(message: Message) -> bool:
    """A rule-based extractor found something (DIET's guesses on unknown words do not count)."""
    return any(e.get(EXTRACTOR) != "DIETClassifier" for e in message.get(ENTITIES) or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """Messages made only of words never seen in training become nlu_fallback."""

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 vocabulary: frozenset[str] = frozenset()) -> None:
        self._storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UnknownWordsGuard:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        seen: set[str] = set()
        for example in training_data.training_examples:
            seen.update(words(example.get(TEXT) or ""))
        for table in training_data.lookup_tables:
            for element in table.get("elements") or []:
                seen.update(words(str(element)))
        for synonym, value in training_data.entity_synonyms.items():
            seen.update(words(f"{synonym} {value}"))
        self.vocabulary = frozenset(seen)
        save_json(self._storage, self._resource, VOCABULARY_FILE, sorted(seen))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> UnknownWordsGuard:
        return cls(model_storage, resource, frozenset(load_json(model_storage, resource, VOCABULARY_FILE)))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = mended_text(message) or message.get(TEXT) or ""
            if not extracted(message) and unreadable(text, self.vocabulary):
                overrule(message, FALLBACK_INTENT)
        return messages
