"""The schedules page (admin and manager): each scheduled job with what it
does, its crontab, the next run, the last run and its result, and "Run now",
which asks a worker to run it within seconds (``backend.schedules.service``)."""

from __future__ import annotations

import functools

from aiohttp import web

from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.schedules import service as schedules
from backend.schedules.registry import BY_NAME, ScheduleConfig
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    new_form_key,
    page,
    portal_key,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
staff = page(Role.ADMIN, Role.MANAGER)


@functools.cache
def schedule_config() -> ScheduleConfig:
    """The worker reads the same environment (zone, days)."""
    return ScheduleConfig.from_env()


@routes.get("/x/schedules", name="x_schedules")
@staff
async def schedules_page(request: web.Request, actor: Actor) -> web.Response:
    return await _page(request, actor)


async def _page(request, actor, *, errors=None, status=200):
    rows = await call(request, schedules.list_schedules, actor, config=schedule_config())
    runs = await call(request, schedules.recent_runs, actor, limit=30)
    titles = {name: s.title for name, s in BY_NAME.items()}
    return render(request, "admin/schedules.html", schedules=rows, runs=runs, titles=titles, key=new_form_key(),
                  errors=errors or {}, status=status)


@routes.post("/x/schedules/{name}/run", name="x_schedule_run")
@staff
async def run_now(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    name = request.match_info["name"]
    try:
        run = await call(request, schedules.request_run, actor, name=name,
                         idempotency_key=portal_key(text(form, "key")))
    except DomainError as exc:
        return await _page(request, actor, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "x_schedules",
                   done=f"{BY_NAME[name].title}: run requested ({run.slot}); a worker starts it within seconds.")
