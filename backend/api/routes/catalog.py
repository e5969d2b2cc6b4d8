"""Products, the installed base, parts with stock, and the labour price list."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Int, Str
from backend.catalog import service as catalog

routes = RouteTable("catalog")


@routes.get("/api/products", "Products", response=returns(catalog.list_products), roles=ALL_ROLES)
async def list_products(call: Call) -> Any:
    return await call(catalog.list_products)


@routes.get("/api/parts", "Spare parts with price and stock", query={"search": Str(max_len=100, nullable=True)},
            response=returns(catalog.list_parts), roles=("technician", *STAFF))
async def list_parts(call: Call) -> Any:
    return await call(catalog.list_parts, search=call.query["search"])


@routes.get("/api/items", "Installed items with serials (a customer sees their own)",
            query={"customer_id": Int(nullable=True)}, response=returns(catalog.list_items), roles=CUSTOMER_AND_STAFF)
async def list_items(call: Call) -> Any:
    return await call(catalog.list_items, customer_id=call.query["customer_id"])


@routes.get("/api/service-charges", "Labour price list (visit charge, bench fee…)",
            response=returns(catalog.list_service_charges), roles=ALL_ROLES)
async def list_service_charges(call: Call) -> Any:
    return await call(catalog.list_service_charges)
