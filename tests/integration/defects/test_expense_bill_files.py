"""Defect: the manager passed expense-claim bills without seeing the bill.
The stored bill is served to the manager (and admin) and to the technician
who claimed it, nobody else (``not_found``); images and PDFs inline,
anything else as a download, never sniffed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.errors import DomainError, ErrorCode
from backend.jobs import expenses
from backend.jobs.models import Attachment, ExpenseLine, JobState
from tests.unit.core.flows import drive_to

PNG = b"\x89PNG\r\n\x1a\n" + b"taxi bill" * 20
PDF = b"%PDF-1.4\n" + b"hotel bill" * 20
TYPES = ("image/jpeg", "image/png", "application/pdf")


def claim_with_bills(uow, w, upload_dir) -> list[int]:
    """The technician's claim on a job they worked: a PNG bill, a PDF bill and a line without one."""
    ref = drive_to(uow, w, JobState.IN_PROGRESS)
    png = expenses.store_attachment(uow, w.tech, upload_dir=upload_dir, filename="taxi.png",
                                    content_type="image/png", data=PNG, max_bytes=10_000, allowed_types=TYPES)
    pdf = expenses.store_attachment(uow, w.tech, upload_dir=upload_dir, filename="../hotel.pdf",
                                    content_type="application/pdf", data=PDF, max_bytes=10_000, allowed_types=TYPES)
    claim = expenses.submit_expense_claim(uow, w.tech, job_ref=ref, lines=[
        {"category": "travel", "description": "taxi", "amount": "120", "attachment_id": png.id},
        {"category": "lodging", "description": "hotel", "amount": "900", "attachment_id": pdf.id},
        {"category": "food", "description": "lunch", "amount": "80"}])
    return [line.id for line in claim.lines]


def test_the_manager_admin_and_claimant_see_the_bill_inline(uow, world, tmp_path):
    from backend.jobs.bill_files import expense_bill_file

    png_line, pdf_line, _ = claim_with_bills(uow, world, tmp_path)
    for who in (world.manager, world.admin, world.tech):
        f = expense_bill_file(uow, who, line_id=png_line, upload_dir=tmp_path)
        assert (f.content_type, f.inline, f.path.read_bytes()) == ("image/png", True, PNG)
        assert f.filename.endswith(".png") and "/" not in f.filename
    f = expense_bill_file(uow, world.manager, line_id=pdf_line, upload_dir=tmp_path)
    assert (f.content_type, f.inline, f.path.read_bytes()) == ("application/pdf", True, PDF)


def test_anyone_else_is_told_there_is_no_such_bill(uow, world, tmp_path):
    from backend.jobs.bill_files import expense_bill_file

    png_line, _, no_bill = claim_with_bills(uow, world, tmp_path)
    for who in (world.agent, world.tech2, world.alice, world.bob):
        with pytest.raises(DomainError) as err:
            expense_bill_file(uow, who, line_id=png_line, upload_dir=tmp_path)
        assert err.value.code == ErrorCode.NOT_FOUND
    for line in (no_bill, 99999):
        with pytest.raises(DomainError) as err:
            expense_bill_file(uow, world.manager, line_id=line, upload_dir=tmp_path)
        assert err.value.code == ErrorCode.NOT_FOUND


def test_a_stored_type_outside_the_allow_list_is_only_downloaded(uow, world, tmp_path):
    from backend.jobs.bill_files import expense_bill_file

    png_line, _, _ = claim_with_bills(uow, world, tmp_path)
    with uow() as s:  # a bill stored under a type the viewer must not render (an older upload)
        att = s.get(Attachment, s.scalar(select(ExpenseLine.attachment_id).where(ExpenseLine.id == png_line)))
        att.content_type = "text/html"
    f = expense_bill_file(uow, world.manager, line_id=png_line, upload_dir=tmp_path)
    assert (f.content_type, f.inline) == ("application/octet-stream", False)


def test_the_portal_links_and_serves_bills_with_safe_headers(sqlite_url, tmp_path):
    from tests.integration.web.served import serve

    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        upload_dir = portal.settings.upload_dir
        png_line, pdf_line, _ = claim_with_bills(portal.uow, portal.world, upload_dir)
        manager = portal.client("manager")
        page = manager.get("/portal/m/claims")
        assert page.status_code == 200
        assert f"/portal/expenses/bills/{png_line}" in page.text and f"/portal/expenses/bills/{pdf_line}" in page.text
        r = manager.get(f"/portal/expenses/bills/{png_line}")
        assert r.status_code == 200 and r.content == PNG
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["Content-Disposition"].startswith("inline")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        tech = portal.client("tech")
        assert f"/portal/expenses/bills/{pdf_line}" in tech.get("/portal/t/money").text
        r = tech.get(f"/portal/expenses/bills/{pdf_line}")
        assert (r.status_code, r.headers["Content-Type"], r.content) == (200, "application/pdf", PDF)
        for who in ("agent", "tech2", "alice"):
            assert portal.client(who).get(f"/portal/expenses/bills/{png_line}").status_code == 404
