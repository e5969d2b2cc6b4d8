"""Does the article actually support the question? A lexical check on top of the dense score.

The dense score alone says "close in meaning", and a question about a topic
the articles never mention ("the ice maker of my dishwasher") still lands
close to the nearest appliance article. ``Support`` asks a second, cheap
question of the best article: how much of the query's content is in it?

* The query's terms (``kb.text.tokenize``: lower-case, stop words out, light
  stemming) minus ``GENERIC`` words that say nothing about the topic ("fix",
  "problem", "please", "how").
* Each term weighs its inverse document frequency over the articles, so a
  word every article has counts little and a word the articles never use
  (``car``, ``dishwasher``, ``Australia``) counts most.
* A term is present in an article when the article (title, headings and text)
  has it, a synonym of it (``SYNONYMS``: fridge/refrigerator, AC/air
  conditioner, ...), a word it begins or that begins it (``install`` /
  ``installation``, 4+ letters), or — for a word no article has at all, so most
  likely a typo — a word one edit away (``filtr`` / ``filter``).
* coverage = weight of the present terms / weight of all terms.

How much coverage an answer needs depends on how close the dense score is:

| cosine of the best passage | answer when |
|---|---|
| >= 0.55 (``STRONG``) | always: the meaning is close enough on its own |
| 0.45 - 0.55 (``MIDDLE``) | coverage >= 0.6 (``NEED_MIDDLE``) |
| 0.35 (the encoder's threshold) - 0.45 | coverage >= 0.9 (``NEED_LOW``): nearly every content word is in the article |
| below 0.35 | never (unchanged) |

The tiers were chosen on one half of ``bench/kb_support_questions.yaml``
(unanswerable and answerable questions written for it) and checked on the
other half and on StackFAQ (``kb/eval_support.py``, `make eval-nlu`, figures in
``bench/results/nlu_eval.md``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.text import tokenize

STRONG = 0.55
MIDDLE = 0.45
NEED_MIDDLE = 0.6
NEED_LOW = 0.9

# Words that carry no topic: a question made only of these is left to the dense score.
GENERIC = frozenset(
    """fix fixing repair problem problems issue issues help please pls plz kindly need want wants tell know
    get make use using used good best better new old thing things way ways can could would should must
    hi hello hey sir madam ji thank thanks okay ok yes no also really still always again every any
    work working works worked not doesn't don't won't isn't didn't does do done happen happens happened
    what whats why how when where which who mean means meaning show shows showing keep keeps come comes
    start started stop stopped one two three time times day days today tomorrow yesterday now right
    mine let like just much many lot little bit sure check checking information info detail details find
    back even though enough say says said tell told give gives gave won t s d ll ve re m gett getting going
    go goes went making coming long last ended end month week year difference different between vs versus
    other another same kind type sort able possible normal usual usually actually please""".split()
)

# Pairs the articles write one way and customers another (both sides tokenised as queries are).
_SYNONYM_GROUPS = (
    ("fridge", "refrigerator"), ("ac", "conditioner", "aircon"), ("tv", "television"),
    ("geyser", "heater"), ("washer", "washing"), ("ro", "purifier"), ("microwave", "oven"),
    ("amc", "contract", "maintenance"), ("cmc", "contract", "comprehensive"), ("bill", "invoice", "billing"),
    ("pay", "payment"), ("technician", "engineer", "mechanic"), ("visit", "appointment", "booking", "book"),
    ("cold", "cool", "cooling"), ("leak", "leaking", "drip", "dripping"), ("code", "error"),
    ("stabilizer", "stabiliser"), ("warranty", "guarantee"), ("spare", "part"), ("expire", "lapse", "end"),
    ("prepare", "ready"), ("collect", "pool", "puddle"), ("unplug", "switch"), ("cancel", "cancellation"),
)
SYNONYMS: dict[str, frozenset[str]] = {}
for _group in _SYNONYM_GROUPS:
    _stems = {t for word in _group for t in tokenize(word)}
    for _t in _stems:
        SYNONYMS[_t] = SYNONYMS.get(_t, frozenset()) | frozenset(_stems - {_t})


def _deletes(word: str) -> set[str]:
    """The word with each one letter left out (a symmetric-delete neighbourhood)."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@dataclass(frozen=True)
class Verdict:
    supported: bool
    coverage: float  # 0..1, weighted share of the query's content found in the article
    missing: tuple[str, ...]  # the query terms the article does not have


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


class Support:
    """Article vocabularies of one index generation, and the check against them."""

    def __init__(self, articles: dict[int, Iterable[str]], *, strong: float = STRONG, middle: float = MIDDLE,
                 need_middle: float = NEED_MIDDLE, need_low: float = NEED_LOW) -> None:
        self.strong, self.middle, self.need_middle, self.need_low = strong, middle, need_middle, need_low
        self.terms: dict[int, frozenset[str]] = {a: frozenset(t) for a, t in articles.items()}
        self.df: dict[str, int] = {}
        for terms in self.terms.values():
            for term in terms:
                self.df[term] = self.df.get(term, 0) + 1
        self.size = max(1, len(self.terms))
        self._delete_index: dict[str, set[str]] | None = None  # built on the first unknown word

    @classmethod
    def from_passages(cls, passages: Sequence, live: Sequence[bool] | None = None, **kw) -> Support:
        """From index passages (``PassageRecord``: article_id and indexed_text())."""
        articles: dict[int, set[str]] = {}
        for i, p in enumerate(passages):
            if live is not None and not live[i]:
                continue
            articles.setdefault(p.article_id, set()).update(tokenize(p.indexed_text()))
        return cls(articles, **kw)

    def weight(self, term: str) -> float:
        return math.log((self.size + 1) / (self.df.get(term, 0) + 0.5))

    def _typo_neighbours(self, term: str) -> frozenset[str]:
        """Words of the index one edit (insert, delete, substitute) from a word no article has."""
        if len(term) < 4 or not term.isalpha():
            return frozenset()
        if self._delete_index is None:
            index: dict[str, set[str]] = {}
            for word in self.df:
                if len(word) >= 3 and word.isalpha():
                    index.setdefault(word, set()).add(word)
                    for d in _deletes(word):
                        index.setdefault(d, set()).add(word)
            self._delete_index = index
        found: set[str] = set()
        for key in _deletes(term) | {term}:
            found |= self._delete_index.get(key, set())
        # a shared delete can also mean two edits (ab-c vs a-bc); keep true one-edit neighbours
        return frozenset(w for w in found if _one_edit(term, w))

    def forms(self, term: str) -> frozenset[str]:
        """The term and what counts as the same word for it."""
        out = {term} | SYNONYMS.get(term, frozenset())
        if term not in self.df:
            out |= self._typo_neighbours(term)
        return frozenset(out)

    def _present(self, term: str, vocabulary: frozenset[str]) -> bool:
        forms = self.forms(term)
        if forms & vocabulary:
            return True
        long_forms = [f for f in forms if len(f) >= 4]
        return any(w.startswith(f) or (len(w) >= 4 and f.startswith(w)) for f in long_forms for w in vocabulary)

    def needed(self, dense: float) -> float:
        """The coverage an answer with this cosine needs (0 when the cosine alone suffices)."""
        if dense >= self.strong:
            return 0.0
        return self.need_middle if dense >= self.middle else self.need_low

    def check(self, terms: Sequence[str], article_id: int, dense: float = 0.0) -> Verdict:
        """Is the article with ``article_id`` an answer to a query of ``terms`` whose cosine with it is ``dense``?"""
        need = self.needed(dense)
        content = [t for t in dict.fromkeys(terms) if t not in GENERIC and not t.isdigit()]
        if not content:
            return Verdict(True, 1.0, ())  # nothing but generic words: the dense score decides
        vocabulary = self.terms.get(article_id, frozenset())
        total = present = 0.0
        missing = []
        for term in content:
            known = [f for f in self.forms(term) if f in self.df]
            # a typo or a synonym weighs what the word it stands for weighs; a word no article has weighs most
            w = max(min((self.weight(f) for f in known), default=self.weight(term)), 0.05)
            total += w
            if self._present(term, vocabulary):
                present += w
            else:
                missing.append(term)
        coverage = present / total if total else 1.0
        return Verdict(coverage >= need, round(coverage, 4), tuple(missing))
