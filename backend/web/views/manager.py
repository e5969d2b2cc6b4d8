"""Manager pages: dashboard (tiles and charts), scoreboard, the report board
(every report as a table with its filters, CSV export and a chart), expense
claims passed or rejected line by line, job-wise P&L."""

from __future__ import annotations

from aiohttp import web

from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.jobs import expenses
from backend.web import tables
from backend.web.kit import call, error_status, field_errors, form_of, page, redirect, render, text, url

routes = web.RouteTableDef()
manager = page(Role.MANAGER)
readers = page(Role.MANAGER, Role.ADMIN)

TITLES = {
    "dashboard": "Dashboard", "scoreboard": "Technician scoreboard", "kanban": "Jobs by state",
    "journey": "Request journey", "appointment-calendar": "Appointment calendar", "jobs-calendar": "Jobs calendar",
    "repair-calendar": "Repair calendar", "offer-pipeline": "Offer pipeline", "order-pipeline": "Order pipeline",
    "sales-register": "Sales register", "gst-summary": "GST summary (GSTR-1)", "outstanding": "Outstanding and ageing", "statement": "Party statement",
    "cash-flow": "Cash flow", "job-expense": "Job execution expense", "visit-reports": "Visit reports",
    "parts-used": "Parts used", "feedback": "Feedback analysis", "extra-billing": "Extra billing outside contracts",
    "pnl": "Job-wise P&L (COPA)",
    "unreconciled": "Unreconciled items (bank vs books)",
}


def _registry() -> dict:
    try:
        from backend.reports.registry import REPORTS
    except ImportError:  # the read models are another area's; the board says so rather than failing
        return {}
    return REPORTS


@routes.get("/m/", name="m_home")
@manager
async def dashboard(request: web.Request, actor: Actor) -> web.Response:
    reports = _registry()
    if "dashboard" not in reports:
        return render(request, "manager/missing.html", name="dashboard")
    form = {"start": request.query.get("start", ""), "end": request.query.get("end", "")}
    try:
        dash = await call(request, reports["dashboard"], actor, start=form["start"] or None, end=form["end"] or None)
        scores = await call(request, reports["scoreboard"], actor, start=form["start"] or None,
                            end=form["end"] or None) if "scoreboard" in reports else []
    except DomainError as exc:
        return render(request, "manager/missing.html", name="dashboard", status=error_status(exc),
                      message=f"{exc.code}: {exc.message}")
    by_state: dict[str, int] = {}
    for c in dash.open_requests:
        by_state[f"{c.entity} {c.state}".replace("_", " ")] = by_state.get(f"{c.entity} {c.state}", 0) + c.count
    charts = [tables.bar_chart("Open work by state", sorted(by_state.items(), key=lambda kv: -kv[1])[:14])]
    if dash.todays_jobs:
        charts.append(tables.bar_chart(f"Jobs booked on {dash.today}",
                                       [(c.state.replace("_", " "), c.count) for c in dash.todays_jobs]))
    if scores:
        charts.append(tables.bar_chart("Jobs done per technician", [(s.name, s.jobs_done) for s in scores][:12]))
    return render(request, "manager/dashboard.html", dash=dash, charts=charts, form=form)


@routes.get("/m/scoreboard", name="m_scoreboard")
@manager
async def scoreboard(request: web.Request, actor: Actor) -> web.Response:
    return await _report(request, actor, "scoreboard")


@routes.get("/m/pnl", name="m_pnl")
@manager
async def pnl(request: web.Request, actor: Actor) -> web.Response:
    return await _report(request, actor, "pnl")


@routes.get("/m/reports", name="m_reports")
@readers
async def board(request: web.Request, actor: Actor) -> web.Response:
    names = [n for n in _registry() if n != "dashboard"]
    return render(request, "manager/board.html", names=names, titles=TITLES)


@routes.get("/m/reports/{name}", name="m_report")
@readers
async def report(request: web.Request, actor: Actor) -> web.StreamResponse:
    return await _report(request, actor, request.match_info["name"])


async def _report(request: web.Request, actor: Actor, name: str) -> web.StreamResponse:
    reports = _registry()
    if name not in reports:
        raise web.HTTPNotFound()
    fn = reports[name]
    filters = tables.filters_of(fn)
    errors, flat, result = {}, None, None
    try:
        given, kept = tables.parse_filters(fn, dict(request.query))
        result = await call(request, fn, actor, **given)
        flat = tables.flatten(result)
    except DomainError as exc:
        kept = {f.name: request.query.get(f.name, "") for f in filters}
        if exc.code in ("forbidden",):
            raise
        errors = field_errors(exc)
    if flat is not None and request.query.get("format") == "csv":
        which = request.query.get("table") or (flat.tables[0].name if flat.tables else "")
        chosen = next((t for t in flat.tables if t.name == which), None)
        if chosen is None:
            chosen = tables.Table("summary", ["name", "value"], [[k, v] for k, v in flat.summary])
        return web.Response(text=tables.to_csv(chosen), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}-{chosen.name}.csv"'})
    charts = []
    if flat is not None:
        for t in flat.tables[:2]:
            found = tables.chart_of(t)
            if found:
                charts.append(tables.bar_chart(f"{TITLES.get(name, name)}: {found[0].replace('_', ' ')}", found[1]))
    csv_links = []
    if flat is not None:
        for t in flat.tables or [tables.Table("summary", [], [])]:
            csv_links.append((t.name, url(request, "m_report", name=name,
                                          query={**{k: v for k, v in kept.items() if v}, "format": "csv",
                                                 "table": t.name})))
    return render(request, "manager/report.html", name=name, title=TITLES.get(name, name), filters=filters,
                  form=kept, errors=errors, flat=flat, charts=charts, csv_links=csv_links, cell=tables.cell,
                  status=error_status_for(errors))


def error_status_for(errors: dict) -> int:
    return 400 if errors else 200


# --- expense claims, line by line -----------------------------------------------------------------

@routes.get("/m/claims", name="m_claims")
@manager
async def claims(request: web.Request, actor: Actor) -> web.Response:
    return await _claims(request, actor)


async def _claims(request, actor, *, errors=None, failed=None, status=200):
    waiting = await call(request, expenses.list_expense_claims, actor, state="submitted")
    decided = [c for c in await call(request, expenses.list_expense_claims, actor) if c.state != "submitted"][:15]
    return render(request, "manager/claims.html", waiting=waiting, decided=decided, errors=errors or {},
                  failed=failed, status=status)


@routes.post("/m/claims/lines/{id:\\d+}/{answer:pass|reject}", name="m_claim_line")
@manager
async def claim_line(request: web.Request, actor: Actor) -> web.Response:
    line_id, answer = int(request.match_info["id"]), request.match_info["answer"]
    form = await form_of(request)
    try:
        view = await call(request, expenses.decide_expense_line, actor, line_id=line_id, passed=answer == "pass",
                          reason=text(form, "reason") or None)
    except DomainError as exc:
        return await _claims(request, actor, errors=field_errors(exc), failed=line_id, status=error_status(exc))
    raise redirect(request, "m_claims", done=f"{view.number}: bill {answer}ed ({view.state.replace('_', ' ')}).")
