"""Evidence from the field (issue 16): before and after photos, the
customer's signature, the technician's notes, what was recorded on a job, and
its completion report. Arrival with its position is ``POST
/api/jobs/{job_ref}/arrival`` (``routes/jobs.py``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend.api.openapi import Download
from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, JOB_REF
from backend.api.routing import Call, RouteTable
from backend.api.schema import DateTime, Enum, Int, Obj, Str
from backend.api.uploads import read_upload
from backend.documents.completion import completion_report
from backend.errors import not_found
from backend.jobs import media
from backend.jobs.models import PhotoKind
from backend.processes import job_outcomes

routes = RouteTable("job media")
TECH = ("technician",)
PHOTO = {**JOB_REF, "photo_id": Int(description="The photo's id")}
WHEN = DateTime(nullable=True, description="When it happened by the phone's clock, if it was kept offline "
                                           "(at most 3 days ago); now when left out")


def _job(call: Call) -> str:
    return call.path["job_ref"]


@routes.post("/api/jobs/{job_ref}/photos", "A before or after photo of the work (JPEG or PNG, the job's "
             "technician, while it is in progress)", params=JOB_REF, upload=True, status=201, errors=(415,),
             idempotent=True, query={"kind": Enum(*PhotoKind), "taken_at": WHEN},
             response=returns(media.add_photo), roles=TECH)
async def add_photo(call: Call) -> Any:
    limit = call.settings.upload_max_bytes
    upload = await read_upload(call.request, field="file", max_bytes=limit)
    return await call(media.add_photo, job_ref=_job(call), kind=call.query["kind"], filename=upload.filename,
                      content_type=upload.content_type, data=upload.data, upload_dir=call.settings.upload_dir,
                      max_bytes=limit, allowed_types=call.settings.upload_types, taken_at=call.query["taken_at"])


@routes.post("/api/jobs/{job_ref}/signature", "The customer's signature on completion: a PNG drawing and the "
             "name typed (once per job)", params=JOB_REF, upload=True, status=201, errors=(415,), idempotent=True,
             query={"signer_name": Str(max_len=120), "signed_at": WHEN}, response=returns(media.sign_job),
             roles=TECH)
async def sign_job(call: Call) -> Any:
    limit = min(call.settings.upload_max_bytes, media.SIGNATURE_MAX)
    upload = await read_upload(call.request, field="file", max_bytes=limit)
    return await call(media.sign_job, job_ref=_job(call), signer_name=call.query["signer_name"], data=upload.data,
                      content_type=upload.content_type, upload_dir=call.settings.upload_dir, max_bytes=limit,
                      signed_at=call.query["signed_at"])


@routes.post("/api/jobs/{job_ref}/notes", "The technician's note on the job (for the help desk)", params=JOB_REF,
             body=Obj(body=Str(max_len=media.MAX_NOTE), noted_at=WHEN), status=201, idempotent=True,
             response=returns(media.add_note), roles=TECH)
async def add_note(call: Call) -> Any:
    return await call(media.add_note, job_ref=_job(call), **call.body)


@routes.get("/api/jobs/{job_ref}/evidence", "What was recorded on the job in the field: photos, signature, "
            "arrival position and notes (a customer sees the photos and the signature)", params=JOB_REF,
            response=returns(job_outcomes.field_report), roles=ALL_ROLES)
async def field_report(call: Call) -> Any:
    return await call(job_outcomes.field_report, job_ref=_job(call))


async def _file(call: Call, **which: Any) -> web.StreamResponse:
    found = await call(media.evidence_file, job_ref=_job(call), upload_dir=call.settings.upload_dir, **which)
    if not found.path.is_file():
        raise not_found("file of", found.filename)
    return web.FileResponse(found.path, headers={
        "Content-Type": found.content_type, "Cache-Control": "private, max-age=86400",
        "Content-Disposition": f'inline; filename="{found.filename}"'})


@routes.get("/api/jobs/{job_ref}/photos/{photo_id}", "One photo's picture", params=PHOTO,
            response=Download(("image/jpeg", "image/png")), roles=ALL_ROLES)
async def photo_file(call: Call) -> Any:
    return await _file(call, photo_id=call.path["photo_id"])


@routes.get("/api/jobs/{job_ref}/signature", "The customer's signature (PNG)", params=JOB_REF,
            response=Download(("image/png",)), roles=ALL_ROLES)
async def signature_file(call: Call) -> Any:
    return await _file(call, signature=True)


@routes.get("/api/jobs/{job_ref}/completion-report", "The completion report (PDF): work done, parts, photos, "
            "signature and times, once the job is completed", params=JOB_REF, response=Download(("application/pdf",)),
            roles=ALL_ROLES)
async def completion_pdf(call: Call) -> Any:
    report = await call(completion_report, job_ref=_job(call), upload_dir=call.settings.upload_dir)
    return web.Response(body=report.data, content_type=report.content_type, headers={
        "Content-Disposition": f'attachment; filename="{report.filename}"'})
