"""Technician money: travel advances (B3) and expense claims with bills (B8).

An advance posts Dr technician advances / Cr cash. Passed claim lines post
Dr job expenses / Cr technician advances, so the technician's party balance
is what they still hold (positive) or are owed (negative).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import idempotency
from backend.db import UnitOfWork, money
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import STAFF, Actor, require_role, require_technician_of
from backend.identity.scope import newest_visible
from backend.identity.models import Role, User
from backend.jobs.lifecycle import (
    ADVANCE_MOVES, CLAIM_LINE_MOVES, CLAIM_MOVES, JOB_MOVES, WORKED, can_decide_advance, can_decide_bill,
)
from backend.jobs.models import (
    Advance, AdvanceState, Attachment, ClaimLineState, ClaimState, ExpenseClaim, ExpenseLine, Job, JobState,
)
from backend.jobs.views import load_job
from backend.ledger import chart
from backend.ledger.models import Voucher, VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.notifications.outbox import notify
from backend.references import assign_number, normalise, parse

MAX_ADVANCE = Decimal("100000")
MAX_LINE = Decimal("100000")
MAX_LINES = 20
CATEGORIES = ("travel", "food", "lodging", "local_purchase", "other")


@dataclass(frozen=True)
class AdvanceView:
    id: int
    job_number: str
    technician_id: int
    amount: Decimal
    purpose: str
    state: str
    voucher: str | None
    created: bool = True  # False: a retry with the same idempotency key, answered with the first result


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created: bool = True


@dataclass(frozen=True)
class ClaimLineView:
    id: int
    category: str
    description: str
    amount: Decimal
    attachment_id: int | None
    state: str
    reason: str | None


@dataclass(frozen=True)
class ClaimView:
    number: str
    job_number: str
    technician_id: int
    state: str
    lines: list[ClaimLineView]
    passed_total: Decimal
    voucher: str | None
    created: bool = True


def _amount(value, limit: Decimal, field: str = "amount") -> Decimal:
    try:
        amount = money(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        raise invalid("the amount is not a number", field=field) from None
    if not amount.is_finite() or amount <= 0 or amount > limit:
        raise invalid(f"the amount must be above 0 and at most {limit}", field=field)
    return amount


def _advance_view(s: Session, a: Advance) -> AdvanceView:
    job = s.get(Job, a.job_id)
    voucher = s.get(Voucher, a.voucher_id) if a.voucher_id else None
    return AdvanceView(a.id, job.number, a.technician_id, a.amount, a.purpose, a.state, voucher.number if voucher else None)


def request_advance(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, amount, purpose: str, idempotency_key: str | None = None,
) -> AdvanceView:
    """B3: the technician asks for a travel advance before release; a retry
    with the same idempotency key answers with the first advance."""
    amount = _amount(amount, MAX_ADVANCE)
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 200:
        raise invalid("say what the advance is for (at most 200 characters)", field="purpose")
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.request_advance", idempotency_key, job=normalise(job_ref), amount=amount,
                     purpose=purpose)
        if once.replay is not None:
            return replace(_advance_view(s, _own_advance(s, actor, int(once.replay))), created=False)
        job = load_job(s, actor, job_ref, lock=True)
        require_technician_of(actor, job.technician_id)
        move(s, JOB_MOVES, job, JobState.ADVANCE_REQUESTED, actor, entity_type="job", request_id=job.request_id,
             note=f"advance {amount}")
        adv = Advance(job_id=job.id, technician_id=actor.user_id, amount=amount, purpose=purpose)
        s.add(adv)
        s.flush()
        once.done(adv.id)
        return _advance_view(s, adv)


def _own_advance(s: Session, actor: Actor, advance_id: int) -> Advance:
    adv = s.get(Advance, advance_id)
    if adv is None or adv.technician_id != actor.user_id:
        raise not_found("advance", advance_id)
    return adv


def _load_advance(s: Session, advance_id: int) -> tuple[Advance, Job]:
    adv = s.scalar(select(Advance).where(Advance.id == advance_id).with_for_update())
    if adv is None:
        raise not_found("advance", advance_id)
    if not can_decide_advance(adv):
        raise DomainError(ErrorCode.ALREADY_DONE, f"advance {advance_id} was already {adv.state}")
    return adv, s.get(Job, adv.job_id)


def _decide_advance(s: Session, adv: Advance, job: Job, target: AdvanceState, actor: Actor,
                    note: str | None = None) -> None:
    move(s, ADVANCE_MOVES, adv, target, actor, entity_type="advance", request_id=job.request_id, note=note)
    adv.decided_by = actor.user_id


def sanction_advance(uow: UnitOfWork, actor: Actor, *, advance_id: int) -> AdvanceView:
    """B3: sanctioned by an agent or the manager; cash goes out to the technician."""
    require_role(actor, *STAFF)
    with uow() as s:
        adv, job = _load_advance(s, advance_id)
        move(s, JOB_MOVES, job, JobState.ADVANCE_SANCTIONED, actor, entity_type="job", request_id=job.request_id)
        voucher = post_voucher(
            s, kind=VoucherKind.ADVANCE, on=date.today(), narration=f"Advance to technician for {job.number}",
            lines=[Line(chart.TECH_ADVANCES, debit=adv.amount, party_type="technician", party_id=adv.technician_id),
                   Line(chart.CASH, credit=adv.amount)],
            actor=actor, source_type="advance", source_id=adv.id,
        )
        _decide_advance(s, adv, job, AdvanceState.SANCTIONED, actor)
        adv.voucher_id = voucher.id
        notify(s, event="advance_sanctioned", subject_type="job", subject_id=job.id, user_id=adv.technician_id,
               job=job.number, amount=str(adv.amount))
        return _advance_view(s, adv)


def reject_advance(uow: UnitOfWork, actor: Actor, *, advance_id: int, reason: str) -> AdvanceView:
    require_role(actor, *STAFF)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("say why the advance is refused", field="reason")
    with uow() as s:
        adv, job = _load_advance(s, advance_id)
        move(s, JOB_MOVES, job, JobState.CONFIRMED, actor, entity_type="job", request_id=job.request_id,
             note=f"advance refused: {reason[:200]}")
        _decide_advance(s, adv, job, AdvanceState.REJECTED, actor, note=reason[:200])
        notify(s, event="advance_rejected", subject_type="job", subject_id=job.id, user_id=adv.technician_id,
               job=job.number, reason=reason[:200])
        return _advance_view(s, adv)


def list_advances(uow: UnitOfWork, actor: Actor, *, state: str | None = None) -> list[AdvanceView]:
    with uow() as s:
        q = select(Advance).order_by(Advance.id.desc()).limit(500)
        if actor.role == Role.TECHNICIAN:
            q = q.where(Advance.technician_id == actor.user_id)
        else:
            require_role(actor, *STAFF)
        if state:
            q = q.where(Advance.state == state)
        return [_advance_view(s, a) for a in s.scalars(q)]


# --- bills: attachments on disk, named by checksum -----------------------------

def store_attachment(
    uow: UnitOfWork, actor: Actor, *, upload_dir: Path, filename: str, content_type: str, data: bytes,
    max_bytes: int, allowed_types: tuple[str, ...], idempotency_key: str | None = None,
) -> AttachmentView:
    """A bill's file, kept once on disk by checksum; a retried upload with the
    same idempotency key answers with the first attachment."""
    require_role(actor, Role.TECHNICIAN, *STAFF)
    if len(data) > max_bytes:
        raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"the file is larger than {max_bytes // 1024} KB",
                          limit=max_bytes, size=len(data))
    if content_type not in allowed_types or not _looks_like(content_type, data):
        raise DomainError(ErrorCode.UPLOAD_TYPE, "bills are accepted as JPEG, PNG or PDF", allowed=list(allowed_types))
    if not data:
        raise invalid("the file is empty", field="file")
    digest = hashlib.sha256(data).hexdigest()
    keep_file(upload_dir, data, digest)
    name = Path(filename or "bill").name[:200] or "bill"
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.store_attachment", idempotency_key, sha256=digest, filename=name,
                     content_type=content_type)
        if once.replay is not None:
            att = s.get(Attachment, int(once.replay))
            return AttachmentView(att.id, att.filename, att.content_type, att.size, att.sha256, created=False)
        att = Attachment(filename=name, content_type=content_type, size=len(data), sha256=digest,
                         uploaded_by=actor.user_id)
        s.add(att)
        s.flush()
        once.done(att.id)
        return AttachmentView(att.id, att.filename, att.content_type, att.size, att.sha256)


_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}


def _looks_like(content_type: str, data: bytes) -> bool:
    return any(data.startswith(m) for m in _MAGIC.get(content_type, ()))


def attachment_path(upload_dir: Path, sha256: str) -> Path:
    return Path(upload_dir) / sha256[:2] / sha256


def keep_file(upload_dir: Path, data: bytes, digest: str) -> Path:
    """The file on disk under its checksum, written once (atomically: a temporary file renamed)."""
    target = attachment_path(upload_dir, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return target


# --- B8 expense claims, passed line by line by the manager ---------------------

def _claim_view(s: Session, c: ExpenseClaim) -> ClaimView:
    lines = [ClaimLineView(l.id, l.category, l.description, l.amount, l.attachment_id, l.state, l.reason)
             for l in s.scalars(select(ExpenseLine).where(ExpenseLine.claim_id == c.id).order_by(ExpenseLine.id))]
    passed = money(sum((l.amount for l in lines if l.state == ClaimLineState.PASSED), Decimal(0)))
    voucher = s.get(Voucher, c.voucher_id) if c.voucher_id else None
    return ClaimView(c.number, s.get(Job, c.job_id).number, c.technician_id, c.state, lines, passed,
                     voucher.number if voucher else None)


def submit_expense_claim(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, lines: list[dict], idempotency_key: str | None = None,
) -> ClaimView:
    """B8: a claim of 1 to 20 lines with their bills; a retry with the same
    idempotency key answers with the first claim (its lines are not added again)."""
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise invalid(f"a claim has 1 to {MAX_LINES} lines", field="lines")
    clean = []
    for i, line in enumerate(lines):
        category = str(line.get("category", "")).strip()
        description = str(line.get("description", "")).strip()
        if category not in CATEGORIES:
            raise invalid(f"line {i + 1}: unknown category '{category}'", field="category", allowed=list(CATEGORIES))
        if not description or len(description) > 200:
            raise invalid(f"line {i + 1}: describe the expense (at most 200 characters)", field="description")
        clean.append((category, description, _amount(line.get("amount"), MAX_LINE), line.get("attachment_id")))
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.submit_expense_claim", idempotency_key, job=normalise(job_ref),
                     lines=[list(line) for line in clean])
        if once.replay is not None:
            return replace(_claim_view(s, _load_claim(s, actor, once.replay)), created=False)
        job = load_job(s, actor, job_ref, lock=True)
        require_technician_of(actor, job.technician_id)
        if job.state not in WORKED:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "expenses are claimed once you have been on site",
                              current=job.state)
        for _, _, _, att_id in clean:
            if att_id is not None:
                att = s.get(Attachment, att_id)
                if att is None or att.uploaded_by != actor.user_id:
                    raise not_found("attachment", att_id)
        claim = ExpenseClaim(job_id=job.id, technician_id=actor.user_id)
        s.add(claim)
        assign_number(s, claim, "EC")
        for category, description, amount, att_id in clean:
            s.add(ExpenseLine(claim_id=claim.id, category=category, description=description, amount=amount,
                              attachment_id=att_id))
        record(s, entity_type="expense_claim", entity_id=claim.id, request_id=job.request_id, to_state="submitted",
               actor=actor)
        s.flush()
        once.done(claim.number)
        return _claim_view(s, claim)


def _load_claim(s: Session, actor: Actor, ref: str) -> ExpenseClaim:
    parsed = parse(ref)
    c = s.get(ExpenseClaim, parsed[1]) if parsed and parsed[0] == "EC" else None
    if c is None or not (actor.is_staff or actor.user_id == c.technician_id):
        raise not_found("expense claim", ref)
    return c


def get_expense_claim(uow: UnitOfWork, actor: Actor, *, claim_ref: str) -> ClaimView:
    with uow() as s:
        return _claim_view(s, _load_claim(s, actor, claim_ref))


def list_expense_claims(uow: UnitOfWork, actor: Actor, *, state: str | None = None) -> list[ClaimView]:
    q = newest_visible(ExpenseClaim, actor, state=state, technician=ExpenseClaim.technician_id)
    with uow() as s:
        return [_claim_view(s, c) for c in s.scalars(q)]


def decide_expense_line(
    uow: UnitOfWork, actor: Actor, *, line_id: int, passed: bool, reason: str | None = None,
) -> ClaimView:
    """B8: the manager passes or rejects each bill. When the last line is
    decided, one expense voucher posts what was passed, against the advance."""
    require_role(actor, Role.MANAGER)
    if not passed and not (reason or "").strip():
        raise invalid("say why the bill is rejected", field="reason")
    with uow() as s:
        line = s.scalar(select(ExpenseLine).where(ExpenseLine.id == line_id).with_for_update())
        if line is None:
            raise not_found("expense line", line_id)
        if not can_decide_bill(line):
            raise DomainError(ErrorCode.ALREADY_DONE, f"this bill was already {line.state}")
        claim = s.get(ExpenseClaim, line.claim_id)
        move(s, CLAIM_LINE_MOVES, line, ClaimLineState.PASSED if passed else ClaimLineState.REJECTED, actor,
             entity_type="expense_line", request_id=s.get(Job, claim.job_id).request_id,
             note=(reason or "").strip()[:200] or None)
        line.decided_by, line.reason = actor.user_id, (reason or None)
        s.flush()
        states = set(s.scalars(select(ExpenseLine.state).where(ExpenseLine.claim_id == claim.id)))
        if ClaimLineState.PENDING not in states:
            _close_claim(s, actor, claim, states)
        return _claim_view(s, claim)


def _close_claim(s: Session, actor: Actor, claim: ExpenseClaim, states: set[str]) -> None:
    job = s.get(Job, claim.job_id)
    total = money(sum(s.scalars(select(ExpenseLine.amount).where(
        ExpenseLine.claim_id == claim.id, ExpenseLine.state == ClaimLineState.PASSED)), Decimal(0)))
    new_state = (ClaimState.PASSED if states == {ClaimLineState.PASSED}
                 else ClaimState.REJECTED if total == 0 else ClaimState.PART_PASSED)
    if total > 0:
        voucher = post_voucher(
            s, kind=VoucherKind.EXPENSE, on=date.today(), narration=f"Expenses {claim.number} for {job.number}",
            lines=[Line(chart.JOB_EXPENSES, debit=total),
                   Line(chart.TECH_ADVANCES, credit=total, party_type="technician", party_id=claim.technician_id)],
            actor=actor, source_type="expense_claim", source_id=claim.id,
        )
        claim.voucher_id = voucher.id
    move(s, CLAIM_MOVES, claim, new_state, actor, entity_type="expense_claim", request_id=job.request_id,
         note=f"passed {total}")
    notify(s, event="expense_claim_decided", subject_type="expense_claim", subject_id=claim.id,
           user_id=claim.technician_id, claim=claim.number, passed=str(total))


@dataclass(frozen=True)
class SettlementView:
    voucher: str
    created: bool = True  # False: a retry with the same idempotency key, answered with the first voucher


def pay_technician(
    uow: UnitOfWork, actor: Actor, *, technician_id: int, amount, direction: str, idempotency_key: str | None = None,
) -> SettlementView:
    """Square a technician's account: ``reimburse`` what they are owed, or
    ``recover`` an unspent advance they hand back. A retry with the same
    idempotency key answers with the first voucher and posts nothing."""
    require_role(actor, Role.MANAGER, Role.AGENT)
    amount = _amount(amount, MAX_ADVANCE)
    if direction not in ("reimburse", "recover"):
        raise invalid("direction is 'reimburse' or 'recover'", field="direction")
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.pay_technician", idempotency_key, technician=technician_id,
                                 amount=amount, direction=direction)
        if once.replay is not None:
            return SettlementView(once.replay, created=False)
        tech = s.get(User, technician_id)
        if tech is None or tech.role != Role.TECHNICIAN:
            raise not_found("technician", technician_id)
        party = dict(party_type="technician", party_id=technician_id)
        lines = ([Line(chart.TECH_ADVANCES, debit=amount, **party), Line(chart.CASH, credit=amount)]
                 if direction == "reimburse" else
                 [Line(chart.CASH, debit=amount), Line(chart.TECH_ADVANCES, credit=amount, **party)])
        voucher = post_voucher(s, kind=VoucherKind.PAYMENT, on=date.today(),
                               narration=f"{direction.capitalize()} technician {tech.name}", lines=lines, actor=actor,
                               source_type="technician", source_id=technician_id)
        once.done(voucher.number)
        return SettlementView(voucher.number)


