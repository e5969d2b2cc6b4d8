"""Importing knowledge-base articles from the portal: Markdown files or one CSV
of question/answer pairs, uploaded, imported in the background with a
progress page (``backend.web.tasks``), then the import's report.

The import itself is ``backend.knowledge.imports`` (one transaction: unchanged
articles skipped, changed ones a new version, bad sources refused with a
stable code); the knowledge-base watcher then brings the search index in
step."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from aiohttp import web

from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.knowledge import imports
from backend.knowledge.content import MAX_BODY_BYTES, MAX_CSV_BYTES
from backend.tasks.models import TaskState
from backend.web.kit import SETTINGS, UOW, error_status, field_errors, page, render, text, url
from backend.web.tasks import start_task, task_of

routes = web.RouteTableDef()
curator = page(Role.ADMIN, Role.MANAGER)
MARKDOWN, CSV = (".md", ".markdown"), (".csv",)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@routes.get("/x/kb/import", name="x_kb_import")
@curator
async def import_form(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "admin/kb_import.html", errors={}, form={"publish": "1"})


@routes.post("/x/kb/import", name="x_kb_import_post")
@curator
async def start_import(request: web.Request, actor: Actor) -> web.Response:
    data = await request.post()
    form = {"publish": text(dict(data), "publish")}
    try:
        uploads = _uploads(data.getall("files", []))
    except DomainError as exc:
        return render(request, "admin/kb_import.html", status=error_status(exc), errors=field_errors(exc), form=form)
    uow, publish, who = request.app[UOW], form["publish"] == "1", actor.via("portal")
    scratch = Path(request.app[SETTINGS].var_dir) / "imports"

    def work(report):
        scratch.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="kb-", dir=scratch))
        try:
            for name, data in uploads:
                (folder / name).write_bytes(data)
            if uploads[0][0].lower().endswith(CSV):
                result = imports.import_qa_csv(uow, who, path=folder / uploads[0][0], publish=publish,
                                               progress=False, on_progress=report)
            else:
                result = imports.import_markdown_folder(uow, who, folder=folder, publish=publish, progress=False,
                                                        on_progress=report)
            return result.to_dict()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    what = uploads[0][0] if len(uploads) == 1 else f"{len(uploads)} Markdown files"
    task = await start_task(request, actor, f"import of {what}", work)
    raise web.HTTPSeeOther(url(request, "x_kb_import_task", task=task.id))


@routes.get("/x/kb/import/{task}", name="x_kb_import_task")
@curator
async def import_progress(request: web.Request, actor: Actor) -> web.Response:
    task = await task_of(request, actor)
    done = task.state == TaskState.DONE
    return render(request, "admin/kb_import_task.html", task=task,
                  report=imports.ImportReport.from_dict(task.result) if done else None)


def _uploads(files) -> list[tuple[str, bytes]]:
    """The uploaded files as (safe name, bytes): Markdown files, or exactly one CSV."""
    chosen = [f for f in files if getattr(f, "filename", None)]
    if not chosen:
        raise DomainError(ErrorCode.INVALID_INPUT, "choose one or more Markdown files, or one CSV file",
                          field="files")
    out: list[tuple[str, bytes]] = []
    for f in chosen:
        name = SAFE_NAME.sub("-", Path(f.filename).name).strip(".-") or "article.md"
        suffix = Path(name).suffix.lower()
        if suffix not in MARKDOWN + CSV:
            raise DomainError(ErrorCode.UPLOAD_TYPE, f"{f.filename}: only .md, .markdown or .csv files can be "
                              "imported", field="files")
        limit = MAX_CSV_BYTES if suffix in CSV else MAX_BODY_BYTES + 10_000
        data = f.file.read(limit + 1)
        if len(data) > limit:
            raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"{f.filename} is over {limit // 1000} kB",
                              field="files")
        if any(name.lower() == seen.lower() for seen, _ in out):
            raise DomainError(ErrorCode.DUPLICATE, f"{f.filename} is chosen twice", field="files")
        out.append((name, data))
    kinds = {Path(n).suffix.lower() in CSV for n, _ in out}
    if kinds == {True} and len(out) > 1 or kinds == {True, False}:
        raise DomainError(ErrorCode.INVALID_INPUT, "import Markdown files, or one CSV file, at a time",
                          field="files")
    return out
