"""The public article page the bot links to: published articles for anyone,
drafts for staff only, archived and unknown slugs are ``not_found``."""

from __future__ import annotations

import re

FORM = {"title": "Descale the Zephyr kettle", "slug": "zephyr-kettle", "language": "en",
        "body": "## Vinegar\n\nBoil **half vinegar**.\n\n<script>alert(1)</script>"}


def _new(admin, action: str) -> str:
    r = admin.post("/portal/x/kb/new", {**FORM, "action": action})
    assert r.status_code == 200, r.text[:500]
    return r.url


def test_anyone_reads_a_published_article_and_nobody_an_archived_one(portal):
    admin, visitor = portal.client("admin"), portal.client()
    edit_url = _new(admin, "save")
    r = visitor.get("/portal/kb/zephyr-kettle")
    assert r.status_code == 404 and "<code>not_found</code>" in r.text  # a draft does not exist for visitors
    staff_view = admin.get("/portal/kb/zephyr-kettle")
    assert staff_view.status_code == 200 and "only staff see this article" in staff_view.text

    assert "published" in admin.post(edit_url, {**FORM, "action": "publish"}).text
    r = visitor.get("/portal/kb/zephyr-kettle")
    assert r.status_code == 200 and "<h1>Descale the Zephyr kettle</h1>" in r.text
    assert "<strong>half vinegar</strong>" in r.text and "<script>alert(1)</script>" not in r.text
    assert "only staff" not in r.text

    assert "archived" in admin.post(edit_url, {"action": "archive", "title": "x", "body": "x"}).text
    for who in (visitor, admin):
        r = who.get("/portal/kb/zephyr-kettle")
        assert r.status_code == 404 and "<code>not_found</code>" in r.text


def test_an_unknown_or_oversized_slug_is_not_found(portal):
    visitor = portal.client()
    for slug in ("no-such-article", "x" * 500, "%00"):
        r = visitor.get(f"/portal/kb/{slug}")
        assert r.status_code == 404 and re.search(r"<code>not_found</code>", r.text), (slug, r.status_code)
