"""Splitting articles into passages, tokens, and BM25 ranking."""

from __future__ import annotations

from kb.bm25 import BM25
from kb.passages import split_passages
from kb.text import query_terms, tokenize


def test_sections_follow_headings_and_keep_their_path():
    body = "Intro text.\n\n## Errors\n### E3\nDoor not locked.\n### E4\nUnbalanced load.\n\n## Care\nClean monthly."
    passages = split_passages(body)
    assert [(p.heading, p.text) for p in passages] == [
        ("", "Intro text."), ("Errors › E3", "Door not locked."), ("Errors › E4", "Unbalanced load."),
        ("Care", "Clean monthly."),
    ]


def test_the_title_is_kept_with_every_passage():
    [passage] = split_passages("## Fix\nRestart the machine.")
    assert passage.indexed_text("Washer E3") == "Washer E3 — Fix\nRestart the machine."


def test_long_sections_are_cut_at_paragraphs_then_sentences():
    paragraph = " ".join(f"Sentence number {i} is here." for i in range(60))  # 300 words
    passages = split_passages(f"## Long\n{paragraph}\n\nShort closing paragraph.", max_words=100)
    assert all(len(p.text.split()) <= 100 for p in passages)
    assert all(p.heading == "Long" for p in passages)
    assert " ".join(p.text for p in passages).split() == f"{paragraph} Short closing paragraph.".split()


def test_headings_inside_code_fences_and_broken_markdown_do_not_break_splitting():
    body = "```\n# not a heading\n```\n## Real\ntext **bold [link](http://x) `code`\n```\nunclosed"
    passages = split_passages(body)
    assert [p.heading for p in passages] == ["", "Real"]
    assert passages[1].text == "text bold link code\nunclosed"


def test_tables_lose_their_rule_rows():
    [passage] = split_passages("| a | b |\n|---|---|\n| 1 | 2 |")
    assert passage.text == "| a | b |\n| 1 | 2 |"


def test_tokens_are_lowercase_stemmed_and_work_in_any_script():
    assert tokenize("The Errors on Washing-Machines: E3!") == ["error", "wash", "machine", "e3"]
    assert tokenize("सर्विस बुक करें।") == ["सर्विस", "बुक", "करें"]
    assert tokenize("冷蔵庫") == ["冷", "蔵", "庫"]
    assert query_terms("word " * 100_000) == ["word"]  # a pasted essay is cut, not choked on
    assert len(query_terms(" ".join(f"w{i}" for i in range(500)))) == 64


def test_bm25_prefers_rare_matching_terms():
    docs = [tokenize(t) for t in ("washing machine error e3 door", "washing machine care", "ac filter cleaning")]
    bm25 = BM25(docs)
    order, scores = bm25.top(tokenize("e3 washing"), k=3)
    assert order.tolist() == [0, 1] and scores[0] > scores[1] > 0
    assert bm25.top(["unknown"], k=3)[0].size == 0
    masked, _ = bm25.top(tokenize("washing"), k=3, mask=[False, True, True])
    assert masked.tolist() == [1]
