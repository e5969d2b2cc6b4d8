"""Admin pages: users and roles, knowledge-base articles (edit in Markdown
with a preview, publish, archive, restore). The catalog (products, parts,
stock, price list) is in ``catalog_admin``; contract types and the live-chat
desk in ``desk_admin``."""

from __future__ import annotations

from aiohttp import web
from markdown_it import MarkdownIt
from markupsafe import Markup

from backend.errors import DomainError, ErrorCode
from backend.identity import service as identity
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.knowledge import service as kb
from backend.processes import cost_rates
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
curator = page(Role.ADMIN, Role.MANAGER)
ROLES = [(r.value, r.value) for r in Role]
_md = MarkdownIt("commonmark", {"html": False, "linkify": False})  # raw HTML in an article is shown as text


def markdown(body: str) -> Markup:
    return Markup(_md.render(body or ""))


# --- users ----------------------------------------------------------------------------------------

@routes.get("/x/users", name="x_users")
@admin
async def users(request: web.Request, actor: Actor) -> web.Response:
    return await _users(request, actor)


async def _users(request, actor, *, errors=None, form=None, status=200, rate_errors=None, rate_failed=None):
    rows = await call(request, identity.list_users, actor)
    rates = await call(request, cost_rates.list_cost_rates, actor)
    return render(request, "admin/users.html", users=rows, roles=ROLES, errors=errors or {},
                  form=form or {"role": "agent", "max_chats": "3"}, status=status, rates=rates,
                  rate_errors=rate_errors or {}, rate_failed=rate_failed)


@routes.post("/x/users/{user_id:[0-9]+}/cost-rate", name="x_user_cost_rate")
@admin
async def set_cost_rate(request: web.Request, actor: Actor) -> web.Response:
    """What an hour of a technician's time costs (the job-wise P&L's labour)."""
    user_id = int(request.match_info["user_id"])
    form = await form_of(request)
    try:
        view = await call(request, cost_rates.set_cost_rate, actor, user_id=user_id, rate=text(form, "rate"))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise
        return await _users(request, actor, rate_errors=field_errors(exc), rate_failed=user_id,
                            status=error_status(exc))
    raise redirect(request, "x_users", done=f"{view.name}: cost rate {view.cost_rate_per_hour} per hour.")


@routes.post("/x/users", name="x_users_post")
@admin
async def create_user(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("email", "name", "role", "customer_id", "phone", "max_chats")}
    try:
        customer_id = parse_int(kept["customer_id"], "customer_id", required=False)
        max_chats = parse_int(kept["max_chats"] or "3", "max_chats")
        if not kept["name"].strip():
            raise DomainError(ErrorCode.INVALID_INPUT, "give the user's name", field="name")
        view = await call(request, identity.create_user, actor, email=kept["email"].strip(), name=kept["name"].strip(),
                          role=kept["role"], password=text(form, "password"), customer_id=customer_id,
                          phone=kept["phone"].strip() or None, max_chats=max_chats)
    except DomainError as exc:
        errors = field_errors(exc)
        if exc.code == ErrorCode.NOT_FOUND:
            errors = {"customer_id": {"code": str(exc.code), "message": exc.message}}
        return await _users(request, actor, errors=errors, form=kept, status=error_status(exc))
    raise redirect(request, "x_users", done=f"User {view.email} ({view.role}) created.")


# --- knowledge base -------------------------------------------------------------------------------

@routes.get("/x/kb", name="x_kb")
@curator
async def articles(request: web.Request, actor: Actor) -> web.Response:
    status = request.query.get("status") or None
    rows = await call(request, kb.list_articles, actor, status=status if status in ("draft", "published", "archived")
                      else None, text=request.query.get("q") or None, limit=200)
    return render(request, "admin/kb_list.html", articles=rows, wanted=status or "", q=request.query.get("q", ""))


def _kb_form(form: dict) -> dict:
    return {k: text(form, k) for k in ("title", "slug", "tags", "language", "body", "note", "version")}


def _tags(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


@routes.get("/x/kb/new", name="x_kb_new")
@curator
async def new_article(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "admin/kb_edit.html", article=None, form={"language": "en"}, errors={}, preview=None)


@routes.post("/x/kb/new", name="x_kb_new_post")
@curator
async def create_article(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = _kb_form(form)
    if text(form, "action") == "preview":
        return render(request, "admin/kb_edit.html", article=None, form=kept, errors={}, preview=markdown(kept["body"]))
    try:
        view = await call(request, kb.create_article, actor, title=kept["title"], body=kept["body"],
                          slug=kept["slug"] or None, tags=_tags(kept["tags"]), language=kept["language"] or "en",
                          publish=text(form, "action") == "publish", note=kept["note"] or None)
    except DomainError as exc:
        return render(request, "admin/kb_edit.html", status=error_status(exc), article=None, form=kept,
                      errors=_kb_errors(exc), preview=None)
    raise redirect(request, "x_kb_edit", done=f"Article '{view.slug}' saved ({view.status}).", id=view.id)


def _kb_errors(exc: DomainError) -> dict:
    errors = field_errors(exc)
    if "_form" in errors and exc.code == ErrorCode.INVALID_INPUT:
        reason = str(exc.details.get("reason", ""))
        guess = {"bad_slug": "slug", "bad_language": "language", "bad_tags": "tags"}.get(reason)
        if guess is None and "title" in exc.message.lower():
            guess = "title"
        if guess is None and ("body" in exc.message.lower() or reason == "too_large"):
            guess = "body"
        if guess:
            errors = {guess: errors["_form"]}
    return errors


@routes.get("/x/kb/{id:\\d+}", name="x_kb_edit")
@curator
async def edit_article(request: web.Request, actor: Actor) -> web.Response:
    view = await call(request, kb.get_article, actor, article_id=int(request.match_info["id"]))
    form = {"title": view.title, "slug": view.slug, "tags": ", ".join(view.tags), "language": view.language,
            "body": view.body, "note": "", "version": str(view.version)}
    return render(request, "admin/kb_edit.html", article=view, form=form, errors={}, preview=markdown(view.body))


@routes.post("/x/kb/{id:\\d+}", name="x_kb_edit_post")
@curator
async def save_article(request: web.Request, actor: Actor) -> web.Response:
    article_id = int(request.match_info["id"])
    form = await form_of(request)
    kept, action = _kb_form(form), text(form, "action")
    view = await call(request, kb.get_article, actor, article_id=article_id)
    if action == "preview":
        return render(request, "admin/kb_edit.html", article=view, form=kept, errors={}, preview=markdown(kept["body"]))
    try:
        if action in ("save", "publish"):
            version = int(kept["version"]) if kept["version"].isdigit() else None
            view = await call(request, kb.edit_article, actor, article_id=article_id, title=kept["title"],
                              body=kept["body"], tags=_tags(kept["tags"]), language=kept["language"] or None,
                              note=kept["note"] or None, expected_version=version)
        if action == "publish" and view.status != "published":
            view = await call(request, kb.publish_article, actor, article_id=article_id)
        elif action in ("archive", "restore", "unpublish"):
            fn = {"archive": kb.archive_article, "restore": kb.restore_article, "unpublish": kb.unpublish_article}[action]
            view = await call(request, fn, actor, article_id=article_id)
    except DomainError as exc:
        return render(request, "admin/kb_edit.html", status=error_status(exc), article=view, form=kept,
                      errors=_kb_errors(exc), preview=None)
    raise redirect(request, "x_kb_edit", done=f"Article '{view.slug}': {view.status}, version {view.version}.",
                   id=article_id)

