"""Which messages the bot has no word for (the unknown-words guard, bot/components/unknown_words.py).

Pure functions, without Rasa, so the rules are tested in the main environment
(tests/unit/bot/test_unknown_words.py).
"""

from __future__ import annotations

import re

WORD = re.compile(r"(?:[^\W\d_]|[\u0900-\u097f])+")  # runs of letters (with Devanagari's vowel signs)
DIGIT = re.compile(r"\d")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def unreadable(text: str, vocabulary: frozenset[str]) -> bool:
    """True when no word of the message is in ``vocabulary`` (so also when it has no
    word at all: "???"), unless it has a digit or is a button payload ("/...")."""
    if text.startswith("/") or DIGIT.search(text):
        return False  # a payload, or a reference, number, amount or rating: the model's
    return not any(w in vocabulary for w in words(text))
