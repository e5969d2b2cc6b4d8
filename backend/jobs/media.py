"""Evidence from the field (issue 16): before and after photos, the
customer's signature, where and when arrival was reported, and the
technician's notes on a job.

The phone may send these long after they happened (it kept them while it
had no signal), so each takes the phone's time, checked: not more than
``MAX_OFFLINE`` old, and never later than now (a fast phone clock is
clamped). Every call that adds something takes an idempotency key; a
picture sent again (same bytes, same job) is the same photo even without
one. Files are kept once on disk by checksum (``expenses.keep_file``), each
an ``Attachment`` row; the size, the declared type, the bytes' own type and
whether Pillow can read the picture are all checked before anything is
written.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from PIL import Image, ImageChops
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import fields, idempotency
from backend.catalog.models import Item, Product
from backend.customers.models import Customer, Site
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import record
from backend.identity.actor import Actor, require_role, require_technician_of
from backend.identity.models import Role, User
from backend.jobs.expenses import attachment_path, keep_file
from backend.jobs.lifecycle import ACTIVE
from backend.jobs.models import (
    ArrivalLocation, Attachment, Job, JobArrival, JobNote, JobPhoto, JobSignature, JobState, PhotoKind,
)
from backend.jobs.views import load_job
from backend.references import normalise

MAX_OFFLINE = timedelta(days=3)  # how long a phone may hold what it recorded before sending it
CLOCK_SLACK = timedelta(minutes=10)  # a phone clock this far ahead is believed (then clamped to now)
PHOTO_TYPES = ("image/jpeg", "image/png")
SIGNATURE_MAX = 512 * 1024
MAX_PIXELS = 40_000_000  # a picture larger than this (a decompression bomb) is refused unread
MAX_NOTE = 2000
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
NOTED_STATES = ACTIVE | {JobState.RESOLVED}


# --- what callers get back ---------------------------------------------------------------------

@dataclass(frozen=True)
class PhotoView:
    id: int
    job_number: str
    kind: str
    content_type: str
    size: int
    width: int
    height: int
    taken_at: datetime
    created: bool = True  # False: the same photo sent again (same key, or the same picture)


@dataclass(frozen=True)
class SignatureView:
    job_number: str
    signer_name: str
    signed_at: datetime
    size: int
    created: bool = True


@dataclass(frozen=True)
class ArrivalView:
    job_number: str
    location: str  # shared | denied | unavailable | unsupported | not_asked
    latitude: Decimal | None
    longitude: Decimal | None
    accuracy_m: Decimal | None
    reported_at: datetime  # the phone's time
    received_at: datetime  # when the server heard of it (later when the phone was offline)
    reported_by: str


@dataclass(frozen=True)
class NoteView:
    id: int
    job_number: str
    body: str
    author: str
    noted_at: datetime
    created: bool = True


@dataclass(frozen=True)
class Evidence:
    """What was recorded on a job in the field, and where the job is."""

    job_number: str
    customer_name: str
    customer_phone: str | None
    site_name: str | None
    site_address: str | None
    item: str | None  # product and serial
    photos: list[PhotoView]
    signature: SignatureView | None
    arrival: ArrivalView | None  # staff and the technician; not shown to the customer
    notes: list[NoteView]  # staff and the technician; not shown to the customer
    signature_required: bool = False  # set by backend.processes.job_outcomes.field_report


@dataclass(frozen=True)
class StoredFile:
    path: Path
    content_type: str
    filename: str


@dataclass(frozen=True)
class Position:
    location: str
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: Decimal | None = None


# --- checks (before anything is written) --------------------------------------------------------

def phone_time(value: datetime | str | None, field: str) -> datetime | None:
    """When something happened by the phone's clock: aware, at most
    ``MAX_OFFLINE`` ago, clamped to now when slightly ahead."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise invalid(f"{field.replace('_', ' ')} is not a date and time", field=field) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise invalid(f"{field.replace('_', ' ')} needs a time zone", field=field)
    now = utcnow()
    if value > now + CLOCK_SLACK:
        raise invalid(f"{field.replace('_', ' ')} is in the future: check the phone's clock", field=field)
    if value < now - MAX_OFFLINE:
        raise invalid(f"{field.replace('_', ' ')} is more than {MAX_OFFLINE.days} days ago: it was kept on the "
                      "phone too long; tell the help desk", field=field)
    return min(value, now)


def _number(value, field: str, low: Decimal, high: Decimal, places: str) -> Decimal:
    try:
        n = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(f"{field} is not a number", field=field) from None
    if not n.is_finite() or not low <= n <= high:
        raise invalid(f"{field} must be between {low} and {high}", field=field)
    return n.quantize(Decimal(places))


def position(location: str | None = None, latitude=None, longitude=None, accuracy_m=None) -> Position:
    """The arrival position as the phone gave it, or why there is none."""
    given = [v for v in (latitude, longitude, accuracy_m) if v not in (None, "")]
    if not location:
        location = ArrivalLocation.SHARED if given else ArrivalLocation.NOT_ASKED
    if location not in set(ArrivalLocation):
        raise invalid(f"location is one of {', '.join(ArrivalLocation)}", field="location")
    if location != ArrivalLocation.SHARED:
        if given:
            raise invalid("a position is sent only when the location is shared", field="location")
        return Position(str(location))
    if latitude in (None, "") or longitude in (None, ""):
        raise invalid("a shared location needs the latitude and the longitude", field="latitude")
    return Position(str(location), _number(latitude, "latitude", Decimal(-90), Decimal(90), "0.000001"),
                    _number(longitude, "longitude", Decimal(-180), Decimal(180), "0.000001"),
                    None if accuracy_m in (None, "") else _number(accuracy_m, "accuracy_m", Decimal(0),
                                                                   Decimal(100000), "0.1"))


def check_picture(data: bytes, content_type: str, *, max_bytes: int, allowed: tuple[str, ...],
                  what: str = "photo") -> tuple[int, int]:
    """Width and height of a JPEG or PNG picture within the limits, else the refusal."""
    if len(data) > max_bytes:
        raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"the {what} is larger than {max_bytes // 1024} KB",
                          limit=max_bytes, size=len(data), field="file")
    if not data:
        raise invalid(f"the {what} is empty", field="file")
    kinds = " or ".join(t.split("/")[1].upper() for t in allowed)
    if content_type not in allowed or not data.startswith(_MAGIC.get(content_type, b"\0\0")):
        raise DomainError(ErrorCode.UPLOAD_TYPE, f"a {what} is accepted as {kinds}", allowed=list(allowed),
                          field="file")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if img.format != _FORMATS[content_type]:
                raise ValueError(img.format)
            if width * height > MAX_PIXELS:
                raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"the {what} has too many pixels", field="file",
                                  limit=MAX_PIXELS)
            img.verify()
    except DomainError:
        raise
    except Exception:  # Pillow's many ways of saying "not a picture" (truncated, bomb, wrong format)
        raise DomainError(ErrorCode.UPLOAD_TYPE, f"the {what} is not a readable {kinds} picture",
                          allowed=list(allowed), field="file") from None
    return width, height


def _drawn(data: bytes) -> bool:
    """Whether a signature drawing has any ink (a PNG with alpha, or dark pixels)."""
    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGBA")
        if img.getchannel("A").getbbox() is None:
            return False
        grey = img.convert("L")
        mask = img.getchannel("A").point(lambda a: 255 if a > 32 else 0)
        ink = grey.point(lambda v: 255 if v < 160 else 0)
        return ImageChops.multiply(ink, mask).getbbox() is not None


def _own_open_job(s: Session, actor: Actor, job_ref: str, doing: str, states=frozenset({JobState.IN_PROGRESS})) -> Job:
    job = load_job(s, actor, job_ref, lock=True)
    require_technician_of(actor, job.technician_id)
    if job.state not in states:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION,
                          f"{doing} while the job is in progress; {job.number} is {str(job.state).replace('_', ' ')}",
                          current=job.state)
    return job


def _attachment(s: Session, actor: Actor, upload_dir: Path, data: bytes, digest: str, filename: str,
                content_type: str) -> Attachment:
    keep_file(upload_dir, data, digest)
    att = Attachment(filename=Path(filename or "photo").name[:200] or "photo", content_type=content_type,
                     size=len(data), sha256=digest, uploaded_by=actor.user_id)
    s.add(att)
    s.flush()
    return att


# --- photos --------------------------------------------------------------------------------------

def add_photo(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, kind: str, filename: str, content_type: str, data: bytes,
    upload_dir: Path, max_bytes: int, allowed_types: tuple[str, ...] = PHOTO_TYPES, taken_at=None,
    idempotency_key: str | None = None,
) -> PhotoView:
    """A before or after photo of the work, by the job's technician while it is in progress."""
    require_role(actor, Role.TECHNICIAN)
    if kind not in set(PhotoKind):
        raise invalid("a photo is 'before' or 'after' the work", field="kind")
    at = phone_time(taken_at, "taken_at")
    allowed = tuple(t for t in allowed_types if t in _FORMATS) or PHOTO_TYPES
    width, height = check_picture(data, content_type, max_bytes=max_bytes, allowed=allowed)
    digest = hashlib.sha256(data).hexdigest()
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.add_photo", idempotency_key, job=normalise(job_ref), kind=kind,
                                 sha256=digest, taken_at=at)
        if once.replay is not None:
            return replace(_photo_view(s, s.get(JobPhoto, int(once.replay))), created=False)
        job = _own_open_job(s, actor, job_ref, "photos are taken")
        same = s.scalar(select(JobPhoto).join(Attachment, Attachment.id == JobPhoto.attachment_id)
                        .where(JobPhoto.job_id == job.id, Attachment.sha256 == digest))
        if same is not None:  # the same picture sent again under another key: still one photo
            once.done(same.id)
            return replace(_photo_view(s, same), created=False)
        att = _attachment(s, actor, upload_dir, data, digest, filename, content_type)
        photo = JobPhoto(job_id=job.id, kind=kind, attachment_id=att.id, width=width, height=height,
                         taken_at=at or utcnow(), taken_by=actor.user_id)
        s.add(photo)
        record(s, entity_type="job", entity_id=job.id, request_id=job.request_id, from_state=job.state,
               to_state=job.state, actor=actor, note=f"{kind} photo")
        s.flush()
        once.done(photo.id)
        return _photo_view(s, photo)


def _photo_view(s: Session, p: JobPhoto) -> PhotoView:
    att = s.get(Attachment, p.attachment_id)
    return PhotoView(p.id, s.get(Job, p.job_id).number, p.kind, att.content_type, att.size, p.width, p.height,
                     p.taken_at)


# --- the customer's signature ----------------------------------------------------------------------

def sign_job(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, signer_name: str, data: bytes, upload_dir: Path,
    content_type: str = "image/png", max_bytes: int = SIGNATURE_MAX, signed_at=None,
    idempotency_key: str | None = None,
) -> SignatureView:
    """The customer signs on the technician's phone that the work was done (once per job)."""
    require_role(actor, Role.TECHNICIAN)
    name = fields.text(signer_name, "signer_name", max_len=120, what="name of the person signing")
    at = phone_time(signed_at, "signed_at")
    check_picture(data, content_type, max_bytes=min(max_bytes, SIGNATURE_MAX), allowed=("image/png",),
                  what="signature")
    if not _drawn(data):
        raise invalid("the signature is blank: ask the customer to sign in the box", field="signature")
    digest = hashlib.sha256(data).hexdigest()
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.sign_job", idempotency_key, job=normalise(job_ref), name=name,
                                 sha256=digest, signed_at=at)
        if once.replay is not None:
            return replace(_signature_view(s, s.get(JobSignature, int(once.replay))), created=False)
        job = _own_open_job(s, actor, job_ref, "the customer signs")
        if (done := s.scalar(select(JobSignature).where(JobSignature.job_id == job.id))) is not None:
            raise DomainError(ErrorCode.ALREADY_DONE, f"{done.signer_name} already signed for {job.number}",
                              signed_at=done.signed_at.isoformat())
        att = _attachment(s, actor, upload_dir, data, digest, f"{job.number}-signature.png", "image/png")
        sig = JobSignature(job_id=job.id, signer_name=name, attachment_id=att.id, signed_at=at or utcnow(),
                           captured_by=actor.user_id)
        s.add(sig)
        record(s, entity_type="job", entity_id=job.id, request_id=job.request_id, from_state=job.state,
               to_state=job.state, actor=actor, note=f"signed by {name}")
        s.flush()
        once.done(sig.id)
        return _signature_view(s, sig)


def _signature_view(s: Session, sig: JobSignature) -> SignatureView:
    return SignatureView(s.get(Job, sig.job_id).number, sig.signer_name, sig.signed_at,
                         s.get(Attachment, sig.attachment_id).size)


def has_signature(s: Session, job_id: int) -> bool:
    return s.scalar(select(JobSignature.id).where(JobSignature.job_id == job_id)) is not None


# --- arrival (written by service.report_arrival in its transaction) -------------------------------------

def record_arrival(s: Session, actor: Actor, job: Job, where: Position, at: datetime) -> None:
    s.add(JobArrival(job_id=job.id, location=where.location, latitude=where.latitude, longitude=where.longitude,
                     accuracy_m=where.accuracy_m, reported_at=at, reported_by=actor.user_id))


def describe(where: Position) -> str:
    """The history note of an arrival (the customer reads the history too: the position itself is not in it)."""
    if where.location == ArrivalLocation.SHARED:
        return "position recorded"
    return f"position not shared ({str(where.location).replace('_', ' ')})"


# --- notes -----------------------------------------------------------------------------------------

def add_note(uow: UnitOfWork, actor: Actor, *, job_ref: str, body: str, noted_at=None,
             idempotency_key: str | None = None) -> NoteView:
    """The technician's note on the job (for the help desk; the customer does not see it)."""
    require_role(actor, Role.TECHNICIAN)
    body = fields.text(body, "body", max_len=MAX_NOTE, multiline=True, what="note")
    at = phone_time(noted_at, "noted_at")
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.add_note", idempotency_key, job=normalise(job_ref), body=body,
                                 noted_at=at)
        if once.replay is not None:
            return replace(_note_view(s, s.get(JobNote, int(once.replay))), created=False)
        job = _own_open_job(s, actor, job_ref, "notes are added", NOTED_STATES)
        note = JobNote(job_id=job.id, author_id=actor.user_id, body=body, noted_at=at or utcnow())
        s.add(note)
        s.flush()
        once.done(note.id)
        return _note_view(s, note)


def _note_view(s: Session, n: JobNote) -> NoteView:
    return NoteView(n.id, s.get(Job, n.job_id).number, n.body, _name(s, n.author_id), n.noted_at)


def _name(s: Session, user_id: int | None) -> str:
    user = s.get(User, user_id) if user_id else None
    return user.name if user else "someone"


# --- reading -------------------------------------------------------------------------------------

def evidence(s: Session, actor: Actor, job: Job) -> Evidence:
    """What was recorded on ``job`` (already loaded for ``actor``); the customer
    sees the photos and the signature, not the position or the notes."""
    customer = s.get(Customer, job.customer_id)
    site = s.get(Site, job.site_id) if job.site_id else None
    item = None
    if job.item_id and (row := s.execute(select(Product.name, Item.serial).join(Item, Item.product_id == Product.id)
                                         .where(Item.id == job.item_id)).first()):
        item = f"{row[0]} {row[1]}"
    photos = [_photo_view(s, p) for p in s.scalars(select(JobPhoto).where(JobPhoto.job_id == job.id)
                                                    .order_by(JobPhoto.kind.desc(), JobPhoto.taken_at, JobPhoto.id))]
    sig = s.scalar(select(JobSignature).where(JobSignature.job_id == job.id))
    inside = actor.role != Role.CUSTOMER
    arrival = s.scalar(select(JobArrival).where(JobArrival.job_id == job.id)) if inside else None
    notes = ([_note_view(s, n) for n in s.scalars(select(JobNote).where(JobNote.job_id == job.id)
                                                   .order_by(JobNote.noted_at, JobNote.id))] if inside else [])
    return Evidence(
        job.number, customer.name, customer.phone, site.name if site else None,
        ", ".join(x for x in (site.address, site.city) if x) if site else None, item, photos,
        _signature_view(s, sig) if sig else None,
        ArrivalView(job.number, arrival.location, arrival.latitude, arrival.longitude, arrival.accuracy_m,
                    arrival.reported_at, arrival.received_at, _name(s, arrival.reported_by)) if arrival else None,
        notes,
    )


def get_evidence(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> Evidence:
    with uow() as s:
        return evidence(s, actor, load_job(s, actor, job_ref))


def evidence_file(uow: UnitOfWork, actor: Actor, *, job_ref: str, upload_dir: Path, photo_id: int | None = None,
                  signature: bool = False) -> StoredFile:
    """A photo's or the signature's file, for whoever may see the job."""
    with uow() as s:
        job = load_job(s, actor, job_ref)
        if signature:
            sig = s.scalar(select(JobSignature).where(JobSignature.job_id == job.id))
            att = s.get(Attachment, sig.attachment_id) if sig else None
        else:
            photo = s.get(JobPhoto, photo_id) if photo_id is not None else None
            att = s.get(Attachment, photo.attachment_id) if photo and photo.job_id == job.id else None
        if att is None:
            raise not_found("signature" if signature else "photo", photo_id or job.number)
        ext = "png" if att.content_type == "image/png" else "jpg"
        name = f"{job.number}-signature.png" if signature else f"{job.number}-photo-{photo_id}.{ext}"
        return StoredFile(attachment_path(upload_dir, att.sha256), att.content_type, name)


def picture_bytes(s: Session, upload_dir: Path | None, attachment_id: int) -> bytes | None:
    """A stored picture's bytes (None when the file is missing or no folder is known)."""
    att = s.get(Attachment, attachment_id)
    if att is None or upload_dir is None:
        return None
    path = attachment_path(upload_dir, att.sha256)
    try:
        return path.read_bytes()
    except OSError:
        return None


def signature_attachment(s: Session, job_id: int) -> int | None:
    return s.scalar(select(JobSignature.attachment_id).where(JobSignature.job_id == job_id))


def photo_attachments(s: Session, job_id: int) -> list[tuple[str, int, datetime]]:
    return [(p.kind, p.attachment_id, p.taken_at) for p in s.scalars(
        select(JobPhoto).where(JobPhoto.job_id == job_id).order_by(JobPhoto.kind.desc(), JobPhoto.taken_at,
                                                                   JobPhoto.id))]
