"""The portal's pages, one module per role (plus login/logout)."""

from __future__ import annotations

from aiohttp import web


def all_routes() -> list[web.AbstractRouteDef]:
    from backend.web.views import (
        admin,
        agent,
        articles,
        auth,
        catalog_admin,
        customer,
        desk_admin,
        kb_import,
        mail,
        manager,
        notices,
        processes,
        schedules_admin,
        technician,
    )

    out: list[web.AbstractRouteDef] = []
    for module in (auth, articles, customer, technician, agent, processes, manager, admin, catalog_admin, desk_admin,
                   kb_import, mail, schedules_admin, notices):
        out.extend(module.routes)
    return out
