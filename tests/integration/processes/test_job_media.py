"""Evidence from the field (issue 16), through the real use cases on SQLite and
PostgreSQL: before/after photos and the customer's signature stored with the
job once (a resend with the same key, or the same picture again, is the same
photo), refused with stable codes for a wrong type, an oversize file, a
picture that is not one, another technician's job or the wrong moment; the
arrival's position and the phone's time; completion refused without the
signature where the job's type asks for it; retried steps acting once; and
the completion report (rendered to an image: the photos and the signature on
it) that the customer receives by e-mail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from PIL import ImageChops
from sqlalchemy import func, select, update

from backend.catalog.models import ServiceCharge
from backend.coverage.models import CoverageType
from backend.db import utcnow
from backend.delivery.dispatcher import dispatch_once
from backend.delivery.email import EmailChannel
from backend.documents.completion import completion_report
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import media
from backend.jobs import service as jobs
from backend.jobs.models import Attachment, JobArrival, JobPhoto, JobSignature, JobState
from backend.processes import job_outcomes
from tests.factories import AMC_SERIAL, CMC_SERIAL
from tests.support.delivery import told
from tests.support.pictures import BLUE, RED, noise, photo, signature
from tests.support.smtp import SmtpServer
from tests.unit.core.flows import new_job, step

LIMIT = 200 * 1024


@pytest.fixture
def uploads(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def code_of(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def count(uow, model, *where) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def to_state(uow, w, target: JobState, serial=None) -> str:
    ref = new_job(uow, w, serial) if serial else new_job(uow, w)
    for s in (JobState.SCHEDULED, JobState.CONFIRMED, JobState.RELEASED, JobState.IN_PROGRESS):
        step(uow, w, ref, s)
        if s == target:
            break
    return ref


def add_photo(uow, who, ref, data, *, kind="before", content_type="image/jpeg", tmp=None, key=None, limit=LIMIT):
    return media.add_photo(uow, who, job_ref=ref, kind=kind, filename="p.jpg", content_type=content_type, data=data,
                           upload_dir=tmp, max_bytes=limit, idempotency_key=key)


def sign(uow, who, ref, tmp, data=None, name="Alice Mehta", key=None, **kw):
    return media.sign_job(uow, who, job_ref=ref, signer_name=name, data=signature() if data is None else data,
                          upload_dir=tmp, idempotency_key=key, **kw)


def test_photos_are_kept_with_the_job_once_and_shown_to_its_customer_and_staff(uow, world, uploads):
    w, ref = world, to_state(uow, world, JobState.IN_PROGRESS)
    before = add_photo(uow, w.tech, ref, photo(RED), tmp=uploads, key="ph-1")
    after = add_photo(uow, w.tech, ref, photo(BLUE), kind="after", tmp=uploads, key="ph-2")
    again = add_photo(uow, w.tech, ref, photo(RED), tmp=uploads, key="ph-1")  # the phone sent it again
    same = add_photo(uow, w.tech, ref, photo(RED), tmp=uploads, key="ph-3")  # the same picture, a new key
    assert (before.created, after.created, again.created, same.created) == (True, True, False, False)
    assert again.id == same.id == before.id and (before.width, before.height) == (400, 300)
    assert count(uow, JobPhoto) == 2

    for who in (w.alice, w.agent, w.manager, w.tech):
        seen = job_outcomes.field_report(uow, who, job_ref=ref)
        assert [(p.kind, p.id) for p in seen.photos] == [("before", before.id), ("after", after.id)]
    stored = media.evidence_file(uow, w.alice, job_ref=ref, upload_dir=uploads, photo_id=after.id)
    assert stored.path.read_bytes() == photo(BLUE) and stored.content_type == "image/jpeg"
    assert code_of(media.evidence_file, uow, w.bob, job_ref=ref, upload_dir=uploads,
                   photo_id=after.id) == ErrorCode.NOT_FOUND
    assert code_of(media.get_evidence, uow, w.tech2, job_ref=ref) == ErrorCode.NOT_FOUND


def test_photos_are_refused_with_stable_codes_and_nothing_is_kept(uow, world, uploads):
    w, ref = world, to_state(uow, world, JobState.IN_PROGRESS)
    pdf = b"%PDF-1.4 not a photo"
    cases = [
        (dict(data=pdf, content_type="application/pdf"), ErrorCode.UPLOAD_TYPE),
        (dict(data=photo(fmt="PNG"), content_type="image/jpeg"), ErrorCode.UPLOAD_TYPE),  # bytes not of their type
        (dict(data=b"\xff\xd8\xff" + b"\0" * 300, content_type="image/jpeg"), ErrorCode.UPLOAD_TYPE),  # no picture
        (dict(data=photo(size=(900, 900)), limit=4 * 1024), ErrorCode.UPLOAD_TOO_LARGE),
        (dict(data=b""), ErrorCode.INVALID_INPUT),
        (dict(data=photo(), kind="during"), ErrorCode.INVALID_INPUT),
    ]
    for kwargs, code in cases:
        assert code_of(add_photo, uow, w.tech, ref, tmp=uploads, **kwargs) == code, kwargs
    assert code_of(add_photo, uow, w.tech2, ref, photo(), tmp=uploads) == ErrorCode.NOT_FOUND  # not your job
    assert code_of(add_photo, uow, w.agent, ref, photo(), tmp=uploads) == ErrorCode.FORBIDDEN
    released = to_state(uow, w, JobState.RELEASED)
    assert code_of(add_photo, uow, w.tech, released, photo(), tmp=uploads) == ErrorCode.ILLEGAL_TRANSITION
    assert count(uow, JobPhoto) == 0 and count(uow, Attachment) == 0
    assert not list(uploads.rglob("*"))  # no file written for a refusal


def test_the_signature_is_kept_once_and_refused_when_blank_wrong_or_not_yours(uow, world, uploads):
    w, ref = world, to_state(uow, world, JobState.IN_PROGRESS)
    assert code_of(sign, uow, w.tech, ref, uploads, data=signature(blank=True)) == ErrorCode.INVALID_INPUT
    assert code_of(sign, uow, w.tech, ref, uploads, name="  ") == ErrorCode.INVALID_INPUT
    assert code_of(sign, uow, w.tech, ref, uploads, data=photo(), content_type="image/jpeg") == ErrorCode.UPLOAD_TYPE
    assert code_of(sign, uow, w.tech, ref, uploads, data=noise()) == ErrorCode.UPLOAD_TOO_LARGE
    assert code_of(sign, uow, w.tech2, ref, uploads) == ErrorCode.NOT_FOUND
    assert count(uow, JobSignature) == 0 and not list(uploads.rglob("*"))

    signed_at = utcnow() - timedelta(minutes=40)
    first = sign(uow, w.tech, ref, uploads, key="sig-1", signed_at=signed_at)
    again = sign(uow, w.tech, ref, uploads, key="sig-1", signed_at=signed_at)
    assert (first.created, again.created, first.signer_name) == (True, False, "Alice Mehta")
    assert code_of(sign, uow, w.tech, ref, uploads, key="sig-2", name="Someone Else") == ErrorCode.ALREADY_DONE
    assert count(uow, JobSignature) == 1
    assert job_outcomes.field_report(uow, w.alice, job_ref=ref).signature.signed_at == signed_at


def test_arrival_keeps_the_position_and_the_phones_time_for_staff_not_the_customer(uow, world):
    w = world
    ref = to_state(uow, w, JobState.RELEASED)
    two_hours_ago = utcnow() - timedelta(hours=2)
    bad = [dict(location="shared", latitude="91", longitude="72.8"), dict(location="shared"),
           dict(location="denied", latitude="19.1", longitude="72.8"), dict(location="somewhere"),
           dict(reported_at=utcnow() - timedelta(days=4)), dict(reported_at=utcnow() + timedelta(hours=1))]
    for kwargs in bad:
        assert code_of(jobs.report_arrival, uow, w.tech, job_ref=ref, **kwargs) == ErrorCode.INVALID_INPUT, kwargs
    assert count(uow, JobArrival) == 0 and jobs.get_job(uow, w.agent, job_ref=ref).state == JobState.RELEASED

    view = jobs.report_arrival(uow, w.tech, job_ref=ref, location="shared", latitude="19.117500",
                               longitude="72.846400", accuracy_m="12.5", reported_at=two_hours_ago,
                               idempotency_key="arr-1")
    assert view.state == JobState.IN_PROGRESS and view.arrived_at == two_hours_ago
    again = jobs.report_arrival(uow, w.tech, job_ref=ref, location="shared", latitude="19.117500",
                                longitude="72.846400", accuracy_m="12.5", reported_at=two_hours_ago,
                                idempotency_key="arr-1")
    assert again.created is False and count(uow, JobArrival) == 1
    arrival = job_outcomes.field_report(uow, w.manager, job_ref=ref).arrival
    assert (arrival.location, arrival.latitude, arrival.longitude, arrival.accuracy_m) == \
        ("shared", Decimal("19.117500"), Decimal("72.846400"), Decimal("12.5"))
    assert arrival.reported_at == two_hours_ago and arrival.received_at > two_hours_ago
    assert job_outcomes.field_report(uow, w.alice, job_ref=ref).arrival is None  # the technician's position is not
    # the customer's business
    other = to_state(uow, w, JobState.RELEASED)
    jobs.report_arrival(uow, w.tech, job_ref=other, location="denied")
    assert job_outcomes.field_report(uow, w.agent, job_ref=other).arrival.location == "denied"


def test_completion_waits_for_the_signature_where_the_job_type_says_so(uow, world, uploads):
    w = world
    with uow() as s:
        s.execute(update(ServiceCharge).where(ServiceCharge.code == "VISIT").values(requires_signature=True))
        s.execute(update(CoverageType).where(CoverageType.code == "AMC").values(requires_signature=True))
    billable = to_state(uow, w, JobState.IN_PROGRESS)
    contract_visit = to_state(uow, w, JobState.IN_PROGRESS, serial=AMC_SERIAL)
    other_contract = to_state(uow, w, JobState.IN_PROGRESS, serial=CMC_SERIAL)
    for ref in (billable, contract_visit):
        assert job_outcomes.field_report(uow, w.tech, job_ref=ref).signature_required
        with pytest.raises(DomainError) as err:
            job_outcomes.resolve_job(uow, w.tech, job_ref=ref, service_notes="Fixed")
        assert (err.value.code, err.value.details["reason"]) == (ErrorCode.ILLEGAL_TRANSITION, "signature_required")
        assert jobs.get_job(uow, w.agent, job_ref=ref).state == JobState.IN_PROGRESS
        sign(uow, w.tech, ref, uploads)
        assert job_outcomes.resolve_job(uow, w.tech, job_ref=ref, service_notes="Fixed").state == JobState.RESOLVED
    assert not job_outcomes.field_report(uow, w.tech, job_ref=other_contract).signature_required
    assert job_outcomes.resolve_job(uow, w.tech, job_ref=other_contract, service_notes="Fixed").state == \
        JobState.RESOLVED


def test_steps_resent_with_their_key_act_once(uow, world):
    w = world
    ref = new_job(uow, w)
    step(uow, w, ref, JobState.SCHEDULED)
    first = jobs.confirm_job(uow, w.tech, job_ref=ref, idempotency_key="c-1")
    again = jobs.confirm_job(uow, w.tech, job_ref=ref, idempotency_key="c-1")
    assert (first.created, again.created, again.state) == (True, False, JobState.CONFIRMED)
    assert code_of(jobs.confirm_job, uow, w.tech, job_ref=ref, idempotency_key="c-2") == ErrorCode.ILLEGAL_TRANSITION
    step(uow, w, ref, JobState.RELEASED)
    jobs.report_arrival(uow, w.tech, job_ref=ref, idempotency_key="a-1")
    done_at = utcnow() - timedelta(minutes=5)
    for n in range(2):
        view = job_outcomes.resolve_job(uow, w.tech, job_ref=ref, service_notes="Fixed", completed_at=done_at,
                                        idempotency_key="r-1")
        assert (view.created, view.state, view.resolved_at) == (n == 0, JobState.RESOLVED, done_at)
    with uow() as s:
        moves = list(s.scalars(select(StateChange.to_state).where(StateChange.entity_type == "job",
                                                                  StateChange.from_state != StateChange.to_state)))
    assert moves.count("confirmed") == moves.count("in_progress") == moves.count("resolved") == 1
    assert told(uow, w.alice).count("job_resolved") == 1


def _ink(image, color, tolerance=60) -> int:
    """How many pixels of ``image`` are close to ``color``."""
    near = [band.point(lambda v, c=c: 255 if abs(v - c) < tolerance else 0) for band, c in zip(image.split(), color)]
    return ImageChops.multiply(ImageChops.multiply(near[0], near[1]), near[2]).histogram()[255]


def _worked_and_signed(uow, w, uploads) -> str:
    ref = to_state(uow, w, JobState.IN_PROGRESS)
    jobs.add_parts_used(uow, w.tech, job_ref=ref, part_sku="P-PUMP", qty="1")
    add_photo(uow, w.tech, ref, photo(RED, size=(640, 480)), tmp=uploads)
    add_photo(uow, w.tech, ref, photo(BLUE, size=(640, 480)), kind="after", tmp=uploads)
    sign(uow, w.tech, ref, uploads, name="Alice Mehta")
    job_outcomes.resolve_job(uow, w.tech, job_ref=ref, service_notes="Replaced the drain pump")
    return ref


def test_the_completion_report_shows_the_photos_and_the_signature(uow, world, uploads):
    w = world
    ref = _worked_and_signed(uow, w, uploads)
    report = completion_report(uow, w.alice, job_ref=ref, upload_dir=uploads)
    assert report.filename == f"{ref}-completion-report.pdf" and report.data.startswith(b"%PDF")
    doc = pdfium.PdfDocument(report.data)
    words = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    for text in (f"Completion report {ref}", "Replaced the drain pump", "P-PUMP", "Photos before the work",
                 "Photos after the work", "Signed by Alice Mehta", "Arrival reported"):
        assert text in words, (text, words[:600])
    pages = [doc[i].render(scale=1.5).to_pil().convert("RGB") for i in range(len(doc))]
    assert sum(_ink(p, RED) for p in pages) > 5000  # the before photo
    assert sum(_ink(p, BLUE) for p in pages) > 5000  # the after photo
    images = [obj for i in range(len(doc)) for obj in doc[i].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE])]
    assert len(images) == 3
    drawing = images[-1].get_bitmap().to_pil().convert("L")  # the signature: dark strokes on white
    assert drawing.getextrema()[0] < 60 and sum(drawing.histogram()[:100]) > 200

    assert code_of(completion_report, uow, w.bob, job_ref=ref, upload_dir=uploads) == ErrorCode.NOT_FOUND
    open_job = to_state(uow, w, JobState.IN_PROGRESS)
    assert code_of(completion_report, uow, w.alice, job_ref=open_job, upload_dir=uploads) == \
        ErrorCode.ILLEGAL_TRANSITION


def test_the_customer_is_mailed_the_completion_report(uow, world, uploads):
    w = world
    with SmtpServer() as smtp:
        ref = _worked_and_signed(uow, w, uploads)
        channel = EmailChannel(smtp.url, "fieldserv <service@fieldserv.test>", uow, upload_dir=uploads)
        while dispatch_once(uow, {"email": channel}, worker="w1").busy:
            pass
        [done] = smtp.box.with_subject(f"Service done: {ref}")
    assert done.rcpt_tos == ["alice@example.com"]
    [pdf] = list(done.message.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == (f"{ref}-completion-report.pdf", "application/pdf")
    page = pdfium.PdfDocument(pdf.get_content())[0]
    assert f"Completion report {ref}" in page.get_textpage().get_text_range()
    assert "job_resolved" in told(uow, w.alice)
