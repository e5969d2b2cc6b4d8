"""B8: the stored file of an expense bill, for whoever decides or made the
claim: the manager (and the admin) who pass bills, and the technician who
claimed it. Anyone else is answered ``not_found``, so they cannot even learn
that the bill exists. Only pictures and PDFs may be shown in the browser;
any other stored type is handed over as a download of unknown type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from backend.db import UnitOfWork
from backend.errors import not_found
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.jobs.expenses import attachment_path
from backend.jobs.models import Attachment, ExpenseClaim, ExpenseLine

# What a browser may render in place: pictures and PDFs (served with nosniff by the adapters).
INLINE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
DOWNLOAD_TYPE = "application/octet-stream"
DECIDERS = (Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class BillFile:
    path: Path
    content_type: str
    filename: str
    inline: bool  # shown in the browser (Content-Disposition: inline), else a download (attachment)


def expense_bill_file(uow: UnitOfWork, actor: Actor, *, line_id: int, upload_dir: Path) -> BillFile:
    """The bill attached to an expense-claim line."""
    with uow() as s:
        row = s.execute(
            select(ExpenseLine, ExpenseClaim, Attachment)
            .join(ExpenseClaim, ExpenseClaim.id == ExpenseLine.claim_id)
            .join(Attachment, Attachment.id == ExpenseLine.attachment_id)
            .where(ExpenseLine.id == line_id)
        ).first()
        if row is None:
            raise not_found("bill of expense line", line_id)
        line, claim, att = row
        allowed = actor.role in DECIDERS or (
            actor.role == Role.TECHNICIAN and actor.user_id is not None and actor.user_id == claim.technician_id)
        if not allowed:
            raise not_found("bill of expense line", line_id)
        ext = INLINE_TYPES.get(att.content_type)
        name = f"{claim.number}-line-{line.id}.{ext or 'bin'}"
        return BillFile(attachment_path(upload_dir, att.sha256), att.content_type if ext else DOWNLOAD_TYPE,
                        name, ext is not None)


def bill_headers(f: BillFile) -> dict[str, str]:
    """The response headers every adapter serves a bill with."""
    return {"Content-Type": f.content_type, "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": f'{"inline" if f.inline else "attachment"}; filename="{f.filename}"'}
