"""An expense bill's stored file (B8), for the manager or admin deciding the
claim and the technician who made it; the core decides who may see it
(anyone else: 404). Pictures and PDFs are shown in the browser, anything
else is a download, and the browser is told not to guess the type."""

from __future__ import annotations

from aiohttp import web

from backend.errors import not_found
from backend.identity.actor import Actor
from backend.jobs.bill_files import bill_headers, expense_bill_file
from backend.web.kit import SETTINGS, call, page

routes = web.RouteTableDef()
anyone = page()  # logged in; the use case decides whose bill this is to see


@routes.get(r"/expenses/bills/{line_id:\d+}", name="expense_bill")
@anyone
async def expense_bill(request: web.Request, actor: Actor) -> web.StreamResponse:
    found = await call(request, expense_bill_file, actor, line_id=int(request.match_info["line_id"]),
                       upload_dir=request.app[SETTINGS].upload_dir)
    if not found.path.is_file():
        raise not_found("file of the bill", found.filename)
    return web.FileResponse(found.path, headers=bill_headers(found))
