"""Dense features from all-MiniLM-L6-v2 for DIET, beside the sparse n-gram counts.

A Rasa 3.6 graph component (a message featurizer, nothing to train): for the
text of every training example and every incoming message it adds

* a sentence feature: the normalised mean-pooled sentence embedding (the
  vector the knowledge base searches with), scaled by sqrt(dimension) so its
  components are of the order of the sparse counts beside it;
* sequence features: one vector per token of the pipeline's tokenizer, the
  mean of the last-layer vectors of the word pieces inside that token (the
  sentence vector where a token has none, e.g. past the 128-piece cut).

Where the typo corrector (bot/components/typos.py) mended a misspelling, the
mended text is encoded, and each token is matched by its span in it.

Configuration (bot/config.yml): ``folder`` (default ``$NLU_ENCODER_DIR`` or
var/nlu-encoder, the export of ``python -m bot.components.export``), ``alias``.
The encoder is loaded once per process and shared by every instance.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.minilm import MiniLM, default_folder
from bot.components.spelling import MENDED

log = logging.getLogger(__name__)
BATCH = 64

_encoders: dict[str, MiniLM] = {}
_lock = threading.Lock()


def encoder_for(folder: str | None) -> MiniLM:
    key = str(folder or default_folder())
    with _lock:
        if key not in _encoders:
            _encoders[key] = MiniLM(key)
        return _encoders[key]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """all-MiniLM-L6-v2 sentence and token features (onnxruntime, offline)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "folder": None}

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self.encoder = encoder_for(self._config.get("folder"))
        self.scale = float(np.sqrt(self.encoder.dimension))

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MiniLMFeaturizer:
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        for start in range(0, len(todo), BATCH):
            chunk = [self._view(m) for m in todo[start:start + BATCH]]
            for (message, _, spans), encoded in zip(chunk, self.encoder.encode([text for _, text, _ in chunk])):
                sequence = self._token_vectors(spans, encoded)
                sentence = (encoded.sentence * self.scale)[None, :]
                self.add_features_to_message(sequence, sentence, TEXT, message)
        return messages

    @staticmethod
    def _view(message: Message) -> tuple[Message, str, list[tuple[int, int]]]:
        """The text to encode and each token's span in it: the mended text where there is one."""
        mended = message.get(MENDED)
        if mended:
            return message, mended["text"], [tuple(span) for span in mended["spans"]]
        return message, message.get(TEXT), [(t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT])]

    @staticmethod
    def _token_vectors(spans: list[tuple[int, int]], encoded) -> np.ndarray:
        """One vector per token: the mean of the word pieces whose characters fall inside its span."""
        starts = np.array([s for s, _ in encoded.offsets] or [0])
        ends = np.array([e for _, e in encoded.offsets] or [0])
        out = np.empty((len(spans), encoded.sentence.shape[0]), dtype=np.float32)
        for i, (start, end) in enumerate(spans):
            inside = (starts < end) & (ends > start) if encoded.offsets else np.zeros(0, bool)
            out[i] = encoded.pieces[inside].mean(0) if inside.any() else encoded.sentence
        return out
