"""Routes declared once: the declaration registers the aiohttp handler, parses
and validates the request, and describes the operation in the OpenAPI document.

A route module looks like::

    routes = RouteTable("jobs")

    @routes.post("/api/jobs/{job_ref}/confirm", "Technician confirms the job (B2)",
                 params={"job_ref": Ref("JB")}, response=returns(jobs.confirm_job),
                 roles=("technician",))
    async def confirm_job(call: Call) -> Any:
        return await call(jobs.confirm_job, job_ref=call.path["job_ref"])

The handler stays thin: parsed input in ``call``, one service call, the
result serialised by :func:`backend.api.schema.to_json`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from backend.api.keys import ACTOR, AUTH_ERROR, SETTINGS, UOW
from backend.api.responses import to_json
from backend.api.schema import MISSING, Field, Obj, Str, refuse
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role

JSON_BODY_MAX = 256 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY = ("With an Idempotency-Key header a retry returns the first result and does nothing again "
         "(created=false); the same key with other input is refused (409 idempotency_conflict).")
IDEMPOTENCY_KEY = Str(max_len=120, pattern=r"^[A-Za-z0-9._:~-]{1,120}$",
                      description="Any client-chosen token; a retry with the same key returns the first result.")

Handler = Callable[["Call"], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    tag: str
    handler: Handler
    body: Obj | None = None
    query: dict[str, Field] = field(default_factory=dict)
    params: dict[str, Field] = field(default_factory=dict)
    response: Any = None
    status: int = 200
    roles: tuple[str, ...] | None = None  # None: no login needed; else only these roles (403 before parsing)
    idempotent: bool = False
    upload: bool = False
    errors: tuple[int, ...] = ()  # statuses beyond the common ones (415 uploads, 429 logins)
    description: str | None = None

    def __post_init__(self) -> None:
        # A misspelt role would lock its holders out without a word; an empty
        # tuple would be a route nobody may call (any logged-in user: ALL_ROLES).
        if self.roles is not None:
            unknown = [r for r in self.roles if r not in set(Role)]
            if unknown or not self.roles:
                raise ValueError(f"{self.method} {self.path}: roles must be a non-empty tuple of "
                                 f"{', '.join(Role)} (None: no login needed); got {self.roles!r}")

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def auth(self) -> bool:
        return self.roles is not None

    async def endpoint(self, request: web.Request) -> web.StreamResponse:
        actor = request.get(ACTOR)
        if self.auth and actor is None:
            if request.get(AUTH_ERROR) is not None:
                raise request[AUTH_ERROR]
            raise DomainError(ErrorCode.UNAUTHENTICATED, "log in first: send Authorization: Bearer <token>")
        if self.auth and str(actor.role) not in self.roles:
            # Before anything of the request is parsed: a role that may never call
            # this route learns only that (403), not which of its inputs are wrong.
            raise DomainError(ErrorCode.FORBIDDEN,
                              f"this is for the roles {', '.join(self.roles)}; you are logged in as {actor.role}",
                              role=str(actor.role), allowed=list(self.roles))
        call = Call(request, actor, self)
        call.path = {k: f.from_text(request.match_info[k], k) for k, f in self.params.items()}
        call.query = _parse_query(request, self.query)
        if self.idempotent:
            raw = request.headers.get(IDEMPOTENCY_HEADER)
            call.idempotency_key = None if raw is None else IDEMPOTENCY_KEY.load(raw, IDEMPOTENCY_HEADER)
        if self.body is not None:
            data = await read_json(request)
            if data is MISSING:
                if any(f.required for f in self.body.fields.values()):
                    raise DomainError(ErrorCode.MALFORMED, "a JSON body is required")
                data = {}  # every field optional: an empty body is fine
            call.body = self.body.parse(data)
        result = await self.handler(call)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(to_json(result), status=self.status_for(result))

    def status_for(self, result: Any) -> int:
        # A retried creation (same Idempotency-Key) answers 200, not 201.
        if self.status == 201 and getattr(result, "created", True) is False:
            return 200
        return self.status


class Call:
    """What a handler gets: the parsed request and a way to run a service."""

    def __init__(self, request: web.Request, actor: Actor | None, route: Route) -> None:
        self.request = request
        self.actor = actor
        self.route = route
        self.path: dict[str, Any] = {}
        self.query: dict[str, Any] = {}
        self.body: dict[str, Any] = {}
        self.idempotency_key: str | None = None

    @property
    def settings(self):
        return self.request.app[SETTINGS]

    async def __call__(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run ``fn(uow, actor, **kwargs)`` in a worker thread (the core is synchronous).
        On an idempotent route the ``Idempotency-Key`` header goes along as ``idempotency_key``."""
        if self.route.idempotent:
            kwargs.setdefault("idempotency_key", self.idempotency_key)
        return await asyncio.to_thread(fn, self.request.app[UOW], self.actor, **kwargs)

    async def plain(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run ``fn(uow, **kwargs)`` for the few services that take no actor."""
        return await asyncio.to_thread(fn, self.request.app[UOW], **kwargs)


def _parse_query(request: web.Request, spec: dict[str, Field]) -> dict[str, Any]:
    unknown = sorted(set(request.query) - set(spec))
    if unknown:
        raise refuse(unknown[0], "is not a known query parameter")
    out: dict[str, Any] = {}
    for name, f in spec.items():
        values = request.query.getall(name, [])
        if len(values) > 1:
            raise refuse(name, "is given more than once")
        out[name] = f.from_text(values[0], name) if values else (None if f.default is MISSING else f.default)
    return out


async def read_body(request: web.Request) -> bytes:
    """The raw body, refused (413) over ``JSON_BODY_MAX`` whether or not it says its length."""
    too_large = DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"the request body is larger than {JSON_BODY_MAX} bytes",
                            limit=JSON_BODY_MAX)
    if request.content_length is not None and request.content_length > JSON_BODY_MAX:
        raise too_large  # refused before a byte of it is read
    raw = await request.content.read(JSON_BODY_MAX + 1)
    if len(raw) > JSON_BODY_MAX:
        raise too_large
    return raw


async def read_json(request: web.Request) -> Any:
    raw = await read_body(request)
    if not raw.strip():
        return MISSING
    try:
        # Decimals, never floats: 0.1 stays 0.1 on its way to the ledger.
        return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DomainError(ErrorCode.MALFORMED, f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise DomainError(ErrorCode.MALFORMED, "the body is nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    try:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed back (e.g. in an unknown field's name)
        body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return web.Response(
        body=body,
        status=status,
        content_type="application/json",
        headers=headers,
    )


class RouteTable:
    """The routes of one area (one OpenAPI tag)."""

    def __init__(self, tag: str, description: str = "") -> None:
        self.tag = tag
        self.description = description
        self.routes: list[Route] = []

    def route(self, method: str, path: str, summary: str, **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, summary, self.tag, handler, **options))
            return handler

        return register

    def get(self, path: str, summary: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, summary, **options)

    def post(self, path: str, summary: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, summary, **options)
