"""Misspellings mended towards the bot's own words (the typo corrector, bot/components/typos.py).

Customers type "washng machin nt spinning", "helo", "resceduling" and "want to giv
feedbak". Character n-grams and the dense encoder soften a typo, but a short
message made of one or two misspelt words loses its only clue, and the
unknown-words guard then takes it for noise. A person reads past the typo.

The rule, learned at training time from the training data's own words and their
counts (nothing else is learned, and a message of known words is never touched):

* a word is mended only when it is made of letters, at least ``MIN_LENGTH``
  long, not a word of the training data and not an English word (SymSpell's
  82,765-word frequency dictionary): "saffron" or "socket" are words the bot
  does not know, not typos, and must stay out-of-scope;
* it becomes the training word nearest to it in Damerau-Levenshtein distance
  (at most 1 for words up to 5 letters, 2 for longer ones), ties going to the
  word the training data uses most (SymSpell's lookup);
* with no such word, it is left as it was;
* a message of several words none of which is a training word is noise
  ("zyx quib flarn" is one letter from "quit" and "learn"), not a run of typos:
  nothing in it is mended, and the unknown-words guard takes it. A message of
  one word ("helo", "thnks") is mended.

Pure functions over symspellpy, without Rasa, so the rule is tested in the main
environment (tests/unit/bot/test_spelling.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from symspellpy import SymSpell, Verbosity

MIN_LENGTH = 3
LONG_WORD = 6  # from this length two edits are allowed, below it one
ENGLISH_DICTIONARY = "frequency_dictionary_en_82_765.txt"
MENDED = "text_mended"  # the message attribute: {"text": mended text, "spans": each token's span in it}


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words of SymSpell's English frequency dictionary (shipped in the package)."""
    text = resources.files("symspellpy").joinpath(ENGLISH_DICTIONARY).read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


def max_distance(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


def candidate(word: str, known: Container[str]) -> bool:
    """Whether ``word`` (lower case) is one the corrector may mend."""
    return word.isalpha() and len(word) >= MIN_LENGTH and word not in known and word not in english_words()


@dataclass(frozen=True)
class Mend:
    start: int  # where the token was in the original text
    end: int
    word: str  # what it reads as now


class Speller:
    """Mends words towards the vocabulary it was built from (word → count in the training data)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in self.counts.items():
            self._symspell.create_dictionary_entry(word, count)

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Speller:
        return cls(Counter(w.lower() for w in words if w.isalpha()))

    def correct(self, word: str) -> str | None:
        """The training word ``word`` is a misspelling of, or None (known, English, or nothing near)."""
        lower = word.lower()
        if not candidate(lower, self.counts):
            return None
        found = self._symspell.lookup(lower, Verbosity.TOP, max_edit_distance=max_distance(lower))
        return found[0].term if found else None

    def mends(self, tokens: Iterable[tuple[int, int, str]]) -> list[Mend]:
        """For (start, end, text) tokens, the ones to read otherwise."""
        tokens = list(tokens)
        if len(tokens) > 1 and not any(text.lower() in self.counts for _, _, text in tokens):
            return []  # noise, not typos
        out = []
        for start, end, text in tokens:
            word = self.correct(text)
            if word is not None:
                out.append(Mend(start, end, word))
        return out


def apply(text: str, mends: list[Mend]) -> str:
    """``text`` with the mends spliced in."""
    pieces, at = [], 0
    for mend in sorted(mends, key=lambda m: m.start):
        pieces += [text[at:mend.start], mend.word]
        at = mend.end
    pieces.append(text[at:])
    return "".join(pieces)

def shifted(spans: list[tuple[int, int]], mends: list[Mend]) -> list[tuple[int, int]]:
    """Token spans of the original text moved to where they are in the mended text."""
    out = []
    for start, end in spans:
        shift = sum(len(m.word) - (m.end - m.start) for m in mends if m.start < start)
        own = next((len(m.word) - (m.end - m.start) for m in mends if m.start == start), 0)
        out.append((start + shift, end + shift + own))
    return out
