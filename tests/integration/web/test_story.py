"""One job walked through the portal's pages by every role, end to end, on
the real core: request → schedule → confirm → release → arrival → parts →
completion → estimate → feedback → bill → invoice PDF → receipt; the
technician's claim with a bill, passed by the manager; the P&L and reports."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest

from tests.factories import AMC_SERIAL

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _job_of(page: str) -> str:
    return re.search(r"Job (JB-[0-9A-Z-]+)", page).group(1)


def test_a_job_from_request_to_paid_invoice_through_the_pages(portal):
    alice, agent, tech, manager = (portal.client(w) for w in ("alice", "agent", "tech", "manager"))

    # customer: entitlement answer, then the request
    r = alice.get(f"/portal/c/new?check=1&serial={AMC_SERIAL}")
    assert "Covered" in r.text and "AMC" in r.text and "parts billable" in r.text
    r = alice.post("/portal/c/new", {"want": "service", "serial": AMC_SERIAL, "problem": "Washer <b>leaks</b>",
                                     "key": "k1"})
    assert r.status_code == 200 and "received" in r.text
    assert "Washer &lt;b&gt;leaks&lt;/b&gt;" in r.text  # customer text is escaped
    assert 'src="/widget.js"' in r.text and "data-token=" in r.text  # the chat widget on customer pages
    job = _job_of(r.text)
    request_url = r.url

    # agent: intake queue shows it; schedule it in the calendar; an illegal kanban move is refused with the reason
    assert job in agent.get("/portal/a/").text
    r = agent.post(f"/portal/a/jobs/{job}/move", {"target": "billed"}, allow_redirects=False)
    assert r.status_code == 303
    r = agent.get(r.headers["Location"])
    assert "illegal_transition" in r.text and "cannot move to" in r.text
    r = agent.post(f"/portal/a/jobs/{job}/move", {"target": "released"}, headers={"Accept": "application/json"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    r = agent.post(f"/portal/a/jobs/{job}/schedule", {"technician_id": portal.world.tech.user_id, "day": tomorrow,
                                                      "time": "10:00", "hours": "2"})
    assert r.status_code == 200 and f"{job} scheduled" in r.text
    assert "10:00–12:00" in agent.get(f"/portal/a/calendar?day={tomorrow}").text

    # technician: confirm; agent releases (from the kanban, with JSON as the drag does)
    assert job in tech.get("/portal/t/").text
    r = tech.post(f"/portal/t/jobs/{job}/confirm")
    assert "Confirmed." in r.text
    r = agent.post(f"/portal/a/jobs/{job}/move", {"target": "released"}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["ok"] is True

    # technician: arrival, a part beyond stock is refused next to the field, a part, completion
    assert "Arrival recorded" in tech.post(f"/portal/t/jobs/{job}/arrive").text
    r = tech.post(f"/portal/t/jobs/{job}/parts", {"part_sku": "P-PUMP", "qty": "99"})
    assert r.status_code == 409 and "out_of_stock" in r.text and 'value="99"' in r.text
    r = tech.post(f"/portal/t/jobs/{job}/parts", {"part_sku": "P-PUMP", "qty": "1"})
    assert "Part recorded" in r.text
    r = tech.post(f"/portal/t/jobs/{job}/resolve", {"service_notes": ""})
    assert r.status_code == 400 and "invalid_input" in r.text
    r = tech.post(f"/portal/t/jobs/{job}/resolve", {"service_notes": "Replaced the drain pump"})
    assert "Job completed" in r.text

    # expense claim with a bill; the manager passes it line by line
    r = tech.post(f"/portal/t/jobs/{job}/claim", {"category_0": "travel", "description_0": "Auto fare",
                                                  "amount_0": "150"},
                  files={"file_0": ("bill.png", io.BytesIO(PNG), "image/png")})
    assert r.status_code == 200 and "Expense claim EC-" in r.text
    r = manager.get("/portal/m/claims")
    line = re.search(r"/portal/m/claims/lines/(\d+)/pass", r.text).group(1)
    r = manager.post(f"/portal/m/claims/lines/{line}/pass")
    assert "bill passed" in r.text

    # customer: accept the estimate, give feedback
    r = alice.get(request_url)
    assert "Estimate for extra charges" in r.text
    r = alice.post(f"/portal/c/jobs/{job}/estimate", {"answer": "accept"})
    assert "Estimate accepted" in r.text
    r = alice.post(f"/portal/c/jobs/{job}/feedback", {"rating": "9", "comment": "Quick & tidy"})
    assert r.status_code == 400 and "invalid_input" in r.text and "Quick &amp; tidy" in r.text
    r = alice.post(f"/portal/c/jobs/{job}/feedback", {"rating": "5", "comment": "Quick & tidy"})
    assert "Thank you" in r.text

    # agent bills; the customer's invoice as a PDF, rendered to an image
    r = agent.post(f"/portal/a/jobs/{job}/bill")
    invoice = re.search(r"billed: (INV-[0-9A-Z-]+)", r.text).group(1)
    r = alice.get(f"/portal/c/invoices/{invoice}/pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    _assert_pdf_shows(r.content, invoice)
    r = alice.get("/portal/c/statement/pdf")
    assert r.status_code == 200
    _assert_pdf_shows(r.content, f"Service {job}")  # the sales voucher's line

    # collections: a receipt with too much is refused on the amount field; then the right amount
    due = re.search(r"Outstanding</th><td class=\"num\"><b>([0-9,.]+)", alice.get(f"/portal/c/invoices/{invoice}").text)
    total = due.group(1).replace(",", "")
    agent.get("/portal/a/collections")
    r = agent.post("/portal/a/receipts", {"invoice": invoice, "amount": "999999", "method": "upi"})
    assert r.status_code == 409 and "overpayment" in r.text and 'value="999999"' in r.text
    r = agent.post("/portal/a/receipts", {"invoice": invoice, "amount": total, "method": "upi"})
    assert "Receipt RC-" in r.text and "0.00 still due" in r.text

    # manager: the P&L and every report page answer, with CSV
    r = manager.get("/portal/m/pnl")
    assert r.status_code == 200 and job in r.text
    csv = manager.get("/portal/m/reports/pnl?format=csv&table=rows")
    assert csv.headers["Content-Type"].startswith("text/csv") and job in csv.text
    assert manager.get("/portal/m/").status_code == 200
    r = manager.get("/portal/m/reports/sales-register?start=2030-01-01&end=2020-01-01")
    assert r.status_code == 400 and "invalid_input" in r.text and 'value="2030-01-01"' in r.text


def _assert_pdf_shows(data: bytes, text: str) -> None:
    doc = pdfium.PdfDocument(data)
    page = doc[0]
    assert text in page.get_textpage().get_text_range()
    image = page.render(scale=1).to_pil().convert("L")
    lo, hi = image.getextrema()
    assert hi - lo > 100  # ink on paper: not a blank page
    dark = image.histogram()[:128]
    dark = sum(dark)
    assert dark > 500


def test_another_customers_records_are_not_found(portal):
    alice, bob = portal.client("alice"), portal.client("bob")
    r = alice.post("/portal/c/new", {"want": "service", "serial": AMC_SERIAL, "problem": "noise", "key": "k2"})
    job = _job_of(r.text)
    request_ref = re.search(r"Request (SR-[0-9A-Z-]+)", r.text).group(1)
    for path in (f"/portal/c/requests/{request_ref}", f"/portal/c/requests/{job}", "/portal/c/invoices/INV-1",
                 "/portal/c/invoices/INV-1/pdf"):
        r = bob.get(path)
        assert r.status_code == 404 and "not_found" in r.text, path
    r = bob.post(f"/portal/c/jobs/{job}/estimate", {"answer": "accept"})
    assert r.status_code == 404
    assert job not in bob.get("/portal/c/").text
    tech2 = portal.client("tech2")
    assert tech2.get(f"/portal/t/jobs/{job}").status_code == 404


@pytest.mark.parametrize("data, field, code", [
    ({"want": "service", "problem": ""}, "problem", "invalid_input"),
    ({"want": "teleport", "problem": "x"}, "want", "invalid_input"),
    ({"want": "service", "problem": "x", "day": "2020-13-45", "time": "10:00"}, "preferred_at", "invalid_input"),
    ({"want": "service", "problem": "x", "day": "2001-01-01", "time": "10:00"}, "preferred_at", "invalid_input"),
])
def test_request_form_errors_show_next_to_the_field_and_keep_the_input(portal, data, field, code):
    alice = portal.client("alice")
    r = alice.post("/portal/c/new", {**data, "serial": "TYPED-SERIAL"})
    assert r.status_code == 400
    assert f'id="err-{field}"' in r.text and f"<code>{code}</code>" in r.text
    assert 'value="TYPED-SERIAL"' in r.text


def test_every_report_on_the_board_renders_and_exports_csv(portal):
    manager = portal.client("manager")
    board = manager.get("/portal/m/reports")
    names = re.findall(r'href="/portal/m/reports/([a-z-]+)"', board.text)
    assert len(names) >= 15
    for name in names:
        r = manager.get(f"/portal/m/reports/{name}")
        assert r.status_code in (200, 400), (name, r.status_code)
        if r.status_code == 200:
            link = re.search(r'href="(/portal/m/reports/[^"]+format=csv[^"]*)"', r.text)
            assert link, name
            csv = manager.get(link.group(1).replace("&amp;", "&"))
            assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv"), name
        else:
            assert "<code>invalid_input</code>" in r.text, name
