"""Route tables by business area; ``all_routes()`` is what the app serves and documents."""

from __future__ import annotations

from backend.api.routing import Route


def all_routes() -> list[Route]:
    from backend.api.routes import auth, billing, catalog, intake, jobs, ledger, meta, users

    tables = [meta.routes, auth.routes, users.routes, catalog.routes, intake.routes, jobs.routes, billing.routes,
              ledger.routes]
    return [route for table in tables for route in table.routes]
