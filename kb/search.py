"""Hybrid search over the index: dense (FAISS) + lexical (BM25), filters, "not sure".

``Searcher`` is what the bot, the hub and the API hold (one per process). It
loads the index from its folder, notices when another process writes a newer
generation (the manifest changes) and swaps to it without a restart; if the
new files are unusable it keeps serving the previous one.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np

from backend.knowledge.content import slugify
from kb.bm25 import BM25
from kb.encoder import Encoder
from kb.store import HNSW_EF_SEARCH, KbIndexError, VectorStore, manifest_signature
from kb.support import Support
from kb.text import normalise_query, query_terms, tokenize

log = logging.getLogger("kb.search")

# Fusion, chosen by measuring on StackFAQ (bench/results/kb_eval.md): "boost" ranks
# by cosine + BOOST_WEIGHT * bm25 / (bm25 + BOOST_HALF). The lexical part is bounded
# (< BOOST_WEIGHT), so it reorders near-ties (an error code, a model number, a
# rare word) but never lets a keyword match outrank a clearly closer meaning.
# A min-max blend and reciprocal-rank fusion both fell below dense alone there.
DEFAULT_FUSION = "boost"
BOOST_WEIGHT = 0.10
BOOST_HALF = 10.0  # the BM25 score that earns half the boost
BLEND_ALPHA = 0.7
CANDIDATES = 50  # passages taken from each side before fusing
EXACT_SUBSET = 4096  # a filter leaving fewer passages than this → exact numpy search on them
STAFF = frozenset({"agent", "manager", "admin"})
FUSIONS = ("dense", "lexical", "boost", "blend", "rrf")


@dataclass(frozen=True)
class Hit:
    article_id: int
    slug: str
    title: str
    heading: str
    passage_id: int
    text: str  # the whole passage (what the bot answers with)
    snippet: str  # a short extract around the query's words
    score: float  # the fused score used for ranking
    dense_score: float  # cosine similarity of query and passage
    lexical_score: float  # BM25
    language: str
    tags: tuple[str, ...]
    status: str
    version: int
    support: float | None = None  # the support check's coverage of the query by this article (best hit only)


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    confident: bool
    # "ok" | "low_confidence" | "unsupported" | "no_match" | "empty_query" | "no_index" | "unavailable"
    reason: str
    generation: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.confident and self.hits else None


@dataclass(frozen=True)
class Ranked:
    position: int  # passage position in the snapshot
    score: float
    dense: float
    lexical: float


class Snapshot:
    """An immutable, loaded generation of the index, ready to answer queries."""

    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self.generation = store.generation
        self.passages = store.passages
        n = len(self.passages)
        self.vectors = store.vectors()
        self.live = np.fromiter((p.id not in store.deleted for p in self.passages), dtype=bool, count=n)
        self.languages = np.array([p.language.split("-")[0] for p in self.passages] or [""], dtype=object)[:n]
        self.published = np.fromiter((p.status == "published" for p in self.passages), dtype=bool, count=n)
        self.article_ids = np.fromiter((p.article_id for p in self.passages), dtype=np.int64, count=n)
        self.passage_ids = np.fromiter((p.id for p in self.passages), dtype=np.int64, count=n)
        self.position = {p.id: i for i, p in enumerate(self.passages)}
        self.tag_rows: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            for tag in p.tags:
                self.tag_rows.setdefault(tag, []).append(i)
        tokens = [tokenize(p.indexed_text()) if self.live[i] else [] for i, p in enumerate(self.passages)]
        self.bm25 = BM25(tokens)
        articles: dict[int, set[str]] = {}
        for i, p in enumerate(self.passages):
            if tokens[i]:
                articles.setdefault(p.article_id, set()).update(tokens[i])
        self.support = Support(articles)  # does an article hold the question's words? (kb/support.py)
        self._masks: dict[tuple, tuple[np.ndarray, faiss.IDSelector | None]] = {}
        self._mask_lock = threading.Lock()

    def mask(self, *, language: str | None, tags: Sequence[str] | None, drafts: bool):
        """(allowed passages as a bool array, a FAISS selector for them) — cached per filter."""
        key = (language.split("-")[0].lower() if language else None, tuple(sorted(set(tags or ()))), drafts)
        with self._mask_lock:
            cached = self._masks.get(key)
        if cached is not None:
            return cached
        allowed = self.live.copy()
        if not drafts:
            allowed &= self.published
        if key[0]:
            allowed &= self.languages == key[0]
        if key[1]:
            tagged = np.zeros_like(allowed)
            for tag in key[1]:
                tagged[self.tag_rows.get(tag, [])] = True
            allowed &= tagged
        selector = None
        if not allowed.all():
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(self.passage_ids[allowed]))
        with self._mask_lock:
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[key] = (allowed, selector)
        return allowed, selector

    def dense(self, query: np.ndarray, depth: int, allowed: np.ndarray, selector) -> tuple[np.ndarray, np.ndarray]:
        """Positions and cosine scores of the best ``depth`` allowed passages."""
        count = int(allowed.sum())
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        depth = min(depth, count)
        if count <= EXACT_SUBSET and selector is not None:
            rows = np.flatnonzero(allowed)
            scores = self.vectors[rows] @ query
            top = np.argsort(-scores, kind="stable")[:depth]
            return rows[top], scores[top]
        params = None
        if selector is not None:
            if self.store.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, depth))
            else:
                params = faiss.SearchParameters(sel=selector)
        elif self.store.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, depth))
        scores, ids = self.store.index.search(query[None, :], depth, params=params)
        keep = ids[0] >= 0
        positions = np.fromiter((self.position[int(i)] for i in ids[0][keep]), dtype=np.int64)
        return positions, scores[0][keep]


def _minmax(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


def rank(snapshot: Snapshot, query_vector: np.ndarray, terms: Sequence[str], *, allowed: np.ndarray,
         selector=None, fusion: str = DEFAULT_FUSION, weight: float | None = None,
         depth: int = CANDIDATES) -> list[Ranked]:
    """All candidate passages, best first, by ``fusion`` ∈ dense | lexical | boost | blend | rrf.

    ``weight`` is β of boost (default ``BOOST_WEIGHT``) or α of blend (``BLEND_ALPHA``).
    """
    if fusion not in FUSIONS:
        raise ValueError(f"fusion is one of {FUSIONS}")
    lexical_all = snapshot.bm25.scores(terms) if terms else np.zeros(len(snapshot.passages), np.float32)
    if selector is not None or not allowed.all():
        lexical_all[~allowed] = 0.0
    d_pos = d_scores = np.zeros(0, dtype=np.int64)
    if fusion != "lexical":
        d_pos, d_scores = snapshot.dense(query_vector, depth, allowed, selector)
    l_pos = np.zeros(0, dtype=np.int64)
    if fusion != "dense":
        nonzero = np.flatnonzero(lexical_all > 0)
        if nonzero.size > depth:
            nonzero = nonzero[np.argpartition(-lexical_all[nonzero], depth - 1)[:depth]]
        l_pos = nonzero[np.argsort(-lexical_all[nonzero], kind="stable")]
    candidates = np.unique(np.concatenate([d_pos, l_pos])).astype(np.int64)
    if candidates.size == 0:
        return []
    dense = snapshot.vectors[candidates] @ query_vector
    lexical = lexical_all[candidates]
    if fusion == "dense":
        fused = dense
    elif fusion == "lexical":
        fused = lexical
    elif fusion == "boost":
        beta = BOOST_WEIGHT if weight is None else weight
        fused = dense + beta * lexical / (lexical + BOOST_HALF)
    elif fusion == "blend":
        alpha = BLEND_ALPHA if weight is None else weight
        lex_max = float(lexical.max())
        lex_norm = lexical / lex_max if lex_max > 0 else np.zeros_like(lexical)
        fused = alpha * _minmax(dense) + (1.0 - alpha) * lex_norm
    else:  # reciprocal-rank fusion, k = 60
        d_rank = {int(p): r for r, p in enumerate(d_pos)}
        l_rank = {int(p): r for r, p in enumerate(l_pos)}
        fused = np.array([
            (1.0 / (61 + d_rank[p]) if p in d_rank else 0.0) + (1.0 / (61 + l_rank[p]) if p in l_rank else 0.0)
            for p in candidates.tolist()
        ])
    order = np.lexsort((-dense, -fused))
    return [Ranked(int(candidates[i]), float(fused[i]), float(dense[i]), float(lexical[i])) for i in order]


def best_per_article(snapshot: Snapshot, ranked: Sequence[Ranked], k: int) -> list[Ranked]:
    seen: set[int] = set()
    out: list[Ranked] = []
    for item in ranked:
        article = int(snapshot.article_ids[item.position])
        if article in seen:
            continue
        seen.add(article)
        out.append(item)
        if len(out) == k:
            break
    return out


_SENTENCES = re.compile(r"(?<=[.!?।。])\s+|\n+")


def snippet(text: str, terms: Sequence[str], limit: int = 280) -> str:
    """The sentence with most query words, grown with its neighbours up to ``limit`` chars."""
    sentences = [s.strip() for s in _SENTENCES.split(text) if s.strip()]
    if not sentences:
        return ""
    wanted = set(terms)
    scores = [len(wanted.intersection(tokenize(s))) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    start = end = best
    out = sentences[best]
    while True:
        grown = False
        if end + 1 < len(sentences) and len(out) + len(sentences[end + 1]) + 1 <= limit:
            end += 1
            out = f"{out} {sentences[end]}"
            grown = True
        if start > 0 and len(out) + len(sentences[start - 1]) + 1 <= limit:
            start -= 1
            out = f"{sentences[start]} {out}"
            grown = True
        if not grown:
            break
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0] + "…"
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(sentences) - 1 and not out.endswith("…") else ""
    return prefix + out + suffix


def _faiss_threads() -> None:
    """One OpenMP thread for single-query search (``$KB_FAISS_THREADS`` to change):
    with more, a busy machine makes FAISS spin-wait for milliseconds per query."""
    faiss.omp_set_num_threads(int(os.environ.get("KB_FAISS_THREADS") or 1))


class Searcher:
    """Search the index in ``folder``; reloads it when a newer generation appears.

    ``search(query, language=, tags=, audience=, k=)`` never raises for bad
    queries or a missing/broken index: the result says why it has no answer.
    A best hit is an answer (``confident``) when its cosine reaches the
    threshold and, unless ``support=False``, the support check finds the
    question's content in that article (else the reason is "unsupported").
    """

    def __init__(self, folder: Path | str, encoder: Encoder | None = None, *, threshold: float | None = None,
                 fusion: str = DEFAULT_FUSION, weight: float | None = None, check_interval: float = 2.0,
                 support: bool = True) -> None:
        if fusion not in FUSIONS:
            raise ValueError(f"fusion is one of {FUSIONS}")
        self.folder = Path(folder)
        self._encoder = encoder
        self._threshold = threshold
        self.fusion, self.weight = fusion, weight
        # answer only when the best article also holds the question's content words (kb/support.py)
        self.support = support
        self.check_interval = check_interval
        self._snapshot: Snapshot | None = None
        self._signature: tuple | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self.last_error: str | None = None
        _faiss_threads()

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            from kb.encoder import default_encoder

            self._encoder = default_encoder()
        return self._encoder

    @property
    def threshold(self) -> float:
        return self._threshold if self._threshold is not None else self.encoder.confidence_threshold

    @property
    def generation(self) -> int:
        return self._snapshot.generation if self._snapshot else 0

    def status(self) -> dict:
        snap = self._snapshot
        return {
            "folder": str(self.folder),
            "generation": snap.generation if snap else 0,
            "passages": snap.store.count if snap else 0,
            "articles": len(snap.store.articles) if snap else 0,
            "index_kind": snap.store.kind if snap else None,
            "last_error": self.last_error,
        }

    def refresh(self, *, force: bool = False) -> bool:
        """Load the index if the manifest changed since last time; True if a new one is in use."""
        now = time.monotonic()
        if not force and self._snapshot is not None and now - self._checked_at < self.check_interval:
            return False
        if not self._lock.acquire(blocking=force or self._snapshot is None):
            return False  # another thread is loading; keep answering from the current index
        try:
            self._checked_at = now
            signature = manifest_signature(self.folder)
            if signature is None or (signature == self._signature and not force):
                if signature is None and self._snapshot is None:
                    self.last_error = f"no index at {self.folder}"
                return False
            try:
                store = VectorStore.load(self.folder, model=self.encoder.name, dimension=self.encoder.dimension)
            except KbIndexError as exc:
                self.last_error = exc.message
                self._signature = signature  # do not retry the same broken files on every query
                log.warning("knowledge index not loaded (%s): %s; %s", exc.reason, exc.message,
                            "keeping the previous one" if self._snapshot else "no index in use")
                return False
            self._snapshot = Snapshot(store)
            self._signature = signature
            self.last_error = None
            log.info("knowledge index generation %s loaded: %s passages", store.generation, store.count)
            return True
        finally:
            self._lock.release()

    def warm_up(self) -> None:
        """Load the index and the model now rather than on the first question (call at startup)."""
        self.refresh(force=True)
        self.encoder.encode(["warm up"])

    def search(self, query: str, *, language: str | None = None, tags: Sequence[str] | None = None,
               audience: str = "customer", k: int = 5) -> SearchResult:
        started = time.perf_counter()
        text = normalise_query(query if isinstance(query, str) else "")
        terms = query_terms(text)
        if not text or not (terms or any(ch.isalnum() for ch in text)):
            return SearchResult(text, [], False, "empty_query", self.generation)
        self.refresh()
        snap = self._snapshot
        if snap is None:
            return SearchResult(text, [], False, "no_index")
        allowed, selector = snap.mask(language=language, tags=[slugify(str(t)) for t in tags or ()],
                                      drafts=audience in STAFF)
        try:
            vector = self.encoder.encode([text])[0]
        except Exception:  # a broken model must not take the chat down with it
            log.exception("query encoding failed")
            return SearchResult(text, [], False, "unavailable", snap.generation)
        encoded = time.perf_counter()
        ranked = rank(snap, vector, terms, allowed=allowed, selector=selector, fusion=self.fusion, weight=self.weight)
        top = best_per_article(snap, ranked, max(1, min(int(k), 50)))
        hits = [self._hit(snap, r, terms) for r in top]
        done = time.perf_counter()
        timings = {"encode": (encoded - started) * 1e3, "rank": (done - encoded) * 1e3}
        if not hits:
            return SearchResult(text, [], False, "no_match", snap.generation, timings)
        if hits[0].dense_score < self.threshold:
            return SearchResult(text, hits, False, "low_confidence", snap.generation, timings)
        if self.support:
            verdict = snap.support.check(terms, hits[0].article_id, hits[0].dense_score)
            hits[0] = replace(hits[0], support=verdict.coverage)
            if not verdict.supported:
                return SearchResult(text, hits, False, "unsupported", snap.generation, timings)
        return SearchResult(text, hits, True, "ok", snap.generation, timings)

    @staticmethod
    def _hit(snap: Snapshot, r: Ranked, terms: Sequence[str]) -> Hit:
        p = snap.passages[r.position]
        return Hit(p.article_id, p.slug, p.title, p.heading, p.id, p.text, snippet(p.text, terms), round(r.score, 4),
                   round(r.dense, 4), round(r.lexical, 4), p.language, p.tags, p.status, p.version)
