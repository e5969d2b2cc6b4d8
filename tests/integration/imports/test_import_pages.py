"""The import in the portal: upload → the preview (checked in the background with
a progress page) → Import → the result; a refused file shows each row and field,
downloadable as CSV, and changes nothing; uploads over the limit or of another
type are refused next to the field."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from backend.processes.master_import import NAMES
from tests.integration.web.served import finished_page, serve

from .helpers import counts, rows, to_csv


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal


def _upload(client, name: str, data: bytes, **kw):
    return client.post("/portal/x/import", {}, files={"file": (name, data, "text/csv")}, **kw)


def test_upload_preview_import_and_result(portal):
    admin = portal.client("admin")
    form = admin.get("/portal/x/import")
    assert form.status_code == 200 and "customer_ref" in form.text and "Import customers" in form.text
    before = counts(portal.uow)

    started = _upload(admin, "customers.csv", to_csv(rows(30)), allow_redirects=False)
    assert started.status_code == 303
    preview = finished_page(admin, started.headers["Location"])
    assert "120 rows checked: 30 customers, 60 sites, 30 contacts, 120 items will be created" in preview.text
    assert 'id="sample"' in preview.text and "Customer 0" in preview.text
    assert counts(portal.uow) == before  # a preview writes nothing

    token = re.search(r'name="token" value="([\w-]+)"', preview.text).group(1)
    run = admin.post("/portal/x/import/run", {"token": token}, allow_redirects=False)
    assert run.status_code == 303
    result = finished_page(admin, run.headers["Location"])
    assert "120 rows imported: 30 customers, 60 sites, 30 contacts, 120 items created" in result.text
    assert re.search(r"Customers CU-\d{6} to CU-\d{6}", result.text)
    after = counts(portal.uow)
    assert after["customers"] - before["customers"] == 30 and after["items"] - before["items"] == 120

    again = admin.post("/portal/x/import/run", {"token": token})  # the upload is gone once imported
    assert again.status_code == 404
    assert counts(portal.uow) == after


def test_a_refused_file_lists_every_row_and_field_and_changes_nothing(portal):
    manager = portal.client("manager")
    records = rows(5)
    records[4]["mobile"] = "12345"
    records[9]["serial"] = records[8]["serial"]
    before = counts(portal.uow)
    started = _upload(manager, "bad.csv", to_csv(records), allow_redirects=False)
    page = finished_page(manager, started.headers["Location"])
    assert "20 rows, 2 refused (2 problems): nothing was imported" in page.text
    assert 'name="token"' not in page.text  # no Import button
    table = page.text.split('id="problems"', 1)[1]
    assert "<td>6</td><td><code>mobile</code></td><td><code>invalid_input</code> <small>bad_mobile</small>" in table
    assert "<td>11</td><td><code>serial</code></td><td><code>duplicate</code> <small>duplicate_in_file</small>" in table

    download = manager.get(started.headers["Location"] + "/problems.csv")
    assert download.headers["Content-Type"].startswith("text/csv")
    listed = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert listed[0] == ["row", "field", "code", "reason", "message"]
    assert [(r[0], r[1], r[3]) for r in listed[1:]] == [("6", "mobile", "bad_mobile"),
                                                         ("11", "serial", "duplicate_in_file")]
    assert counts(portal.uow) == before


def test_a_file_missing_columns_is_refused_with_their_names(portal):
    admin = portal.client("admin")
    started = _upload(admin, "cols.csv", b"name,mobile\nA,9820011111\n", allow_redirects=False)
    page = finished_page(admin, started.headers["Location"])
    assert "<code>invalid_input</code> the file has no column customer_ref" in page.text
    assert "Nothing was imported." in page.text


def test_uploads_of_another_type_or_over_the_limit_are_refused_next_to_the_field(portal):
    admin = portal.client("admin")
    before = counts(portal.uow)
    wrong = _upload(admin, "notes.pdf", b"%PDF-1.4")
    assert wrong.status_code == 415 and 'id="err-file" role="alert"><code>upload_type_not_allowed</code>' in wrong.text
    big = to_csv(rows(800))  # over the test portal's 256 kB upload limit
    assert len(big) > portal.settings.upload_max_bytes
    large = _upload(admin, "big.csv", big)
    assert large.status_code == 413 and "<code>upload_too_large</code> big.csv is over 0.2 MB" in large.text
    none = admin.post("/portal/x/import", {}, files={"file": ("", b"")})
    assert none.status_code == 400 and "choose a .csv or .xlsx file" in none.text
    assert counts(portal.uow) == before


def test_the_templates_download_and_other_roles_are_kept_out(portal):
    admin = portal.client("admin")
    sheet = admin.get("/portal/x/import/template.xlsx")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["Content-Disposition"]
    header = next(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert tuple(header) == NAMES
    text = admin.get("/portal/x/import/template.csv")
    assert text.content.decode("utf-8-sig").splitlines()[0] == ",".join(NAMES)
    for who in ("agent", "alice", "tech"):
        assert portal.client(who).get("/portal/x/import").status_code == 403
