"""The portal's pages, one module per role (plus login/logout)."""

from __future__ import annotations

from aiohttp import web


def all_routes() -> list[web.AbstractRouteDef]:
    from backend.web.views import (
        admin,
        agent,
        articles,
        auth,
        customer,
        manager,
        processes,
        technician,
    )

    out: list[web.AbstractRouteDef] = []
    for module in (auth, articles, customer, technician, agent, processes, manager, admin):
        out.extend(module.routes)
    return out
