"""The repair receipt / job card (E1) the walk-in customer keeps: the RO-
reference in large print and as a QR code, who handed what over, the fault,
the accessories and the condition, when it was received, the terms and two
signature lines. A4, printed at the counter (fpdf2; the QR drawn by segno).

``repair_receipt`` loads it in the caller's transaction (someone else's
repair answers not_found); ``get_repair_receipt`` is the use case the
portal's staff page serves; ``repair_receipt_pdf`` renders (data in, bytes out).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from sqlalchemy.orm import Session

from backend.catalog.models import Item, Product
from backend.company import COMPANY, Company
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.documents.completion import ReportFile, default_zone
from backend.documents.pdf import _Doc
from backend.identity.actor import STAFF, Actor, require_role
from backend.repairs.service import load_repair

PDF = "application/pdf"
QR_MM = 44.0
TERMS = ("Terms: the item is inspected and an estimate is sent to you before any paid work. Please bring this "
         "receipt when you collect the item. Items not collected within 90 days of our notice may be disposed of. "
         "We are not responsible for data or for accessories not listed above.")


@dataclass(frozen=True)
class RepairReceipt:
    number: str
    customer_code: str
    customer_name: str
    mobile: str | None
    item: str
    serial: str | None
    fault: str
    accessories: str | None
    condition_notes: str | None
    received_at: datetime
    state: str
    qr_text: str  # what the code says: the reference, or the customer's status page for it
    company: Company


def repair_receipt(s: Session, actor: Actor, *, repair_ref: str, status_url: str | None = None,
                   company: Company = COMPANY) -> RepairReceipt:
    r = load_repair(s, actor, repair_ref)
    c = s.get(Customer, r.customer_id)
    item = s.get(Item, r.item_id) if r.item_id else None
    product = s.get(Product, item.product_id).name if item else None
    described = r.item_description if not product or product == r.item_description else f"{r.item_description} ({product})"
    return RepairReceipt(r.number, c.code, c.name, c.phone, described, item.serial if item else None, r.fault,
                         r.accessories, r.condition_notes, r.received_at, r.state, status_url or r.number, company)


def get_repair_receipt(uow: UnitOfWork, actor: Actor, *, repair_ref: str, status_url: str | None = None,
                       zone: ZoneInfo | None = None) -> ReportFile:
    """The receipt / job card as a PDF, for the desk to print (staff only)."""
    require_role(actor, *STAFF)
    with uow() as s:
        doc = repair_receipt(s, actor, repair_ref=repair_ref, status_url=status_url)
    return ReportFile(f"{doc.number}-receipt.pdf", PDF, repair_receipt_pdf(doc, zone or default_zone()))


def _qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def repair_receipt_pdf(doc: RepairReceipt, zone: ZoneInfo) -> bytes:
    d = _Doc(f"Repair receipt {doc.number}")
    pdf = d.pdf
    d.line(doc.company.name, 13, bold=True, h=7)
    d.line(doc.company.address, 9, h=5)
    pdf.ln(2)
    top = pdf.get_y()
    d.line("Repair receipt / job card", 14, bold=True, h=8)
    d.line(doc.number, 30, bold=True, h=15)  # the reference, large, as text
    d.line(f"Received {doc.received_at.astimezone(zone).strftime('%d %b %Y %H:%M')} ({zone.key})", 10)
    qr_x = pdf.w - pdf.r_margin - QR_MM
    pdf.image(io.BytesIO(_qr_png(doc.qr_text)), x=qr_x, y=top, w=QR_MM, h=QR_MM, title="Repair reference QR code",
              alt_text=doc.qr_text)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + QR_MM) + 3)

    d.heading("Customer")
    d.line(f"{doc.customer_name} ({doc.customer_code})", 11, bold=True)
    d.line(f"Mobile: {doc.mobile or '-'}", 10)

    d.heading("Item")
    for label, value in (("Item", doc.item), ("Serial", doc.serial or "-"), ("Fault reported", doc.fault),
                         ("Accessories handed over", doc.accessories or "None"),
                         ("Condition when received", doc.condition_notes or "-")):
        d.font(10, bold=True)
        pdf.cell(52, 6, d.t(label))
        d.font(10)
        pdf.multi_cell(0, 6, d.t(value), new_x="LMARGIN", new_y="NEXT")

    pdf.ln(4)
    d.line(f"Quote {doc.number} when you call or come back for the item.", 10, bold=True)
    d.line(TERMS, 8, h=4.5)
    pdf.ln(14)
    y = pdf.get_y()
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 20) / 2
    for i, who in enumerate(("Customer's signature", f"For {doc.company.name}")):
        x = pdf.l_margin + i * (width + 20)
        pdf.line(x, y, x + width, y)
        pdf.set_xy(x, y + 1)
        d.font(9)
        pdf.cell(width, 5, d.t(who))
    return d.bytes()
