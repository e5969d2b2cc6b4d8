"""The tax invoice PDF: what rule 46 asks it to print, and its UPI QR code,
read back the way a phone reads it: the page rendered to an image
(pypdfium2) and the code decoded by zbar (pyzbar), which must give exactly
the UPI link for the amount still due, before and after a part payment."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pyzbar.pyzbar import ZBarSymbol, decode
from sqlalchemy import select

from backend.billing.models import Invoice
from backend.billing.upi import upi_request
from backend.catalog import admin as catalog_admin
from backend.company import COMPANY
from backend.customers import service as customers
from backend.documents.invoices import get_tax_invoice, tax_invoice
from backend.documents.notices import documents_for
from backend.documents.pdf import invoice_pdf
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import payments
from tests.integration.web.served import serve
from tests.unit.core.flows import drive_to


IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


def pdf_of(uow, actor, number: str) -> bytes:
    doc = get_tax_invoice(uow, actor, invoice_ref=number)
    return invoice_pdf(doc.invoice, doc.customer, "INR", doc.payment, doc.company)


def read(data: bytes) -> tuple[str, list[str]]:
    """The PDF's text, and every QR code on its pages as zbar decodes the rendered page (about 216 dpi)."""
    pdf = pdfium.PdfDocument(data)
    try:
        text, codes = "", []
        for page in pdf:
            text += page.get_textpage().get_text_range()
            image = page.render(scale=3).to_pil().convert("L")
            codes += [found.data.decode() for found in decode(image, symbols=[ZBarSymbol.QRCODE])]
        return text, codes
    finally:
        pdf.close()


def upi_url(number: str, amount: str, n: int) -> str:
    """The link as worked out by hand from the company's UPI id and name."""
    return (f"upi://pay?pa={COMPANY.upi_vpa}&pn={COMPANY.upi_name.replace(' ', '%20')}&am={amount}&cu=INR"
            f"&tn={number}&tr={number}-{n}")


def billed(uow, world) -> str:
    ref = drive_to(uow, world, S.BILLED)
    return jobs.get_job(uow, world.agent, job_ref=ref).invoice_number


def test_the_qr_code_decodes_to_the_upi_link_for_what_is_due_and_follows_part_payments(uow, world):
    number = billed(uow, world)  # 1500.00 + CGST 135.00 + SGST 135.00 = 1770.00
    text, codes = read(pdf_of(uow, world.alice, number))
    assert codes == [upi_url(number, "1770.00", 1)]
    assert codes == [upi_request(number, D("1770.00"), 0).url]
    unwrapped = text.replace("\r\n", "").replace("\ufffe", "-")  # the link wraps after "INV-": pdfium marks it
    assert upi_url(number, "1770.00", 1) in unwrapped  # the link printed beside the code

    payments.record_receipt(uow, world.agent, invoice_ref=number, amount="770.00", method="cash")
    text, codes = read(pdf_of(uow, world.alice, number))
    assert codes == [upi_url(number, "1000.00", 2)]  # the rest, and a new transaction reference
    assert "Paid" in text and "770.00" in text and "Pay 1,000.00 INR by UPI" in text

    payments.record_receipt(uow, world.agent, invoice_ref=number, amount="1000.00", method="upi")
    text, codes = read(pdf_of(uow, world.alice, number))
    assert codes == [] and "Nothing is due on this invoice" in text


def test_a_tax_invoice_within_the_state_prints_what_rule_46_asks(uow, world):
    number = billed(uow, world)
    text, _ = read(pdf_of(uow, world.alice, number))
    for shown in ["Tax invoice", COMPANY.name, f"GSTIN {COMPANY.gstin}", "State 27 - Maharashtra",
                  f"Invoice {number}", "Alice (C-A)", "Unregistered (no GSTIN)",
                  "Place of supply 27 - Maharashtra", "Reverse charge: No", "HSN/SAC", "998715",
                  "CGST %", "SGST %", "Taxable", "Tax by rate", "18 %", "1,500.00", "135.00", "270.00",
                  "Invoice total (INR)", "1,770.00", "Amount due (INR)", "authorised signatory"]:
        assert shown in text, shown
    assert "IGST %" not in text


def test_a_tax_invoice_across_states_prints_igst_and_the_customers_gstin(uow, world):
    customers.set_gst_registration(uow, world.agent, customer_id=world.alice.customer_id,
                                   gstin="29AABCT1332L1ZA")
    number = billed(uow, world)
    text, codes = read(pdf_of(uow, world.alice, number))
    for shown in ["GSTIN 29AABCT1332L1ZA", "State 29 - Karnataka", "Place of supply 29 - Karnataka", "IGST %",
                  "IGST", "270.00", "1,770.00"]:
        assert shown in text, shown
    assert "CGST %" not in text and codes == [upi_url(number, "1770.00", 1)]


def test_the_mailed_bill_carries_the_same_code(uow, world):
    number = billed(uow, world)
    with uow() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == number))
        [attachment] = documents_for(s, event="final_bill", subject_type="job", subject_id=inv.source_id,
                                     payload={"invoice": number}, currency="INR")
        doc = tax_invoice(s, inv)
    assert attachment.filename == f"{number}.pdf" and doc.payment.amount == D("1770.00")
    assert read(attachment.data)[1] == [upi_url(number, "1770.00", 1)]


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal


def test_the_customer_downloads_the_pdf_from_the_portal_and_its_code_scans(portal):
    """Also the README's picture of a tax invoice: docs/images/tax-invoice.png."""
    catalog_admin.edit_part(portal.uow, portal.world.admin, sku="P-PUMP", hsn_code="841370")
    number = billed(portal.uow, portal.world)
    alice = portal.client("alice")
    r = alice.get(f"/portal/c/invoices/{number}/pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert read(r.content)[1] == [upi_url(number, "1770.00", 1)]
    pdf = pdfium.PdfDocument(r.content)
    try:
        page = pdf[0].render(scale=1.6).to_pil()
        page.crop((0, 0, page.width, int(page.height * 0.72))).save(IMAGES / "tax-invoice.png", optimize=True)
    finally:
        pdf.close()
    assert portal.client("bob").get(f"/portal/c/invoices/{number}/pdf").status_code == 404
