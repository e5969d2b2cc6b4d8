"""Bulk import of customers, sites, contacts and installed items from the portal
(admin, manager): upload a CSV or XLSX → its preview, checked in the background
with a progress page (``backend.web.tasks``) → "Import" → the import, again in
the background → its result. A refused file shows every refused row and field,
downloadable as CSV, and nothing changes.

The checks and the writing are ``backend.processes.master_import``; between
the preview and the import the uploaded file waits in ``var/imports`` under a
random name that carries the user's id, and is removed once imported."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from aiohttp import web

from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.processes import master_import
from backend.web.kit import SETTINGS, UOW, error_status, field_errors, page, render, url
from backend.web.tasks import start_task, task_of

routes = web.RouteTableDef()
importer = page(Role.ADMIN, Role.MANAGER)
SUFFIXES = (".csv", ".xlsx")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
KEEP_SECONDS = 24 * 3600  # an upload never imported is removed after a day
SHOWN_PROBLEMS = 2000  # on the page; the CSV has them all


@routes.get("/x/import", name="x_import")
@importer
async def import_form(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "admin/import.html", errors={}, columns=master_import.COLUMNS,
                  limit_mb=_limit(request) / 2**20)


@routes.get("/x/import/template.{ext:csv|xlsx}", name="x_import_template")
@importer
async def template(request: web.Request, actor: Actor) -> web.Response:
    if request.match_info["ext"] == "csv":
        body, kind = master_import.template_csv(), "text/csv"
    else:
        body, kind = master_import.template_xlsx(), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"customers-import-template.{request.match_info['ext']}"
    return web.Response(body=body, content_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.post("/x/import", name="x_import_post")
@importer
async def upload(request: web.Request, actor: Actor) -> web.Response:
    """The uploaded file is kept, and its preview runs in the background."""
    data = await request.post()
    try:
        name, body = _upload(data.get("file"), _limit(request))
    except DomainError as exc:
        return render(request, "admin/import.html", status=error_status(exc), errors=field_errors(exc),
                      columns=master_import.COLUMNS, limit_mb=_limit(request) / 2**20)
    folder = _folder(request)
    token = secrets.token_urlsafe(18)
    (folder / _stored(actor, token, name)).write_bytes(body)
    uow, who = request.app[UOW], actor.via("portal")

    def work(report):
        checked = master_import.preview_import(uow, who, data=body, file_name=name, progress=report)
        return {"kind": "preview", "token": token, "file": name, "report": checked.to_dict()}

    task = await start_task(request, actor, f"check of {name}", work)
    raise web.HTTPSeeOther(url(request, "x_import_task", task=task.id))


@routes.post("/x/import/run", name="x_import_run")
@importer
async def run(request: web.Request, actor: Actor) -> web.Response:
    """Import the file that was previewed (checked again: the records may have changed since)."""
    data = await request.post()
    token = data.get("token") if isinstance(data.get("token"), str) else ""
    found = _find(request, actor, token) if TOKEN.match(token or "") else None
    if found is None:
        return render(request, "error.html", status=404, code=ErrorCode.NOT_FOUND,
                      message="that upload is no longer here (it was imported, or is over a day old): upload the "
                              "file again")
    path, name = found
    body = path.read_bytes()
    uow, who = request.app[UOW], actor.via("portal")

    def work(report):
        result = master_import.import_master_data(uow, who, data=body, file_name=name, progress=report)
        if result.written:
            path.unlink(missing_ok=True)
        return {"kind": "import", "token": token, "file": name, "report": result.to_dict()}

    task = await start_task(request, actor, f"import of {name}", work)
    raise web.HTTPSeeOther(url(request, "x_import_task", task=task.id))


@routes.get("/x/import/{task}", name="x_import_task")
@importer
async def progress(request: web.Request, actor: Actor) -> web.Response:
    task = await task_of(request, actor)
    outcome = task.result if not task.running and task.result else None
    return render(request, "admin/import_task.html", task=task, shown=SHOWN_PROBLEMS, outcome=outcome,
                  report=master_import.ImportReport.from_dict(outcome["report"]) if outcome else None)


@routes.get("/x/import/{task}/problems.csv", name="x_import_problems")
@importer
async def problems(request: web.Request, actor: Actor) -> web.Response:
    task = await task_of(request, actor)
    if task.running or not task.result:
        raise web.HTTPSeeOther(url(request, "x_import_task", task=task.id))
    stem = Path(task.result["file"]).stem
    report = master_import.ImportReport.from_dict(task.result["report"])
    return web.Response(body=master_import.problems_csv(report), content_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{stem}-problems.csv"'})


def _limit(request: web.Request) -> int:
    """The largest file taken: the portal's upload limit (UPLOAD_MAX_BYTES), at most the import's own."""
    return min(request.app[SETTINGS].upload_max_bytes, master_import.MAX_FILE_BYTES)


def _upload(field, limit: int) -> tuple[str, bytes]:
    if not getattr(field, "filename", None):
        raise DomainError(ErrorCode.INVALID_INPUT, "choose a .csv or .xlsx file", field="file")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(field.filename).name).strip(".-") or "import.csv"
    if Path(name).suffix.lower() not in SUFFIXES:
        raise DomainError(ErrorCode.UPLOAD_TYPE, f"{field.filename}: only a .csv or .xlsx file can be imported "
                          "(in the spreadsheet: Save as → CSV UTF-8, or Excel workbook)", field="file")
    body = field.file.read(limit + 1)
    if len(body) > limit:
        raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"{field.filename} is over {limit / 2**20:.1f} MB: split it "
                          "into smaller files and import them one after another", field="file")
    return name, body


def _folder(request: web.Request) -> Path:
    folder = Path(request.app[SETTINGS].var_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("master-*"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return folder


def _stored(actor: Actor, token: str, name: str) -> str:
    return f"master-{actor.user_id}-{token}--{name}"


def _find(request: web.Request, actor: Actor, token: str) -> tuple[Path, str] | None:
    folder = Path(request.app[SETTINGS].var_dir) / "imports"
    for path in folder.glob(f"master-{actor.user_id}-{token}--*"):
        return path, path.name.split("--", 1)[1]
    return None
