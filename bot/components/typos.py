"""The typo corrector: misspelt words are read as the training word they stand for.

A Rasa 3.6 graph component placed right after the tokenizer (bot/config.yml). At
training time it counts the words of the training data (and stores the counts
in the model); on each incoming message it asks bot/components/spelling.py
which tokens are misspellings of a training word ("helo", "washng", "feedbak")
and then

* gives those tokens the mended word as their text and lemma, so the sparse
  featurizers count the word the customer meant;
* records the mended text and every token's span in it under ``text_mended``,
  which the dense featurizer encodes instead of the raw text and the
  unknown-words guard and the handoff net read beside the raw text.

The message's text, the tokens' offsets and so the entities' positions stay
those of what the customer typed; a message with no misspelling is untouched.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.spelling import MENDED, Speller, apply, english_words, shifted
from bot.components.stored import load_json, save_json

COUNTS_FILE = "word_counts.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TypoCorrector(GraphComponent):
    """Reads misspelt words as the training words they are nearest to."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["symspellpy"]

    def __init__(self, model_storage: ModelStorage, resource: Resource, counts: dict[str, int] | None = None) -> None:
        self._storage = model_storage
        self._resource = resource
        self.speller = Speller(counts or {})

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TypoCorrector:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        words = [t.text for m in training_data.training_examples for t in m.get(TOKENS_NAMES[TEXT]) or []]
        self.speller = Speller.from_words(words)
        save_json(self._storage, self._resource, COUNTS_FILE, self.speller.counts)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TypoCorrector:
        english_words()  # the 82,765-word dictionary read at start-up, not on the first customer's message
        return cls(model_storage, resource, load_json(model_storage, resource, COUNTS_FILE))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text, tokens = message.get(TEXT), message.get(TOKENS_NAMES[TEXT])
            if not text or not tokens or text.startswith("/"):
                continue
            mends = self.speller.mends((t.start, t.end, t.text) for t in tokens)
            if not mends:
                continue
            by_start = {m.start: m.word for m in mends}
            for token in tokens:
                if token.start in by_start:
                    token.text = token.lemma = by_start[token.start]
            message.set(MENDED, {"text": apply(text, mends), "spans": shifted([(t.start, t.end) for t in tokens], mends)})
        return messages
