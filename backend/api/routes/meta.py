"""Health and the API's own description."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.api.keys import OPENAPI
from backend.api.routing import Call, RouteTable, json_response

routes = RouteTable("meta")


@dataclass(frozen=True)
class Health:
    status: str


@routes.get("/api/health", "Liveness: answers while the server runs", response=Health)
async def health(call: Call) -> Health:
    return Health("ok")


@routes.get("/api/openapi.json", "This API's OpenAPI 3.1 document", response=dict[str, Any])
async def openapi_document(call: Call) -> Any:
    return json_response(call.request.app[OPENAPI])
