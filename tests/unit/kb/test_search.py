"""Hybrid search: filters, fusion, "not sure", odd queries, and reloading a newer index."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb.encoder import HashingEncoder, normalise
from kb.indexer import index_documents
from kb.search import Searcher, Snapshot, best_per_article, rank, snippet
from kb.store import MANIFEST, ArticleDoc, VectorStore

DOCS = [
    ArticleDoc(1, "washer-errors", "Washing machine error codes",
               "## E3 door not locked\nClose the door firmly until it clicks.\n\n"
               "## E2 not draining\nClean the drain pump filter.", ("washing-machine", "error-codes")),
    ArticleDoc(2, "ac-cooling", "AC not cooling", "Set cool mode. Clean the air filters every two weeks.",
               ("air-conditioner",)),
    ArticleDoc(3, "fridge-noise", "Refrigerator noises", "A hum from the compressor is normal.",
               ("refrigerator",), status="draft"),
    ArticleDoc(4, "booking-hi", "सर्विस विज़िट कैसे बुक करें", "चैट में सर्विस बुक करें लिखें।", ("booking",), "hi"),
]


def _build(folder, encoder, docs=DOCS) -> VectorStore:
    store = VectorStore(model=encoder.name, dimension=encoder.dimension)
    index_documents(store, encoder, list(docs))
    store.save(folder)
    return store


@pytest.fixture
def searcher(index_dir, encoder) -> Searcher:
    _build(index_dir, encoder)
    return Searcher(index_dir, encoder, threshold=0.2, check_interval=0)


def _slugs(result):
    return [h.slug for h in result.hits]


def test_the_right_article_comes_first_with_a_snippet(searcher):
    result = searcher.search("washing machine door not locked E3")
    assert result.confident and result.reason == "ok"
    best = result.best
    assert (best.slug, best.heading) == ("washer-errors", "E3 door not locked")
    assert "door" in best.snippet.lower() and best.text.startswith("Close the door")
    assert len(result.hits) == len(set(_slugs(result)))  # one hit per article


def test_customers_never_see_drafts_staff_do(searcher):
    assert "fridge-noise" not in _slugs(searcher.search("refrigerator compressor hum"))
    staff = searcher.search("refrigerator compressor hum", audience="agent")
    assert staff.hits[0].slug == "fridge-noise" and staff.hits[0].status == "draft"


def test_language_and_tag_filters(searcher):
    assert _slugs(searcher.search("सर्विस बुक", language="hi")) == ["booking-hi"]
    assert "booking-hi" not in _slugs(searcher.search("सर्विस बुक", language="en"))
    assert _slugs(searcher.search("sarvis", language="en-IN", tags=["Air Conditioner"])) == ["ac-cooling"]
    result = searcher.search("clean the filter", tags=["no-such-product"])
    assert (result.hits, result.reason, result.confident) == ([], "no_match", False)


@pytest.mark.parametrize("query", ["", "   ", "?!…", None])
def test_empty_queries_get_a_reason_not_an_error(searcher, query):
    result = searcher.search(query)
    assert (result.hits, result.confident, result.reason) == ([], False, "empty_query")


@pytest.mark.parametrize("query", ["door " * 50_000, "😀 🔧 洗濯機 エラー", "\x00\x07 e3 \u202e"])
def test_queries_of_any_length_or_script_are_answered(searcher, query):
    result = searcher.search(query)
    assert result.reason in ("ok", "low_confidence", "no_match")
    assert len(result.query) <= 2000


def test_below_the_threshold_the_answer_is_not_sure(index_dir, encoder):
    _build(index_dir, encoder)
    strict = Searcher(index_dir, encoder, threshold=0.99)
    result = strict.search("clean the air filters")
    assert result.hits and not result.confident and result.best is None and result.reason == "low_confidence"


def test_without_an_index_the_reason_says_so(tmp_path, encoder):
    result = Searcher(tmp_path / "nothing", encoder).search("washing machine")
    assert (result.hits, result.reason) == ([], "no_index")


def test_a_newer_index_is_picked_up_without_restart(searcher, index_dir, encoder):
    assert searcher.search("microwave sparks").best is None or searcher.generation == 1
    store = VectorStore.load(index_dir, model=encoder.name, dimension=encoder.dimension)
    index_documents(store, encoder, [ArticleDoc(5, "microwave", "Microwave sparks", "Remove metal and foil.")])
    store.save(index_dir)  # as another process would
    result = searcher.search("microwave sparks metal foil")
    assert result.generation == 2 and result.best.slug == "microwave"


def test_a_broken_newer_index_keeps_the_previous_one_in_use(searcher, index_dir):
    assert searcher.search("air filters").best.slug == "ac-cooling"
    manifest = json.loads((index_dir / MANIFEST).read_text())
    manifest["generation"] = 2
    (index_dir / manifest["index_file"]).write_bytes(b"garbage")
    (index_dir / MANIFEST).write_text(json.dumps(manifest))
    result = searcher.search("air filters")
    assert result.best.slug == "ac-cooling" and result.generation == 1
    assert "checksum" in searcher.last_error


def test_an_index_of_another_model_is_not_used(index_dir, encoder):
    _build(index_dir, HashingEncoder(64, name="other-model"))
    searcher = Searcher(index_dir, encoder)
    assert searcher.search("air filters").reason == "no_index"
    assert "other-model" in searcher.last_error


class TableEncoder:
    """Fixed vectors for fixed texts, to pin down how the fusion behaves."""

    name, dimension, confidence_threshold = "table", 3, 0.5

    def __init__(self, table):
        self.table = table

    def encode(self, texts, **_):
        return normalise(np.array([self.table[t] for t in texts], dtype=np.float32))


def test_boost_fusion_breaks_near_ties_with_words_but_never_overrides_meaning(tmp_path):
    docs = [ArticleDoc(1, "close", "Close", "door latch problem"),
            ArticleDoc(2, "code", "Code", "error e7 explained"),
            ArticleDoc(3, "far", "Far", "error e7 table")]
    query = "error e7"
    texts = {"Close\ndoor latch problem": [0.80, 0.60, 0.0], "Code\nerror e7 explained": [0.797, 0.604, 0.0],
             "Far\nerror e7 table": [0.30, 0.0, 0.95], query: [1.0, 0.0, 0.0]}
    encoder = TableEncoder(texts)
    store = VectorStore(model="table", dimension=3)
    index_documents(store, encoder, docs)
    snap = Snapshot(store)
    qv = encoder.encode([query])[0]
    terms = ["error", "e7"]

    def order(fusion):
        ranked = rank(snap, qv, terms, allowed=snap.live, fusion=fusion)
        return [snap.passages[r.position].slug for r in best_per_article(snap, ranked, 3)]

    assert order("dense") == ["close", "code", "far"]
    assert "close" not in order("lexical")  # no shared word
    assert order("boost") == ["code", "close", "far"]  # a near-tie goes to the exact code; "far" stays last


def test_snippets_are_short_and_centred_on_the_query():
    text = " ".join(f"Filler sentence {i}." for i in range(30)) + " The drain filter is at the front. " + \
        " ".join(f"More filler {i}." for i in range(30))
    cut = snippet(text, ["drain", "filter"], limit=120)
    assert "drain filter" in cut and len(cut) <= 125 and cut.startswith("… ")
