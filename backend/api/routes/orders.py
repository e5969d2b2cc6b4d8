"""Process D: one-time service orders."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import CUSTOMER_AND_STAFF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Arr, DateTime, Enum, Int, Obj, Qty, Ref, Str
from backend.orders import service as orders
from backend.orders.models import OrderState
from backend.processes import service_orders

routes = RouteTable("orders")
REF = {"order_ref": Ref("SO", description="A service order reference such as SO-000004")}


def _ref(call: Call) -> str:
    return call.path["order_ref"]


@routes.get("/api/orders", "Service orders (a customer sees their own)",
            query={"state": Enum(*OrderState, nullable=True)}, response=returns(orders.list_service_orders),
            roles=CUSTOMER_AND_STAFF)
async def list_orders(call: Call) -> Any:
    return await call(orders.list_service_orders, **call.query)


@routes.get("/api/orders/{order_ref}", "One service order", params=REF,
            response=returns(orders.get_service_order), roles=CUSTOMER_AND_STAFF)
async def get_order(call: Call) -> Any:
    return await call(orders.get_service_order, order_ref=_ref(call))


@routes.post("/api/orders", "D1: a walk-in customer's order, priced from the labour price list",
             body=Obj(customer_id=Int(), description=Str(max_len=2000), serial=Str(max_len=60, nullable=True),
                      lines=Arr(Obj(code=Str(max_len=40), qty=Qty(maximum=100)), max_items=orders.MAX_LINES,
                                nullable=True)),
             status=201, idempotent=True, response=returns(orders.create_service_order), roles=STAFF)
async def create_order(call: Call) -> Any:
    return await call(orders.create_service_order, **call.body)


@routes.post("/api/orders/{order_ref}/invoice", "D3: invoice the order up front (sales voucher)", params=REF,
             response=returns(orders.invoice_service_order), roles=STAFF)
async def invoice_order(call: Call) -> Any:
    return await call(orders.invoice_service_order, order_ref=_ref(call))


@routes.post("/api/orders/{order_ref}/plan", "D2: plan delivery — a job, scheduled with a technician", params=REF,
             body=Obj(technician_id=Int(), start=DateTime(), end=DateTime()),
             response=returns(service_orders.plan_service_order), roles=STAFF)
async def plan_order(call: Call) -> Any:
    return await call(service_orders.plan_service_order, order_ref=_ref(call), **call.body)


@routes.post("/api/orders/{order_ref}/cancel", "Cancel an order not yet invoiced", params=REF,
             body=Obj(reason=Str(max_len=400)), response=returns(orders.cancel_service_order), roles=STAFF)
async def cancel_order(call: Call) -> Any:
    return await call(orders.cancel_service_order, order_ref=_ref(call), **call.body)
