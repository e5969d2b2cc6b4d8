"""The OpenAPI 3.1 document, generated from the route declarations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.api.responses import SchemaBook
from backend.api.routing import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY, RETRY, Route

ERROR_STATUSES = {
    400: "Malformed request (e.g. the body is not JSON)",
    401: "Not logged in, or the token is not valid",
    403: "This role, or this person, may not do this",
    404: "No such record or route",
    409: "Not possible in the record's present state (illegal move, duplicate, already done)",
    413: "The body or upload is too large",
    422: "Invalid input: a field is missing, unknown, of the wrong type or out of range",
    500: "Unexpected server error (logged, no details given)",
}
EXTRA_STATUSES = {
    415: "This file type is not accepted",
    429: "Too many attempts; wait and retry",
}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Stable error code, e.g. not_found, illegal_transition"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def build_document(
    routes: list[Route], *, upload_types: tuple[str, ...] = (), title: str = "fieldserv API", version: str = "0.1.0"
) -> dict[str, Any]:
    book = SchemaBook()
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, book, upload_types)
        tags.setdefault(route.tag, "")
    book.components["Error"] = ERROR_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Field-service ERP: intake (A), job execution (B), billing and the ledger. "
            "Log in with POST /api/login and send `Authorization: Bearer <token>`. Amounts are decimal "
            "strings with two places in responses; requests accept numbers or strings.",
        },
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": book.components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route, book: SchemaBook, upload_types: tuple[str, ...]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
        "security": [{"bearer": []}] if route.auth else [],
    }
    if route.description or route.idempotent:
        op["description"] = route.description or RETRY
    if route.roles is not None:
        op["x-roles"] = list(route.roles)
    params = [_param(name, "path", f, True) for name, f in route.params.items()]
    params += [_param(name, "query", f, False) for name, f in route.query.items()]
    if route.idempotent:
        params.append(_param(IDEMPOTENCY_HEADER, "header", IDEMPOTENCY_KEY, False))
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body.schema()}}}
    if route.upload:
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "additionalProperties": False,
                    },
                    "encoding": {"file": {"contentType": ", ".join(upload_types) or "application/octet-stream"}},
                }
            },
        }
    op["responses"] = _responses(route, book)
    return op


def _param(name: str, where: str, field, required: bool) -> dict[str, Any]:
    out = {"name": name, "in": where, "required": required, "schema": field.schema()}
    if field.description:
        out["description"] = field.description
    return out


@dataclass(frozen=True)
class Download:
    """The response of a route that answers with a file (a picture, a PDF), not JSON."""

    content_types: tuple[str, ...]


def _responses(route: Route, book: SchemaBook) -> dict[str, Any]:
    if isinstance(route.response, Download):
        return {str(route.status): {"description": "The file", "content": {
            t: {"schema": {"type": "string", "format": "binary"}} for t in route.response.content_types}},
            **_errors(route)}
    schema = book.schema_of(route.response) if route.response is not None else {"type": "object"}
    ok = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    if "csv" in getattr(route.query.get("format"), "choices", ()):
        ok["content"]["text/csv"] = {"schema": {"type": "string",
                                                "description": "with format=csv: a header row, then one row per line"}}
    responses: dict[str, Any] = {str(route.status): ok}
    if route.status == 201 and route.idempotent:
        responses["200"] = {"description": "Already done with this Idempotency-Key: the first result",
                            "content": {"application/json": {"schema": schema}}}
    return responses | _errors(route)


def _errors(route: Route) -> dict[str, Any]:
    errors = dict(ERROR_STATUSES) | {s: EXTRA_STATUSES[s] for s in route.errors}
    return {str(status): {"description": text,
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for status, text in sorted(errors.items())}
