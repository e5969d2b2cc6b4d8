"""A job as the help desk and the manager see it, with what was recorded in the
field: arrival (when and where, against the site's address), before/after
photos, the customer's signature, the technician's notes and the
completion report. The photo, signature and report files are served here
for every role that may see the job (the customer's own, the technician's
own, staff)."""

from __future__ import annotations

from aiohttp import web

from backend.documents.completion import completion_report
from backend.errors import not_found
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.jobs import media
from backend.jobs import service as jobs
from backend.processes import job_outcomes
from backend.references import normalise
from backend.web.kit import SETTINGS, call, page, render, tz, url

routes = web.RouteTableDef()
staff = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
anyone = page()  # logged in; the use case decides whether this job is theirs to see


@routes.get("/jobs/{ref}", name="job_page")
@staff
async def job_page(request: web.Request, actor: Actor) -> web.Response:
    ref = request.match_info["ref"]
    job = await call(request, jobs.get_job, actor, job_ref=ref)
    field = await call(request, job_outcomes.field_report, actor, job_ref=ref)
    req = await call(request, intake.get_request, actor, reference=ref)
    return render(request, "field/job.html", job=job, field=field, req=req)


@routes.get("/jobs/", name="job_find")
@staff
async def find(request: web.Request, actor: Actor) -> web.Response:
    """The job page of a typed reference (the dashboard's "Open a job")."""
    ref = normalise(request.query.get("ref", "")) or request.query.get("ref", "").strip()
    if not ref:
        raise web.HTTPSeeOther(url(request, "home"))
    raise web.HTTPSeeOther(url(request, "job_page", ref=ref))


async def _file(request: web.Request, actor: Actor, **which) -> web.StreamResponse:
    found = await call(request, media.evidence_file, actor, job_ref=request.match_info["ref"],
                       upload_dir=request.app[SETTINGS].upload_dir, **which)
    if not found.path.is_file():
        raise not_found("file", found.filename)
    return web.FileResponse(found.path, headers={
        "Content-Type": found.content_type, "Cache-Control": "private, max-age=604800, immutable",
        "Content-Disposition": f'inline; filename="{found.filename}"'})


@routes.get(r"/jobs/{ref}/photos/{id:\d+}", name="job_photo")
@anyone
async def photo(request: web.Request, actor: Actor) -> web.StreamResponse:
    return await _file(request, actor, photo_id=int(request.match_info["id"]))


@routes.get("/jobs/{ref}/signature", name="job_signature")
@anyone
async def signature(request: web.Request, actor: Actor) -> web.StreamResponse:
    return await _file(request, actor, signature=True)


@routes.get("/jobs/{ref}/report.pdf", name="job_report_pdf")
@anyone
async def report_pdf(request: web.Request, actor: Actor) -> web.Response:
    report = await call(request, completion_report, actor, job_ref=request.match_info["ref"],
                        upload_dir=request.app[SETTINGS].upload_dir, zone=tz(request))
    return web.Response(body=report.data, content_type=report.content_type,
                        headers={"Content-Disposition": f'inline; filename="{report.filename}"'})
