"""Checking article content and reading Markdown / CSV sources (pure functions)."""

from __future__ import annotations

import pytest

from backend.errors import DomainError, ErrorCode
from backend.knowledge.content import (
    MAX_BODY_BYTES,
    check_article,
    parse_markdown,
    parse_qa_csv,
    slugify,
)


def _reason(exc: pytest.ExceptionInfo) -> str:
    assert exc.value.code == ErrorCode.INVALID_INPUT
    return exc.value.details["reason"]


def test_front_matter_gives_title_tags_and_language():
    text = ("---\ntitle: AC error codes\ntags: [AC, Error Codes]\nproducts: split-ac\nlanguage: en-IN\n---\n"
            "# Ignored\nBody")
    article = parse_markdown(text, name="ac-errors")
    assert article.title == "AC error codes"
    assert article.tags == ("ac", "error-codes", "split-ac")
    assert article.language == "en-in"
    assert article.slug == "ac-errors"
    assert article.body.startswith("# Ignored")


def test_without_front_matter_the_first_heading_is_the_title_and_leaves_the_body():
    article = parse_markdown("\n# Fridge noises\n\nA hum is normal.", name="fridge")
    assert (article.title, article.body) == ("Fridge noises", "A hum is normal.")


def test_without_any_title_the_file_name_is_used():
    assert parse_markdown("just text", name="tv-no_signal").title == "Tv no signal"


def test_broken_markdown_is_stored_as_it_is():
    text = "# T\n```python\nunclosed fence\n**bold never closed [link]("
    article = parse_markdown(text, name="broken")
    assert article.body == "```python\nunclosed fence\n**bold never closed [link]("


def test_control_characters_and_windows_newlines_are_cleaned():
    article = check_article(slug=None, title="Title\x00", body="line\r\nnext\x00\x07")
    assert (article.title, article.body) == ("Title", "line\nnext")


@pytest.mark.parametrize("body", ["", "   \n\t\n"])
def test_an_empty_article_is_refused(body):
    with pytest.raises(DomainError) as exc:
        check_article(slug="x", title="T", body=body)
    assert _reason(exc) == "empty"


def test_a_huge_article_is_refused_with_its_size():
    with pytest.raises(DomainError) as exc:
        check_article(slug="x", title="T", body="a" * (MAX_BODY_BYTES + 1))
    assert _reason(exc) == "too_large"
    assert exc.value.details["limit"] == MAX_BODY_BYTES


@pytest.mark.parametrize("text,reason", [
    ("---\ntitle: [unclosed\n---\nbody", "bad_front_matter"),
    ("---\ntitle: x\nbody without end", "bad_front_matter"),
    ("---\n- a list\n---\nbody", "bad_front_matter"),
    ("---\nstatus: live\n---\nbody", "bad_front_matter"),
    ("---\nslug: Not A Slug!\n---\nbody", "bad_slug"),
    ("---\nlanguage: english please\n---\nbody", "bad_language"),
])
def test_bad_front_matter_is_refused_clearly(text, reason):
    with pytest.raises(DomainError) as exc:
        parse_markdown(text, name="x")
    assert _reason(exc) == reason


def test_slugs_for_any_script_are_stable_and_valid():
    assert slugify("Washing Machine: Error E3!") == "washing-machine-error-e3"
    hindi = check_article(slug=None, title="सर्विस विज़िट", body="x")
    assert hindi.slug.startswith("a-") and hindi.slug == check_article(slug=None, title="सर्विस विज़िट", body="y").slug


def test_csv_rows_become_articles_and_bad_rows_become_errors():
    text = ("Question,Answer,Tags,Language\n"
            "How do I book a visit?,Use the chat.,booking;service,en\n"
            ",an answer without a question,,\n"
            "\n"
            "Is there a fee?,,,\n")
    rows = list(parse_qa_csv(text, source="faq.csv"))
    assert [r.line for r in rows] == [2, 3, 5]
    first = rows[0].article
    assert (first.slug, first.title, first.body, first.tags) == (
        "how-do-i-book-a-visit", "How do I book a visit?", "Use the chat.", ("booking", "service"))
    assert [r.error.details["reason"] for r in rows[1:]] == ["empty", "empty"]


def test_a_csv_without_question_and_answer_columns_is_refused():
    with pytest.raises(DomainError) as exc:
        list(parse_qa_csv("title_only\nx\n", source="bad.csv"))
    assert _reason(exc) == "bad_csv"
