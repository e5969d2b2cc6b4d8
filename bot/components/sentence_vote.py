"""The sentence vote: DIET's intent ranking averaged with a logistic regression over the sentence embedding.

A Rasa 3.6 intent classifier placed after DIETClassifier and before the
FallbackClassifier (bot/config.yml). At training time it fits scikit-learn's
LogisticRegression on the sentence features MiniLMFeaturizer gave every
training example (unit length, so ``C`` means the same whatever the scale)
and stores the weights in the model as plain arrays; on each message it mixes
DIET's ranking with the regression's probabilities (bot/components/vote.py), so
the fallback threshold applies to the mixed confidence. Messages without a
sentence feature (a button payload) are left as DIET left them.

Configuration: ``weight`` (the vote's share, 0.5: a plain average) and ``C``
(the regression's inverse regularisation, 64).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.messages import rank
from bot.components.stored import load_json, save_json
from bot.components.vote import LinearVote, mixed

log = logging.getLogger(__name__)
WEIGHTS_FILE = "sentence_vote.npz"
INTENTS_FILE = "sentence_vote_intents.json"


def sentence_vector(message: Message) -> np.ndarray | None:
    _, sentence = message.get_dense_features(TEXT)
    return None if sentence is None else np.asarray(sentence.features).reshape(-1)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceVote(GraphComponent):
    """Averages DIET's ranking with a logistic regression over the sentence embedding."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"weight": 0.5, "C": 64.0}

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vote: LinearVote | None = None) -> None:
        self.weight = float(config["weight"])
        self.c = float(config["C"])
        self._storage = model_storage
        self._resource = resource
        self.vote = vote

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceVote:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        rows = [(sentence_vector(m), m.get(INTENT)) for m in training_data.intent_examples]
        rows = [(v / (np.linalg.norm(v) or 1.0), intent) for v, intent in rows if v is not None and intent]
        if len({intent for _, intent in rows}) < 2:
            log.warning("sentence vote: fewer than two intents with sentence features; not trained")
            return self._resource
        fitted = LogisticRegression(C=self.c, max_iter=4000).fit(np.stack([v for v, _ in rows]),
                                                                 [intent for _, intent in rows])
        self.vote = LinearVote(tuple(str(c) for c in fitted.classes_), fitted.coef_, fitted.intercept_)
        with self._storage.write_to(self._resource) as folder:
            np.savez(folder / WEIGHTS_FILE, weights=self.vote.weights, bias=self.vote.bias)
        save_json(self._storage, self._resource, INTENTS_FILE, list(self.vote.intents))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SentenceVote:
        try:
            with model_storage.read_from(resource) as folder:
                arrays = np.load(folder / WEIGHTS_FILE)
                weights, bias = arrays["weights"], arrays["bias"]
            vote = LinearVote(tuple(load_json(model_storage, resource, INTENTS_FILE)), weights, bias)
        except (ValueError, FileNotFoundError):
            vote = None  # trained without data: DIET's ranking stands
        return cls({**cls.get_default_config(), **config}, model_storage, resource, vote)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.vote is None:
            return messages
        for message in messages:
            vector = sentence_vector(message)
            if vector is None or not message.get(INTENT_RANKING_KEY):
                continue
            ranking = {r[INTENT_NAME_KEY]: float(r[PREDICTED_CONFIDENCE_KEY]) for r in message.get(INTENT_RANKING_KEY)}
            rank(message, mixed(ranking, self.vote.probabilities(vector), self.weight))
        return messages
