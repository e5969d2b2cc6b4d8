"""The knowledge base's support check (kb/support.py): an article answers only a question whose
content words it holds, the closer the meaning the fewer it needs."""

from __future__ import annotations

from kb.encoder import HashingEncoder
from kb.indexer import index_documents
from kb.search import Searcher
from kb.store import ArticleDoc, VectorStore
from kb.support import Support
from kb.text import query_terms

ARTICLES = {
    1: "Split AC not cooling: clean the air filter of the indoor unit every month; check the outdoor unit",
    2: "Refrigerator making noise: a hum from the compressor is normal; frost in the freezer means defrost",
    3: "Paying for a repair: UPI, card or cash; receipts and refunds",
}


def support() -> Support:
    from kb.text import tokenize

    return Support({a: tokenize(t) for a, t in ARTICLES.items()})


def test_a_question_whose_words_are_in_the_article_is_supported():
    v = support().check(query_terms("how to clean the AC filter"), 1, dense=0.4)
    assert v.supported and v.coverage == 1.0


def test_synonyms_and_typos_count_as_the_word():
    s = support()
    assert s.check(query_terms("fridge noise"), 2, dense=0.4).supported  # fridge = refrigerator
    assert s.check(query_terms("how to clean ac filtr"), 1, dense=0.4).supported  # one letter off


def test_a_topic_the_article_never_mentions_is_not_supported():
    v = support().check(query_terms("how do I fix the ice maker of my dishwasher"), 2, dense=0.44)
    assert not v.supported and "dishwasher" in v.missing


def test_the_closer_the_meaning_the_less_the_words_must_match():
    s = support()
    terms = query_terms("room stays warm")  # "room", "warm": not in article 1
    assert not s.check(terms, 1, dense=0.5).supported
    assert s.check(terms, 1, dense=0.6).supported  # cosine >= 0.55: the meaning alone suffices
    assert s.needed(0.4) > s.needed(0.5) > s.needed(0.6) == 0.0


def test_generic_words_alone_leave_it_to_the_dense_score():
    assert support().check(query_terms("please help, what should I do"), 3, dense=0.36).supported


def test_the_searcher_says_unsupported_and_gives_no_answer(tmp_path):
    encoder = HashingEncoder(128)
    docs = [ArticleDoc(i, f"a{i}", text.split(":")[0], text) for i, text in ARTICLES.items()]
    store = VectorStore(model=encoder.name, dimension=encoder.dimension)
    index_documents(store, encoder, docs)
    store.save(tmp_path)
    on = Searcher(tmp_path, encoder, threshold=0.05, check_interval=0)
    off = Searcher(tmp_path, encoder, threshold=0.05, check_interval=0, support=False)
    question = "split AC dishwasher ice maker warranty claim"
    assert off.search(question).confident
    result = on.search(question)
    assert not result.confident and result.reason == "unsupported" and result.best is None
    assert result.hits and result.hits[0].support is not None
    answered = on.search("clean the AC air filter")
    assert answered.confident and answered.best.slug == "a1"
