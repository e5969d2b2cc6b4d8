"""The completion report of a job (issue 16): what was done, the parts used,
the before and after photos, the customer's signature and the times
(appointment, arrival, completion, signature), as a PDF (fpdf2).

``completion_document`` loads it in the caller's transaction (the portal's
download, the API, and the e-mail that carries it with the ``job_resolved``
notice: ``backend.documents.notices``); ``completion_pdf`` renders it (pure:
data in, bytes out). Pictures are read from the upload folder; one that is
missing prints as a note instead of failing the whole report.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from PIL import Image
from sqlalchemy.orm import Session

from backend.company import COMPANY
from backend.db import UnitOfWork
from backend.documents.pdf import FONT_DIRS
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.jobs import media
from backend.jobs.models import JobState
from backend.jobs.views import JobView, job_view, load_job

DONE = frozenset({JobState.RESOLVED, JobState.FEEDBACK, JobState.BILLED, JobState.CLOSED, JobState.SETTLED})
PDF = "application/pdf"
THUMB_PX = 900  # pictures are scaled down to this before they go into the PDF
PHOTO_W, PHOTO_H = 88.0, 66.0  # the box each photo is fitted in (mm), two to a row


@dataclass(frozen=True)
class Picture:
    kind: str  # before | after | signature
    taken_at: datetime
    data: bytes | None  # None: the file is missing


@dataclass(frozen=True)
class CompletionDocument:
    job: JobView
    evidence: media.Evidence
    photos: list[Picture]
    signature: Picture | None


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content_type: str
    data: bytes


def default_zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("PORTAL_TIMEZONE") or "Asia/Kolkata")


def completion_document(s: Session, actor: Actor, *, job_ref: str, upload_dir: Path | None) -> CompletionDocument:
    """A completed job's report, for whoever may see the job."""
    job = load_job(s, actor, job_ref)
    if job.state not in DONE:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"the completion report of {job.number} exists once the job "
                          "is completed", current=job.state)
    ev = media.evidence(s, actor, job)
    photos = [Picture(kind, at, media.picture_bytes(s, upload_dir, att))
              for kind, att, at in media.photo_attachments(s, job.id)]
    sig_att = media.signature_attachment(s, job.id)
    signature = (Picture("signature", ev.signature.signed_at, media.picture_bytes(s, upload_dir, sig_att))
                 if ev.signature and sig_att else None)
    return CompletionDocument(job_view(s, job), ev, photos, signature)


def completion_report(uow: UnitOfWork, actor: Actor, *, job_ref: str, upload_dir: Path | None,
                      zone: ZoneInfo | None = None) -> ReportFile:
    with uow() as s:
        doc = completion_document(s, actor, job_ref=job_ref, upload_dir=upload_dir)
    return ReportFile(f"{doc.job.number}-completion-report.pdf", PDF, completion_pdf(doc, zone or default_zone()))


# --- rendering -------------------------------------------------------------------------------------

class _Report:
    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("fieldserv")
        self.pdf.set_auto_page_break(True, margin=18)
        self.family, self.unicode = "Helvetica", False
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                self.pdf.add_font("DejaVu", "", str(regular))
                self.pdf.add_font("DejaVu", "B", str(bold))
                self.family, self.unicode = "DejaVu", True
                break
        self.pdf.add_page()

    def t(self, value) -> str:
        text = "" if value is None else str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def line(self, text, size: float = 10, bold: bool = False, h: float = 6) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(0, h, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.room(20)
        self.pdf.ln(3)
        self.line(text, 12, bold=True, h=8)

    def room(self, height: float) -> None:
        """A new page unless ``height`` mm still fit on this one."""
        if self.pdf.get_y() + height > self.pdf.h - self.pdf.b_margin:
            self.pdf.add_page()

    def picture(self, data: bytes, x: float, y: float, box_w: float, box_h: float, *, flatten: bool = False) -> float:
        """The picture fitted in the box at (x, y); returns the height it took."""
        with Image.open(io.BytesIO(data)) as img:
            img.thumbnail((THUMB_PX, THUMB_PX))
            if flatten or img.mode in ("RGBA", "LA", "P"):
                img = img.convert("RGBA")
                white = Image.new("RGBA", img.size, (255, 255, 255, 255))
                img = Image.alpha_composite(white, img)
            img = img.convert("RGB")
            w, h = img.size
            scale = min(box_w / w, box_h / h)
            out = io.BytesIO()
            img.save(out, "PNG" if flatten else "JPEG", quality=82)
        self.pdf.image(io.BytesIO(out.getvalue()), x=x, y=y, w=w * scale, h=h * scale)
        return h * scale


def _at(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d %b %Y %H:%M") if value else "-"


def completion_pdf(doc: CompletionDocument, zone: ZoneInfo) -> bytes:
    job, ev = doc.job, doc.evidence
    r = _Report(f"Completion report {job.number}")
    pdf = r.pdf
    r.line(COMPANY.name, 9)
    r.line(f"Completion report {job.number}", 18, bold=True, h=10)
    r.line(ev.customer_name + (f" · {ev.customer_phone}" if ev.customer_phone else ""), 11, bold=True)
    if ev.site_address:
        r.line(f"{ev.site_name or 'Site'}: {ev.site_address}", 9)
    if ev.item:
        r.line(f"Item: {ev.item}", 9)
    r.line(f"Technician: {job.technician_name or '-'}", 9)
    r.line(f"Problem reported: {job.problem}", 9)

    r.heading(f"Times ({zone.key})")
    slot = (f"{_at(job.scheduled_start, zone)} to {job.scheduled_end.astimezone(zone).strftime('%H:%M')}"
            if job.scheduled_start and job.scheduled_end else "-")
    for label, value in (("Appointment", slot), ("Arrival reported", _at(job.arrived_at, zone)),
                         ("Work completed", _at(job.resolved_at, zone)),
                         ("Signed by the customer", _at(ev.signature.signed_at, zone) if ev.signature else "-")):
        r.line(f"{label}: {value}", 10)

    r.heading("Work done")
    r.line(job.service_notes or "-", 10)

    r.heading("Parts used")
    if job.parts:
        pdf.set_font(r.family, "B", 9)
        widths = [40, 110, 20, 16]
        pdf.set_fill_color(230, 236, 238)
        for cell, w in zip(("Part", "Name", "Qty", "Cover"), widths, strict=True):
            pdf.cell(w, 7, r.t(cell), border="B", fill=True)
        pdf.ln(7)
        pdf.set_font(r.family, "", 9)
        for p in job.parts:
            for cell, w in zip((p.sku, p.name, f"{p.qty.normalize():f}", "yes" if p.covered else ""), widths,
                               strict=True):
                pdf.cell(w, 7, r.t(cell)[:60], border="B")
            pdf.ln(7)
    else:
        r.line("None.", 10)

    for kind in ("before", "after"):
        shots = [p for p in doc.photos if p.kind == kind]
        if not shots:
            continue
        r.room(PHOTO_H + 24)  # the heading stays with its first row of photos
        r.heading(f"Photos {kind} the work")
        for i in range(0, len(shots), 2):
            r.room(PHOTO_H + 10)
            y = pdf.get_y()
            used = 0.0
            for j, shot in enumerate(shots[i:i + 2]):
                x = pdf.l_margin + j * (PHOTO_W + 6)
                if shot.data:
                    try:
                        used = max(used, r.picture(shot.data, x, y, PHOTO_W, PHOTO_H))
                    except (OSError, ValueError):
                        pass
                pdf.set_xy(x, y + PHOTO_H + 1)
                pdf.set_font(r.family, "", 8)
                pdf.cell(PHOTO_W, 5, r.t(f"{kind.capitalize()} · {_at(shot.taken_at, zone)}"
                                         + ("" if shot.data else " (file missing)")))
            pdf.set_xy(pdf.l_margin, y + PHOTO_H + 8)

    r.heading("Customer's signature")
    if doc.signature and ev.signature:
        r.room(45)
        y = pdf.get_y()
        if doc.signature.data:
            r.picture(doc.signature.data, pdf.l_margin, y, 80, 35, flatten=True)
        else:
            r.line("(the drawing's file is missing)", 9)
        pdf.set_xy(pdf.l_margin, y + 37)
        r.line(f"Signed by {ev.signature.signer_name} on {_at(ev.signature.signed_at, zone)}", 10)
        r.line("The customer's signature confirms that the work above was done.", 8)
    else:
        r.line("Not signed.", 10)
    return bytes(pdf.output())
