"""The unknown-words guard's rule (bot/components/vocabulary.py): a message the bot has no
word for is not understood, whatever the model guessed; anything with one known word,
a digit or a button payload is left to the model."""

from __future__ import annotations

import pytest

from bot.components.vocabulary import unreadable, words

KNOWN = frozenset({"my", "jobs", "ac", "not", "cooling", "status", "hi", "cancel"})


@pytest.mark.parametrize("text", ["zyx quib flarn", "florp", "???", "...", "!!", "👍", "Qwop Zxcv?", "रुको"])
def test_messages_without_a_known_word_or_a_digit_are_not_understood(text):
    assert unreadable(text, KNOWN)


@pytest.mark.parametrize("text", ["wat r my jobs 2day", "AC nt cooling", "STATUS?", "hi!!!", "5", "9820012345",
                                  "SR-000123", "/request_human", "/cancel", "cancel karo"])
def test_one_known_word_a_digit_or_a_button_is_left_to_the_model(text):
    assert not unreadable(text, KNOWN)


def test_words_are_runs_of_letters_in_any_script_lower_cased():
    assert words("AC-15 nahi chal raha, रुको!") == ["ac", "nahi", "chal", "raha", "रुको"]
