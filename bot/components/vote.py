"""The second opinion on a message's intent: a logistic regression over its sentence embedding.

DIET learns from the sparse word and character counts and the dense features
together, and on phrasings unlike its training lines it can be confidently
wrong. A linear classifier over the all-MiniLM-L6-v2 sentence embedding alone
(the encoder was trained on a billion sentence pairs, so paraphrases land near
each other) errs on other lines. Averaging the two probability distributions
(bot/components/sentence_vote.py, between DIET and the FallbackClassifier) was
chosen offline on the first independent set and the calibration lines, then
measured in the model: accuracy 0.922 → 0.935 on that set, calibration
out-of-domain lines acted on 1.9 % → 0.8 % at the 0.30 threshold, and set B
(which nobody tunes on) 0.795 → 0.828 (README, "The third round").

Pure numpy (no Rasa, no scikit-learn at run time), tested in the main
environment (tests/unit/bot/test_vote.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANKING_LENGTH = 10


@dataclass(frozen=True)
class LinearVote:
    """Multinomial logistic regression weights: P(intent | x) = softmax(W·x̂ + b), x̂ = x / |x|."""

    intents: tuple[str, ...]
    weights: np.ndarray  # (intents, dimension)
    bias: np.ndarray  # (intents,)

    def probabilities(self, sentence: np.ndarray) -> dict[str, float]:
        x = np.asarray(sentence, dtype=np.float64).reshape(-1)
        norm = np.linalg.norm(x)
        logits = self.weights @ (x / norm if norm else x) + self.bias
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return dict(zip(self.intents, (float(v) for v in p)))


def mixed(ranking: dict[str, float], vote: dict[str, float], weight: float) -> list[tuple[str, float]]:
    """(1 - weight) · the model's ranking + weight · the vote, best first, RANKING_LENGTH long.

    An intent missing from one side counts as 0 there (DIET reports its top ten only).
    """
    names = set(ranking) | set(vote)
    scores = {n: (1 - weight) * ranking.get(n, 0.0) + weight * vote.get(n, 0.0) for n in names}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:RANKING_LENGTH]
