"""Knowledge-base proposals (card A4): agents propose, the curator publishes.

Agents (``/a/kb``): their proposals, the articles they may propose a change
to, and the closed tickets whose answer may become an article; the proposal
form (``/a/kb/propose``, prefilled from an article or a ticket, with a
preview); one proposal (``/a/kb/proposals/{id}``, with what it changes, and
withdraw). Curators (``/x/kb/proposals``): the queue, and each proposal
compared with the article as it is now, to publish or reject with a note.
Each handler makes one use-case call.
"""

from __future__ import annotations

import difflib

from aiohttp import web

from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.intake import service as intake
from backend.knowledge import proposals as kbp
from backend.knowledge import service as kb
from backend.processes import kb_drafts
from backend.web.kit import (
    call, error_status, field_errors, form_of, page, parse_int, redirect, render, text,
)
from backend.web.views.admin import markdown

routes = web.RouteTableDef()
proposer = page(Role.AGENT, Role.MANAGER, Role.ADMIN)
curator = page(Role.ADMIN, Role.MANAGER)
STATES = ("proposed", "published", "rejected", "withdrawn")


def diff_lines(old: str | None, new: str) -> list[tuple[str, str]]:
    """The proposal against the article now, line by line: (``same`` | ``added`` | ``removed``, text)."""
    a, b = (old or "").splitlines(), new.splitlines()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(("same", line) for line in a[i1:i2])
        else:
            out.extend(("removed", line) for line in a[i1:i2])
            out.extend(("added", line) for line in b[j1:j2])
    return out


def _tags(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


# --- agents ---------------------------------------------------------------------------------------

@routes.get("/a/kb", name="a_kb")
@proposer
async def my_proposals(request: web.Request, actor: Actor) -> web.Response:
    q = request.query.get("q", "")[:100]
    mine = await call(request, kbp.list_proposals, actor, mine=True)
    articles = await call(request, kb.list_articles, actor, text=q or None, limit=50)
    tickets = await call(request, intake.list_tickets, actor, state="closed")
    proposed_from = {p.source for p in mine if p.source and p.state == "proposed"}
    return render(request, "agent/kb_proposals.html", proposals=mine, q=q,
                  articles=[a for a in articles if a.status != "archived"],
                  tickets=[t for t in tickets[:30] if t.answer], proposed_from=proposed_from)


def _blank_form() -> dict:
    return {"title": "", "body": "", "tags": "", "language": "en", "note": "", "article_id": "", "ticket": ""}


@routes.get("/a/kb/propose", name="a_kb_propose")
@proposer
async def propose_form(request: web.Request, actor: Actor) -> web.Response:
    form, article = _blank_form(), None
    ticket = request.query.get("ticket", "").strip()[:20]
    article_id = parse_int(request.query.get("article", ""), "article", required=False)
    if ticket:
        draft = await call(request, kb_drafts.ticket_draft, actor, ticket_ref=ticket)
        form.update(title=draft.title, body=draft.body, ticket=draft.ticket)
    elif article_id:
        article = await call(request, kb.get_article, actor, article_id=article_id)
        form.update(title=article.title, body=article.body, tags=", ".join(article.tags), language=article.language,
                    article_id=str(article.id))
    return render(request, "agent/kb_propose.html", form=form, errors={}, article=article, preview=None)


@routes.post("/a/kb/propose", name="a_kb_propose_post")
@proposer
async def propose(request: web.Request, actor: Actor) -> web.Response:
    form = await form_of(request)
    kept = {k: text(form, k) for k in _blank_form()}
    article = None
    try:
        article_id = parse_int(kept["article_id"], "article_id", required=False)
        if article_id:
            article = await call(request, kb.get_article, actor, article_id=article_id)
        if text(form, "action") == "preview":
            return render(request, "agent/kb_propose.html", form=kept, errors={}, article=article,
                          preview=markdown(kept["body"]))
        args = dict(title=kept["title"], body=kept["body"], tags=_tags(kept["tags"]),
                    language=kept["language"] or None, note=kept["note"] or None)
        if kept["ticket"]:
            view = await call(request, kb_drafts.propose_from_ticket, actor, ticket_ref=kept["ticket"], **args)
        else:
            view = await call(request, kbp.propose_article, actor, article_id=article_id, **args)
    except DomainError as exc:
        errors = field_errors(exc)
        if "_form" in errors and exc.details.get("reason") in ("empty", "too_large") and "title" in exc.message:
            errors = {"title": errors["_form"]}
        return render(request, "agent/kb_propose.html", status=error_status(exc), form=kept, errors=errors,
                      article=article, preview=None)
    raise redirect(request, "a_kb_proposal", id=view.id,
                   done=f"Proposal #{view.id} sent to the curator; it is published once they approve it.")


@routes.get("/a/kb/proposals/{id:\\d+}", name="a_kb_proposal")
@proposer
async def my_proposal(request: web.Request, actor: Actor) -> web.Response:
    view = await call(request, kbp.get_proposal, actor, proposal_id=int(request.match_info["id"]))
    return render(request, "agent/kb_proposal.html", p=view, diff=diff_lines(view.current_body, view.body),
                  preview=markdown(view.body))


@routes.post("/a/kb/proposals/{id:\\d+}/withdraw", name="a_kb_withdraw")
@proposer
async def withdraw(request: web.Request, actor: Actor) -> web.Response:
    view = await call(request, kbp.withdraw_proposal, actor, proposal_id=int(request.match_info["id"]))
    raise redirect(request, "a_kb", done=f"Proposal #{view.id} withdrawn.")


# --- the curator ----------------------------------------------------------------------------------

@routes.get("/x/kb/proposals", name="x_kb_proposals")
@curator
async def queue(request: web.Request, actor: Actor) -> web.Response:
    state = request.query.get("state", "proposed")
    rows = await call(request, kbp.list_proposals, actor, state=state if state in STATES else None)
    return render(request, "admin/kb_proposals.html", proposals=rows, wanted=state if state in STATES else "")


async def _decision_page(request, actor, proposal_id: int, *, errors=None, form=None, status=200) -> web.Response:
    view = await call(request, kbp.get_proposal, actor, proposal_id=proposal_id)
    return render(request, "admin/kb_proposal.html", status=status, p=view,
                  diff=diff_lines(view.current_body, view.body), preview=markdown(view.body),
                  errors=errors or {}, form=form or {})


@routes.get("/x/kb/proposals/{id:\\d+}", name="x_kb_proposal")
@curator
async def decision(request: web.Request, actor: Actor) -> web.Response:
    return await _decision_page(request, actor, int(request.match_info["id"]))


@routes.post("/x/kb/proposals/{id:\\d+}", name="x_kb_proposal_post")
@curator
async def decide(request: web.Request, actor: Actor) -> web.Response:
    proposal_id = int(request.match_info["id"])
    form = await form_of(request)
    kept = {"note": text(form, "note")}
    action = text(form, "action")
    try:
        if action == "publish":
            view = await call(request, kbp.publish_proposal, actor, proposal_id=proposal_id, note=kept["note"] or None)
            done = f"Proposal #{view.id} published: article version {view.published_version}."
        else:
            view = await call(request, kbp.reject_proposal, actor, proposal_id=proposal_id, note=kept["note"])
            done = f"Proposal #{view.id} declined; its author is told why."
    except DomainError as exc:
        return await _decision_page(request, actor, proposal_id, errors=field_errors(exc), form=kept,
                                    status=error_status(exc))
    raise redirect(request, "x_kb_proposals", done=done)
