"""Errors as JSON with stable codes, and who is calling (bearer tokens)."""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backend.api.keys import ACTOR, AUTH_ERROR, SETTINGS
from backend.api.routing import json_response
from backend.errors import DomainError, ErrorCode
from backend.identity.tokens import actor_from_token

log = logging.getLogger("backend.api")

INTERNAL_ERROR = "internal_error"
METHOD_NOT_ALLOWED = "method_not_allowed"

# One table from the core's error codes to HTTP statuses.
STATUS: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.ILLEGAL_TRANSITION: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.ALREADY_DONE: 409,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.OVERPAYMENT: 422,
    ErrorCode.OUT_OF_STOCK: 422,
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.NOT_COVERED: 422,
    ErrorCode.UNBALANCED: 422,
    ErrorCode.MALFORMED: 400,
    ErrorCode.UPLOAD_TOO_LARGE: 413,
    ErrorCode.UPLOAD_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
}

# aiohttp's own refusals (no such route, body too large...) in the same shape.
HTTP_CODES: dict[int, str] = {
    400: ErrorCode.MALFORMED,
    404: ErrorCode.NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    413: ErrorCode.UPLOAD_TOO_LARGE,
    415: ErrorCode.UPLOAD_TYPE,
}


def status_of(code: ErrorCode) -> int:
    return STATUS.get(code, 422)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": str(code), "message": message, "details": details or {}}}


def domain_error_response(exc: DomainError) -> web.Response:
    body = exc.as_dict()
    headers = {"WWW-Authenticate": 'Bearer realm="fieldserv"'} if exc.code == ErrorCode.UNAUTHENTICATED else None
    if exc.code == ErrorCode.RATE_LIMITED and "retry_after" in exc.details:
        headers = {"Retry-After": str(exc.details["retry_after"])}
    return json_response(
        error_body(body["code"], body["message"], body.get("details")),
        status=status_of(exc.code),
        headers=headers,
    )


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        return domain_error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = HTTP_CODES.get(exc.status, ErrorCode.MALFORMED if exc.status < 500 else INTERNAL_ERROR)
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_response(error_body(code, exc.reason), status=exc.status, headers=headers)
    except IntegrityError as exc:
        # A constraint the core did not foresee, typically two writers racing
        # for one unique value: the transaction rolled back, so retrying is safe.
        log.warning("integrity error on %s %s: %s", request.method, request.path, exc.orig)
        return json_response(
            error_body(ErrorCode.CONFLICT, "the change clashed with another one and was not made; try again"),
            status=409,
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", incident, request.method, request.path)
        return json_response(
            error_body(INTERNAL_ERROR, "something went wrong on our side; it has been logged",
                       {"incident": incident}),
            status=500,
        )


@web.middleware
async def bearer_auth(request: web.Request, handler) -> web.StreamResponse:
    """Sets ``request[ACTOR]``; each route decides whether it needs one."""
    header = request.headers.get("Authorization", "")
    request[ACTOR] = None
    request[AUTH_ERROR] = None
    if header:
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise DomainError(ErrorCode.UNAUTHENTICATED, "use Authorization: Bearer <token>")
            request[ACTOR] = actor_from_token(request.app[SETTINGS].secret_key, token.strip(), channel="api")
        except DomainError as exc:
            request[AUTH_ERROR] = exc  # raised by routes that need a login; public ones ignore it
    return await handler(request)
