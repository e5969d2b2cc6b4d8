"""The bot's sentence encoder (bot/components/minilm.py: the int8 ONNX export of
all-MiniLM-L6-v2 that `make train` makes, run with onnxruntime) gives the vectors the
knowledge base's encoder gives (sentence-transformers on the same package's weights)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.components.minilm import FILES, MiniLM, default_folder

pytestmark = pytest.mark.model
SENTENCES = ["what is the status of SR-000123", "my AC is not cooling, please send someone",
             "मेरा एसी ठंडा नहीं कर रहा", "set an alarm for 7 am", "I want to talk to a human"]


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    folder = default_folder()
    if not all((folder / f).exists() for f in FILES):
        pytest.skip(f"no exported encoder at {folder}: run `make train` (make test trains first)")
    return MiniLM(folder)


def test_sentence_vectors_match_sentence_transformers(encoder):
    from kb.encoder import MiniLMEncoder

    ours = np.stack([e.sentence for e in encoder.encode(SENTENCES)])
    theirs = MiniLMEncoder().encode(SENTENCES)
    cosines = (ours * theirs).sum(1)
    assert cosines.min() > 0.98, cosines  # int8 weights: 0.99 measured
    # and the meaning is kept: each sentence is closest to itself
    assert ((ours @ theirs.T).argmax(1) == np.arange(len(SENTENCES))).all()


def test_word_pieces_come_with_their_place_in_the_text(encoder):
    [e] = encoder.encode(["washing machine SR-000123"])
    assert e.pieces.shape == (len(e.offsets), encoder.dimension)
    assert "washing machine SR-000123"[e.offsets[0][0]:e.offsets[0][1]] == "washing"
    assert np.isclose(np.linalg.norm(e.sentence), 1.0, atol=1e-4)
