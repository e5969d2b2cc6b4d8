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
        contract_desk,
        customer,
        customers_desk,
        desk_admin,
        expense_bills,
        field,
        front_desk,
        invoice_desk,
        kb_import,
        kb_proposals,
        mail,
        manager,
        master_import,
        my_items,
        notices,
        pay,
        processes,
        pwa,
        schedules_admin,
        signup,
        technician,
    )

    out: list[web.AbstractRouteDef] = []
    for module in (auth, articles, customer, technician, agent, processes, manager, admin, catalog_admin, desk_admin,
                   kb_import, master_import, mail, schedules_admin, notices, invoice_desk, contract_desk,
                   collections, pay, bank, field, pwa, signup, kb_proposals, front_desk, customers_desk, my_items,
                   expense_bills):
        out.extend(module.routes)
    return out
