"""Importing knowledge-base articles from the portal: upload, a progress page
that refreshes itself, then the import's report; bad uploads change nothing."""

from __future__ import annotations

import re

from backend.knowledge import service as kb

from .served import finished_page

GOOD = b"---\ntitle: Descale the geyser\ntags: geyser\n---\n# Descale\n\nDrain the tank every six months.\n"
ALSO = b"# Reset the microwave\n\nUnplug it for one minute, then plug it in again.\n"
EMPTY = b"   \n"


def _slugs(portal) -> set[str]:
    return {a.slug for a in kb.list_articles(portal.uow, portal.world.admin, limit=500)}


def test_markdown_files_import_in_the_background_and_report_each_file(portal):
    admin = portal.client("admin")
    before = _slugs(portal)
    files = [("files", ("descale.md", GOOD, "text/markdown")), ("files", ("reset.md", ALSO, "text/markdown")),
             ("files", ("empty.md", EMPTY, "text/markdown"))]
    started = admin.post("/portal/x/kb/import", {"publish": "1"}, files=files, allow_redirects=False)
    assert started.status_code == 303
    progress_url = started.headers["Location"]
    assert re.search(r"/portal/x/kb/import/[\w-]+$", progress_url)

    done = finished_page(admin, progress_url)
    assert "2 created" in done.text and "1 refused" in done.text
    assert "empty.md" in done.text and "<code>invalid_input</code>" in done.text
    added = _slugs(portal) - before
    assert len(added) == 2
    published = {a.slug for a in kb.list_articles(portal.uow, portal.world.admin, status="published", limit=500)}
    assert added <= published

    again = admin.post("/portal/x/kb/import", {"publish": "1"}, files=files[:2], allow_redirects=False)
    assert "2 unchanged" in finished_page(admin, again.headers["Location"]).text
    assert _slugs(portal) - before == added  # nothing imported twice


def test_a_csv_of_questions_and_answers_imports_as_drafts_when_not_published(portal):
    admin = portal.client("admin")
    csv = b"question,answer,tags\nHow do I clean the AC filter?,Slide it out and rinse it monthly.,ac\n"
    started = admin.post("/portal/x/kb/import", {}, files=[("files", ("faq.csv", csv, "text/csv"))],
                         allow_redirects=False)
    assert "1 created" in finished_page(admin, started.headers["Location"]).text
    drafts = kb.list_articles(portal.uow, portal.world.admin, status="draft", limit=500)
    assert any(a.title == "How do I clean the AC filter?" for a in drafts)


def test_bad_uploads_are_refused_next_to_the_field_and_change_nothing(portal):
    admin = portal.client("admin")
    before = _slugs(portal)
    cases = [
        ([], 400, "invalid_input"),
        ([("files", ("notes.exe", b"MZ", "application/octet-stream"))], 415, "upload_type_not_allowed"),
        ([("files", ("a.md", GOOD, "text/markdown")), ("files", ("A.md", ALSO, "text/markdown"))], 409, "duplicate"),
        ([("files", ("a.md", GOOD, "text/markdown")), ("files", ("b.csv", b"question,answer\n", "text/csv"))],
         400, "invalid_input"),
    ]
    for files, status, code in cases:
        r = admin.post("/portal/x/kb/import", {"publish": "1"}, files=files or {"files": ("", b"")})
        assert r.status_code == status, (code, r.text[:300])
        assert f'id="err-files" role="alert"><code>{code}</code>' in r.text
        assert 'name="publish" value="1" checked' in r.text  # the form keeps what was chosen
    assert _slugs(portal) == before


def test_only_curators_import_and_only_the_starter_sees_the_progress(portal):
    admin = portal.client("admin")
    started = admin.post("/portal/x/kb/import", {"publish": "1"},
                         files=[("files", ("descale.md", GOOD, "text/markdown"))], allow_redirects=False)
    progress_url = started.headers["Location"]
    finished_page(admin, progress_url)
    assert portal.client("manager").get(progress_url).status_code == 404
    for who in ("agent", "tech", "alice"):
        client = portal.client(who)
        assert client.get("/portal/x/kb/import").status_code == 403
        r = client.post("/portal/x/kb/import", {}, files=[("files", ("x.md", ALSO, "text/markdown"))])
        assert r.status_code == 403
