"""Typed application and request state shared by the API's modules."""

from __future__ import annotations

from aiohttp import web

from backend.db import UnitOfWork
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
UOW = web.AppKey("uow", UnitOfWork)
LOGIN_FAILURES = web.AppKey("login_failures", dict)
OPENAPI = web.AppKey("openapi", dict)

ACTOR = web.RequestKey("actor", Actor | None)
AUTH_ERROR = web.RequestKey("auth_error", DomainError | None)
