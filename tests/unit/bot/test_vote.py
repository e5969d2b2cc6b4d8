"""The sentence vote's arithmetic (bot/components/vote.py): a softmax over linear scores of the
unit-length sentence vector, averaged with the model's ranking."""

from __future__ import annotations

import numpy as np
import pytest

from bot.components.vote import RANKING_LENGTH, LinearVote, mixed


def test_probabilities_are_a_softmax_of_the_linear_scores_of_the_unit_vector():
    vote = LinearVote(("greet", "thank"), np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0.0, 0.0]))
    p = vote.probabilities(np.array([30.0, 0.0]))  # any length: only the direction counts
    assert p["greet"] == pytest.approx(np.exp(2) / (np.exp(2) + 1))
    assert sum(p.values()) == pytest.approx(1.0)
    assert vote.probabilities(np.array([3.0, 0.0])) == pytest.approx(p)


def test_a_zero_vector_gets_the_bias_alone():
    vote = LinearVote(("a", "b"), np.ones((2, 3)), np.array([0.0, np.log(3)]))
    assert vote.probabilities(np.zeros(3))["b"] == pytest.approx(0.75)


def test_the_mix_averages_and_can_overturn_a_confident_wrong_guess():
    ranking = {"out_of_scope": 0.9, "check_request_status": 0.1}
    vote = {"check_request_status": 0.95, "out_of_scope": 0.05}
    assert mixed(ranking, vote, 0.5) == [("check_request_status", pytest.approx(0.525)),
                                         ("out_of_scope", pytest.approx(0.475))]


def test_an_intent_missing_from_one_side_counts_as_zero_there_and_the_ranking_is_cut():
    ranking = {f"i{k}": 0.1 for k in range(10)}
    vote = {"elsewhere": 1.0}
    result = mixed(ranking, vote, 0.5)
    assert result[0] == ("elsewhere", pytest.approx(0.5))
    assert len(result) == RANKING_LENGTH


def test_weight_zero_keeps_the_model_and_one_takes_the_vote():
    ranking, vote = {"a": 0.7, "b": 0.3}, {"a": 0.2, "b": 0.8}
    assert mixed(ranking, vote, 0.0)[0] == ("a", pytest.approx(0.7))
    assert mixed(ranking, vote, 1.0)[0] == ("b", pytest.approx(0.8))
