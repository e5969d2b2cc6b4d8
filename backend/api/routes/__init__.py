"""Route tables by business area; ``all_routes()`` is what the app serves and documents."""

from __future__ import annotations

from backend.api.routing import Route


def all_routes() -> list[Route]:
    from backend.api.routes import (
        auth,
        bank,
        billing,
        catalog,
        collections,
        contract_types,
        contracts,
        customers,
        desk,
        gateways,
        intake,
        job_media,
        jobs,
        ledger,
        meta,
        orders,
        repairs,
        reports,
        users,
    )

    tables = [meta, auth, users, customers, catalog, contract_types, desk, intake, jobs, job_media, contracts, orders,
              repairs, billing, collections, bank, gateways, ledger, reports]
    return [route for table in tables for route in table.routes.routes]
