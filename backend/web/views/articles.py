"""The public page of a knowledge-base article (``/kb/{slug}``): what the bot
links to when it quotes an article. Anyone may read a published article;
staff also see drafts (marked as such); an archived or unknown slug is
``not_found``."""

from __future__ import annotations

from aiohttp import web

from backend.errors import not_found
from backend.knowledge import service as kb
from backend.web.kit import call, render, session_of
from backend.web.views.admin import markdown

routes = web.RouteTableDef()


@routes.get("/kb/{slug}", name="kb_article")
async def article(request: web.Request) -> web.Response:
    actor, slug = session_of(request).actor, request.match_info["slug"][:120]
    if actor is None:  # a visitor: published articles only
        view = await call(request, kb.get_article, None, actor=None, slug=slug)
    else:
        view = await call(request, kb.get_article, actor, slug=slug)
    if view.status == "archived":  # staff load archived rows too; the public page never shows one
        raise not_found("article", view.slug)
    return render(request, "article.html", article=view, body=markdown(view.body))
