"""Curating articles: versions, the draft → published → archived lifecycle, feedback, imports."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.knowledge import imports, service
from backend.knowledge.content import MAX_BODY_BYTES
from backend.knowledge.models import Article, ArticleVersion


def _counts(uow) -> tuple[int, int]:
    with uow() as s:
        return s.scalar(select(func.count(Article.id))), s.scalar(select(func.count(ArticleVersion.id)))


def test_create_writes_version_one_and_records_the_moves(uow, admin, make_article):
    article = make_article("washer-errors")
    assert (article.status, article.version, article.tags) == ("published", 1, ("error-codes", "washing-machine"))
    with uow() as s:
        moves = [(m.from_state, m.to_state) for m in s.scalars(select(StateChange).where(
            StateChange.entity_type == "kb_article", StateChange.entity_id == article.id).order_by(StateChange.id))]
    assert moves == [(None, "draft"), ("draft", "published")]


def test_each_real_edit_is_a_new_version_and_an_empty_edit_is_not(uow, admin, make_article):
    article = make_article("ac-cooling")
    edited = service.edit_article(uow, admin, article_id=article.id, body="Clean the filters.", note="shorter")
    same = service.edit_article(uow, admin, article_id=article.id, body="Clean the filters.")
    assert (edited.version, same.version) == (2, 2)
    versions = service.list_versions(uow, admin, article_id=article.id)
    assert [(v.version, v.body[:17], v.note) for v in versions] == [
        (1, "Set cool mode at ", "created"), (2, "Clean the filters", "shorter")]


def test_an_edit_from_a_stale_version_is_refused(uow, admin, make_article):
    article = make_article("ac-cooling")
    service.edit_article(uow, admin, article_id=article.id, title="AC not cooling?")
    with pytest.raises(DomainError) as exc:
        service.edit_article(uow, admin, article_id=article.id, title="Other", expected_version=1)
    assert exc.value.code == ErrorCode.CONFLICT
    assert service.get_article(uow, admin, article_id=article.id).title == "AC not cooling?"


def test_lifecycle_moves_and_refusals(uow, admin, make_article):
    article = make_article("fridge-noise", publish=False)
    assert service.publish_article(uow, admin, article_id=article.id).status == "published"
    assert service.archive_article(uow, admin, article_id=article.id).status == "archived"
    with pytest.raises(DomainError) as exc:
        service.publish_article(uow, admin, article_id=article.id)
    assert exc.value.code == ErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(DomainError) as exc:
        service.edit_article(uow, admin, article_id=article.id, body="new text")
    assert exc.value.code == ErrorCode.CONFLICT
    assert service.restore_article(uow, admin, article_id=article.id).status == "draft"


@pytest.mark.parametrize("changes,reason", [
    (dict(body=""), "empty"),
    (dict(body="x" * (MAX_BODY_BYTES + 10)), "too_large"),
    (dict(title="  "), "empty"),
    (dict(slug="Bad Slug"), "bad_slug"),
    (dict(language="klingon-dialect-x"), "bad_language"),
])
def test_bad_input_is_refused_and_changes_nothing(uow, admin, changes, reason):
    before = _counts(uow)
    fields = {"title": "T", "body": "text", "slug": "ok-slug", **changes}
    with pytest.raises(DomainError) as exc:
        service.create_article(uow, admin, **fields)
    assert exc.value.code == ErrorCode.INVALID_INPUT
    assert exc.value.details["reason"] == reason
    assert _counts(uow) == before


def test_a_duplicate_slug_is_refused(uow, admin, make_article):
    make_article("ac-cooling")
    with pytest.raises(DomainError) as exc:
        make_article("ac-cooling")
    assert exc.value.code == ErrorCode.DUPLICATE


def test_customers_and_agents_cannot_curate(uow, customer, agent):
    for actor in (customer, agent):
        with pytest.raises(DomainError) as exc:
            service.create_article(uow, actor, title="T", body="b")
        assert exc.value.code == ErrorCode.FORBIDDEN


def test_customers_see_published_articles_only(uow, admin, agent, customer, make_article):
    draft = make_article("fridge-noise", publish=False)
    make_article("ac-cooling")
    assert [a.slug for a in service.list_articles(uow, customer)] == ["ac-cooling"]
    assert {a.slug for a in service.list_articles(uow, agent)} == {"ac-cooling", "fridge-noise"}
    with pytest.raises(DomainError) as exc:
        service.get_article(uow, customer, article_id=draft.id)
    assert exc.value.code == ErrorCode.NOT_FOUND
    assert service.get_article(uow, None, slug="ac-cooling").title == "AC not cooling"
    assert [a.slug for a in service.list_articles(uow, agent, tag="Air Conditioner")] == ["ac-cooling"]


def test_feedback_is_counted_per_article(uow, admin, customer, make_article):
    article = make_article("washer-errors")
    service.record_feedback(uow, customer, article_id=article.id, helpful=True, conversation_id="c1")
    service.record_feedback(uow, None, article_id=article.id, helpful=False, comment="did not fix E3", query="E3")
    service.record_feedback(uow, None, article_id=article.id, helpful=False)
    [summary] = service.feedback_summary(uow, admin)
    assert (summary.slug, summary.helpful, summary.not_helpful) == ("washer-errors", 1, 2)
    with pytest.raises(DomainError) as exc:
        service.record_feedback(uow, None, article_id=999, helpful=True)
    assert exc.value.code == ErrorCode.NOT_FOUND


def test_index_entries_leave_out_archived_articles(uow, admin, make_article):
    keep = make_article("ac-cooling")
    gone = make_article("fridge-noise")
    service.archive_article(uow, admin, article_id=gone.id)
    assert [(e.id, e.status) for e in service.list_index_entries(uow)] == [(keep.id, "published")]


# --- imports ----------------------------------------------------------------------------------


def _write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_markdown_import_creates_then_skips_then_versions(uow, admin, tmp_path):
    _write(tmp_path, "washer.md", "---\ntags: [washing-machine]\n---\n# Washer E3\nClose the door.")
    _write(tmp_path, "sub/fridge.md", "# Fridge\nA hum is normal.")
    _write(tmp_path, "draft.md", "---\nstatus: draft\n---\n# Draft\nNot ready.")
    _write(tmp_path, "notes.txt", "not markdown")
    first = imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    assert sorted(first.created) == ["draft", "fridge", "washer"] and first.failed == []
    again = imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    assert (again.created, again.updated, sorted(again.unchanged)) == ([], [], ["draft", "fridge", "washer"])
    _write(tmp_path, "washer.md", "---\ntags: [washing-machine]\n---\n# Washer E3\nClose the door firmly.")
    third = imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    assert third.updated == ["washer"]
    washer = service.get_article(uow, admin, slug="washer")
    assert (washer.version, washer.status, washer.body) == (2, "published", "Close the door firmly.")
    assert service.get_article(uow, admin, slug="draft").status == "draft"


def test_markdown_import_reports_bad_files_and_keeps_the_good_ones(uow, admin, tmp_path):
    _write(tmp_path, "good.md", "# Good\ntext")
    _write(tmp_path, "empty.md", "# Only a title\n")
    _write(tmp_path, "huge.md", "# Huge\n" + "word " * 50_000)
    _write(tmp_path, "bad-yaml.md", "---\ntags: [oops\n---\ntext")
    (tmp_path / "latin1.md").write_bytes("# Café\ncaf\xe9".encode("latin-1"))
    _write(tmp_path, "x/good.md", "# Same slug, other folder\ntext")
    report = imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    assert report.created == ["good"]
    assert {p.source: p.code for p in report.failed} == {
        "bad-yaml.md": "invalid_input", "empty.md": "invalid_input", "huge.md": "invalid_input",
        "latin1.md": "invalid_input", "x/good.md": "duplicate",
    }


def test_an_import_report_comes_back_whole_from_plain_data(uow, admin, tmp_path):
    """The portal keeps a finished import's report as JSON in its task row and renders it from there."""
    _write(tmp_path, "good.md", "# Good\ntext")
    _write(tmp_path, "same.md", "# Same\ntext")
    imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    _write(tmp_path, "good.md", "# Good\nnew text")
    _write(tmp_path, "new.md", "# New\ntext")
    _write(tmp_path, "empty.md", "# Only a title\n")
    report = imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    assert report.created and report.updated and report.unchanged and report.failed

    back = imports.ImportReport.from_dict(json.loads(json.dumps(report.to_dict())))

    assert back == report and back.summary() == "1 created, 1 updated (new version), 1 unchanged, 1 refused"
    assert back.failed[0] == imports.ImportProblem("empty.md", "invalid_input", report.failed[0].message)


def test_importing_a_missing_folder_is_refused(uow, admin, tmp_path):
    with pytest.raises(DomainError) as exc:
        imports.import_markdown_folder(uow, admin, folder=tmp_path / "nope", progress=False)
    assert exc.value.code == ErrorCode.NOT_FOUND


def test_csv_import_dedupes_on_reimport(uow, admin, tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("question,answer,tags\nCan I pay by UPI?,Yes: scan the QR code.,billing\n"
                    "Is there a visit fee?,Only out of warranty.,billing\n,orphan answer,\n", encoding="utf-8")
    first = imports.import_qa_csv(uow, admin, path=path, progress=False)
    assert sorted(first.created) == ["can-i-pay-by-upi", "is-there-a-visit-fee"]
    assert [(p.source, p.code) for p in first.failed] == [("faq.csv:4", "invalid_input")]
    path.write_text("question,answer,tags\nCan I pay by UPI?,Yes: scan the QR code on the invoice.,billing\n"
                    "Is there a visit fee?,Only out of warranty.,billing\n", encoding="utf-8")
    second = imports.import_qa_csv(uow, admin, path=path, progress=False)
    assert (second.updated, second.unchanged, second.created) == (["can-i-pay-by-upi"], ["is-there-a-visit-fee"], [])


def test_reimporting_over_an_archived_article_is_reported_not_applied(uow, admin, tmp_path):
    _write(tmp_path, "old.md", "# Old\nfirst text")
    imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    service.archive_article(uow, admin, article_id=service.get_article(uow, admin, slug="old").id)
    _write(tmp_path, "old.md", "# Old\nsecond text")
    report = imports.import_markdown_folder(uow, admin, folder=tmp_path, progress=False)
    assert [(p.source, p.code) for p in report.failed] == [("old.md", "conflict")]
    assert service.get_article(uow, admin, slug="old").body == "first text"
