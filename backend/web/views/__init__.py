"""The portal's pages, one module per role (plus login/logout)."""

from __future__ import annotations

from aiohttp import web


def all_routes() -> list[web.AbstractRouteDef]:
    from backend.web.views import (
        admin,
        agent,
        articles,
        auth,
        bank,
        catalog_admin,
        collections,
        customer,
        desk_admin,
        field,
        invoice_desk,
        kb_import,
        mail,
        manager,
        notices,
        pay,
        processes,
        pwa,
        schedules_admin,
        technician,
    )

    out: list[web.AbstractRouteDef] = []
    for module in (auth, articles, customer, technician, agent, processes, manager, admin, catalog_admin, desk_admin,
                   kb_import, mail, schedules_admin, notices, invoice_desk,
                   collections, pay, bank, field, pwa):
        out.extend(module.routes)
    return out
