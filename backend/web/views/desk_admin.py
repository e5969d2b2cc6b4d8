"""The admin's settings pages: contract types (add, edit, retire, restore,
delete one never used) and the live-chat desk (business hours, assignment
timeout, each agent's concurrent chats), with the latest changes."""

from __future__ import annotations

from aiohttp import web

from backend.conversations import desk
from backend.coverage import types
from backend.errors import DomainError, invalid
from backend.history import service as history
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    page,
    parse_int,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
admin = page(Role.ADMIN)



# --- contract types -------------------------------------------------------------------------------

TYPE_FIELDS = ("code", "name", "visits_per_year", "covers_labour", "covers_parts", "requires_signature")


def _type_form(form: dict) -> dict[str, str]:
    kept = {k: text(form, k) for k in TYPE_FIELDS}
    for flag in ("covers_labour", "covers_parts", "requires_signature"):  # a checkbox: sent when ticked
        kept[flag] = "on" if kept[flag] else ""
    return kept


def _type_args(kept: dict[str, str]) -> dict:
    return {"name": kept["name"],
            "visits_per_year": parse_int(kept["visits_per_year"], "visits_per_year", positive=False),
            "covers_labour": bool(kept["covers_labour"]), "covers_parts": bool(kept["covers_parts"]),
            "requires_signature": bool(kept["requires_signature"])}


@routes.get("/x/contract-types", name="x_types")
@admin
async def types_page(request: web.Request, actor: Actor) -> web.Response:
    return await _types(request, actor)


async def _types(request, actor, *, form=None, errors=None, status=200):
    rows = await call(request, types.list_coverage_types, actor)
    changes = await call(request, history.recent_changes, actor, kinds=["coverage_type"], limit=20)
    return render(request, "admin/contract_types.html", types=rows, changes=changes, errors=errors or {},
                  form=form or {"visits_per_year": "4", "covers_labour": "on"}, status=status)


@routes.post("/x/contract-types", name="x_types_create")
@admin
async def create_type(request: web.Request, actor: Actor) -> web.Response:
    kept = _type_form(await form_of(request))
    try:
        made = await call(request, types.create_coverage_type, actor, code=kept["code"], **_type_args(kept))
    except DomainError as exc:
        return await _types(request, actor, form=kept, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "x_type", done=f"Contract type {made.code} added.", code=made.code)


async def _one_type(request, actor, code: str):
    try:
        return await call(request, types.get_coverage_type, actor, code=code)
    except DomainError:
        return None


def _type_page(request, t, *, form: dict, errors: dict, status: int = 200) -> web.Response:
    return render(request, "admin/contract_type.html", t=t, form=form, errors=errors, status=status)


def _form_of_type(t) -> dict[str, str]:
    return {"name": t.name, "visits_per_year": str(t.visits_per_year), "covers_labour": "on" if t.covers_labour else "",
            "covers_parts": "on" if t.covers_parts else "", "requires_signature": "on" if t.requires_signature else ""}


@routes.get("/x/contract-types/{code}", name="x_type")
@admin
async def type_page(request: web.Request, actor: Actor) -> web.Response:
    t = await _one_type(request, actor, request.match_info["code"])
    if t is None:
        return render(request, "error.html", status=404, code="not_found",
                      message=f"contract type {request.match_info['code']} does not exist")
    return _type_page(request, t, form=_form_of_type(t), errors={})


@routes.post("/x/contract-types/{code}", name="x_type_save")
@admin
async def save_type(request: web.Request, actor: Actor) -> web.Response:
    code = request.match_info["code"]
    form = await form_of(request)
    action = text(form, "action") or "save"
    kept = _type_form(form)
    try:
        if action == "save":
            await call(request, types.edit_coverage_type, actor, code=code, **_type_args(kept))
            done = f"Contract type {code} saved."
        elif action in ("retire", "restore"):
            fn = types.retire_coverage_type if action == "retire" else types.restore_coverage_type
            await call(request, fn, actor, code=code)
            done = f"Contract type {code} {'retired' if action == 'retire' else 'back in use'}."
        elif action == "delete":
            await call(request, types.delete_coverage_type, actor, code=code)
            raise redirect(request, "x_types", done=f"Contract type {code} deleted.")
        else:
            raise invalid(f"unknown action '{action}'", field="action")
    except DomainError as exc:
        t = await _one_type(request, actor, code)
        if t is None:
            return render(request, "error.html", status=error_status(exc), code=exc.code, message=exc.message)
        if action != "save":
            kept = _form_of_type(t)
        return _type_page(request, t, form=kept, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "x_type", done=done, code=code)


# --- the live-chat desk ---------------------------------------------------------------------------

@routes.get("/x/desk", name="x_desk")
@admin
async def desk_page(request: web.Request, actor: Actor) -> web.Response:
    return await _desk(request, actor)


async def _desk(request, actor, *, form=None, errors=None, agent_forms=None, agent_errors=None, status=200):
    stored = await call(request, desk.get_desk_settings, actor)
    agents = await call(request, desk.list_agent_limits, actor)
    changes = await call(request, history.recent_changes, actor, kinds=["desk_settings", "user"], limit=20)
    if form is None:
        form = {"business_hours": stored.business_hours or "",
                "assign_timeout_s": "" if stored.assign_timeout_s is None else str(stored.assign_timeout_s)}
    return render(request, "admin/desk.html", stored=stored, agents=agents, changes=changes, form=form,
                  errors=errors or {}, agent_forms=agent_forms or {}, agent_errors=agent_errors or {},
                  status=status)


@routes.post("/x/desk", name="x_desk_save")
@admin
async def save_desk(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("business_hours", "assign_timeout_s")}
    try:
        timeout = parse_int(kept["assign_timeout_s"], "assign_timeout_s", required=False, positive=False)
        await call(request, desk.set_desk_settings, actor, business_hours=kept["business_hours"].strip() or None,
                   assign_timeout_s=timeout)
    except DomainError as exc:
        return await _desk(request, actor, form=kept, errors=field_errors(exc), status=error_status(exc))
    raise redirect(request, "x_desk", done="Desk settings saved; the live-chat hub uses them within seconds.")


@routes.post("/x/desk/agents/{user_id:\\d+}", name="x_desk_agent")
@admin
async def save_agent_limit(request: web.Request, actor: Actor) -> web.Response:
    user_id = int(request.match_info["user_id"])
    form = await form_of(request)
    value = text(form, "max_chats")
    try:
        view = await call(request, desk.set_max_chats, actor, user_id=user_id,
                          max_chats=parse_int(value, "max_chats", positive=False))
    except DomainError as exc:
        shown = next(iter(field_errors(exc).values()))  # next to that agent's field, whatever it names
        return await _desk(request, actor, agent_forms={user_id: value}, agent_errors={user_id: shown},
                           status=error_status(exc))
    raise redirect(request, "x_desk", done=f"{view.name} now takes up to {view.max_chats} chats at once.")
