"""The composition root of the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import backend.models  # noqa: F401  (every area's tables, so cross-area foreign keys resolve)
from backend.api.keys import LOGIN_FAILURES, OPENAPI, SETTINGS, UOW
from backend.api.middleware import bearer_auth, json_errors
from backend.api.openapi import build_document
from backend.api.routes import all_routes
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.settings import Settings

# Multipart uploads may be as large as the upload limit; JSON bodies are capped
# separately (routing.JSON_BODY_MAX).
UPLOAD_OVERHEAD = 64 * 1024


def create_app(settings: Settings, uow: UnitOfWork | None = None) -> web.Application:
    app = web.Application(
        middlewares=[json_errors, bearer_auth],
        client_max_size=settings.upload_max_bytes + UPLOAD_OVERHEAD,
    )
    app[SETTINGS] = settings
    app[LOGIN_FAILURES] = {}
    if uow is not None:
        app[UOW] = uow
    else:
        app.cleanup_ctx.append(_database)
    routes = all_routes()
    for route in routes:
        app.router.add_route(route.method, route.path, route.endpoint, name=route.name)
    app[OPENAPI] = build_document(routes, upload_types=settings.upload_types)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Builds the engine from settings when the caller gave no unit of work."""
    engine = make_engine(app[SETTINGS].database_url)
    app[UOW] = UnitOfWork(make_session_factory(engine))
    yield
    engine.dispose()
