"""Tokens for the lexical (BM25) side, and small text helpers shared by kb modules."""

from __future__ import annotations

import re
import unicodedata

# Letters and digits, plus the combining vowel signs of Indic, Thai and Myanmar scripts
# (Python's \w leaves those marks out and would cut "करें" into pieces); not the dandas.
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0900-\u0963\u0966-\u0dff\u0e00-\u0e7f\u1000-\u109f])+")
# Scripts written without spaces: index each character (a crude but safe fallback).
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves""".split()
)

MAX_QUERY_CHARS = 2_000
MAX_QUERY_TERMS = 64


def _stem(token: str) -> str:
    """A light English suffix strip (plurals, -ing, -ed) so 'errors' meets 'error'."""
    if len(token) <= 3 or not token.isascii() or not token.isalpha():
        return token
    for suffix, repl, min_len in (("ies", "y", 5), ("sses", "ss", 5), ("ing", "", 7), ("ed", "", 6),
                                  ("s", "", 4)):
        if token.endswith(suffix) and len(token) >= min_len:
            if suffix == "s" and token.endswith(("ss", "us", "is")):
                return token
            return token[: len(token) - len(suffix)] + repl
    return token


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words, lightly stemmed; any script."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for word in _WORD.findall(text):
        if _NO_SPACES.search(word):
            out.extend(ch for ch in word if not ch.isspace())
            continue
        if word in STOPWORDS:
            continue
        out.append(_stem(word))
    return out


def query_terms(query: str) -> list[str]:
    """Distinct terms of a query, capped so a pasted essay cannot stall search."""
    seen: dict[str, None] = {}
    for token in tokenize(query[:MAX_QUERY_CHARS]):
        seen.setdefault(token, None)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return list(seen)


def normalise_query(query: str) -> str:
    query = unicodedata.normalize("NFKC", query or "")
    query = "".join(ch if ch.isprintable() else " " for ch in query)
    return " ".join(query.split())[:MAX_QUERY_CHARS]
