"""The typo corrector's rule (bot/components/spelling.py): a misspelt word is read as the
training word nearest to it; known words, English words, short words and anything
with a digit are left as they were."""

from __future__ import annotations

import pytest

from bot.components.spelling import Mend, Speller, apply, shifted

TRAINING_WORDS = ("hello my washing machine is not spinning i want to give feedback talk to a person "
                  "rescheduling the visit job completed bye nope thanks").split()


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller.from_words(TRAINING_WORDS)


@pytest.mark.parametrize(("typed", "meant"), [
    ("helo", "hello"), ("washng", "washing"), ("machin", "machine"), ("feedbak", "feedback"),
    ("giv", "give"), ("persn", "person"), ("resceduling", "rescheduling"), ("byee", "bye"),
    ("nopes", "nope"), ("compltd", "completed"), ("Helo", "hello"), ("viist", "visit"),
])
def test_a_misspelt_word_is_read_as_the_training_word_it_stands_for(speller, typed, meant):
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("word", ["hello", "washing", "Person"])
def test_a_word_of_the_training_data_is_never_touched(speller, word):
    assert speller.correct(word) is None


@pytest.mark.parametrize("word", ["saffron", "spanning", "socket", "flight"])
def test_an_english_word_the_bot_does_not_know_is_not_a_typo(speller, word):
    """"spanning" is one letter from "spinning", but a word of its own: out-of-scope text stays so."""
    assert speller.correct(word) is None


@pytest.mark.parametrize("word", ["ys", "hx", "a1b2", "sr-000123", "ok"])
def test_short_words_and_anything_with_a_digit_or_sign_are_left_alone(speller, word):
    assert speller.correct(word) is None


def test_short_words_get_one_edit_and_longer_ones_two(speller):
    assert speller.correct("vst") is None  # two edits from "visit": too far for three letters
    assert speller.correct("fedbak") == "feedback"  # six letters: two edits allowed
    assert speller.correct("zqxwvu") is None  # nothing near


def test_between_two_equally_near_words_the_more_used_one_wins():
    speller = Speller({"pan": 1, "pin": 9})
    assert speller.correct("pqn") == "pin"


def test_the_mended_text_keeps_everything_else_and_tokens_move_with_it(speller):
    text = "helo, my washng machin!"
    spans = [(0, 4), (6, 8), (9, 15), (16, 22)]
    mends = speller.mends((s, e, text[s:e]) for s, e in spans)
    assert mends == [Mend(0, 4, "hello"), Mend(9, 15, "washing"), Mend(16, 22, "machine")]
    mended = apply(text, mends)
    assert mended == "hello, my washing machine!"
    moved = shifted(spans, mends)
    assert [mended[s:e] for s, e in moved] == ["hello", "my", "washing", "machine"]


def test_a_message_without_misspellings_has_nothing_to_mend(speller):
    text = "my washing machine is not spinning"
    tokens = [(i, i + len(w), w) for i, w in ((text.index(w), w) for w in text.split())]
    assert speller.mends(tokens) == []


def test_several_words_none_of_them_known_are_noise_not_typos(speller):
    """"zyx quib flarn": each word is one letter from some word, but a person reads noise."""
    assert speller.mends([(0, 3, "zyx"), (4, 8, "quib"), (9, 14, "flarn")]) == []
    assert speller.mends([(0, 4, "helo")]) == [Mend(0, 4, "hello")]  # one word alone is mended
    assert speller.mends([(0, 4, "helo"), (5, 11, "washng")]) == []  # no anchor: left to the guard
