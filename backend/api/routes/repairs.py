"""Process E: in-house repairs."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Arr, Enum, Int, Obj, Qty, Ref, Str
from backend.repairs import feedback as repair_feedback
from backend.repairs import service as repairs
from backend.repairs.models import RepairState

routes = RouteTable("repairs")
REF = {"repair_ref": Ref("RO", description="A repair order reference such as RO-000007")}
TECH = ("technician",)
LINES = Arr(Obj(code=Str(max_len=40), qty=Qty(maximum=repairs.MAX_QTY)), max_items=20)


def _ref(call: Call) -> str:
    return call.path["repair_ref"]


@routes.get("/api/repairs", "Repair orders (customers and technicians see their own)",
            query={"state": Enum(*RepairState, nullable=True)}, response=returns(repairs.list_repairs),
            roles=ALL_ROLES)
async def list_repairs(call: Call) -> Any:
    return await call(repairs.list_repairs, **call.query)


@routes.get("/api/repairs/{repair_ref}", "One repair order with its estimates", params=REF,
            response=returns(repairs.get_repair), roles=ALL_ROLES)
async def get_repair(call: Call) -> Any:
    return await call(repairs.get_repair, repair_ref=_ref(call))


@routes.post("/api/repairs", "E1: an item handed in at the counter",
             body=Obj(customer_id=Int(), item_description=Str(max_len=200), fault=Str(max_len=4000),
                      serial=Str(max_len=60, nullable=True)),
             status=201, idempotent=True, response=returns(repairs.receive_repair), roles=STAFF)
async def receive_repair(call: Call) -> Any:
    return await call(repairs.receive_repair, **call.body)


@routes.post("/api/repairs/{repair_ref}/assign", "E2: a technician evaluates and estimates", params=REF,
             body=Obj(technician_id=Int()), response=returns(repairs.assign_repair), roles=STAFF)
async def assign_repair(call: Call) -> Any:
    return await call(repairs.assign_repair, repair_ref=_ref(call), **call.body)


@routes.post("/api/repairs/{repair_ref}/estimate", "E3: send an estimate (or a revised one while under repair)",
             params=REF, body=Obj(lines=LINES, note=Str(max_len=400, nullable=True)),
             response=returns(repairs.send_repair_estimate), roles=TECH)
async def send_estimate(call: Call) -> Any:
    return await call(repairs.send_repair_estimate, repair_ref=_ref(call), **call.body)


@routes.post("/api/repairs/{repair_ref}/approve", "E4: the customer approves the estimate", params=REF,
             response=returns(repairs.approve_repair_estimate), roles=CUSTOMER_AND_STAFF)
async def approve(call: Call) -> Any:
    return await call(repairs.approve_repair_estimate, repair_ref=_ref(call))


@routes.post("/api/repairs/{repair_ref}/decline", "E4: the customer declines the estimate", params=REF,
             response=returns(repairs.decline_repair_estimate), roles=CUSTOMER_AND_STAFF)
async def decline(call: Call) -> Any:
    return await call(repairs.decline_repair_estimate, repair_ref=_ref(call))


@routes.post("/api/repairs/{repair_ref}/return", "Hand a declined item back unrepaired", params=REF,
             response=returns(repairs.return_unrepaired), roles=STAFF)
async def return_unrepaired(call: Call) -> Any:
    return await call(repairs.return_unrepaired, repair_ref=_ref(call))


@routes.post("/api/repairs/{repair_ref}/start", "E5: repair started", params=REF,
             response=returns(repairs.start_repair), roles=TECH)
async def start(call: Call) -> Any:
    return await call(repairs.start_repair, repair_ref=_ref(call))


@routes.post("/api/repairs/{repair_ref}/parts", "E5: parts used (leave stock at once)", params=REF,
             body=Obj(part_sku=Str(max_len=40), qty=Qty(maximum=repairs.MAX_QTY)),
             idempotent=True, response=returns(repairs.add_repair_parts), roles=TECH)
async def add_parts(call: Call) -> Any:
    return await call(repairs.add_repair_parts, repair_ref=_ref(call), **call.body)


@routes.post("/api/repairs/{repair_ref}/complete", "E6: repaired and checked OK", params=REF,
             body=Obj(check_notes=Str(max_len=4000)), response=returns(repairs.complete_repair), roles=TECH)
async def complete(call: Call) -> Any:
    return await call(repairs.complete_repair, repair_ref=_ref(call), **call.body)


@routes.post("/api/repairs/{repair_ref}/invoice", "E6: invoice the last approved estimate", params=REF,
             response=returns(repairs.invoice_repair), roles=STAFF)
async def invoice(call: Call) -> Any:
    return await call(repairs.invoice_repair, repair_ref=_ref(call))


@routes.post("/api/repairs/{repair_ref}/deliver", "E7: delivered with its invoice", params=REF,
             response=returns(repairs.deliver_repair), roles=STAFF)
async def deliver(call: Call) -> Any:
    return await call(repairs.deliver_repair, repair_ref=_ref(call))


@routes.post("/api/repairs/{repair_ref}/feedback", "E8: the customer's rating (1-5) and comment, once handed back",
             params=REF, body=Obj(rating=Int(minimum=1, maximum=5), comment=Str(max_len=2000, nullable=True)),
             response=returns(repair_feedback.give_repair_feedback), roles=("customer",))
async def give_repair_feedback(call: Call) -> Any:
    return await call(repair_feedback.give_repair_feedback, repair_ref=_ref(call), **call.body)


@routes.get("/api/repairs/{repair_ref}/feedback", "E8: the feedback given on a repair", params=REF,
            response=returns(repair_feedback.get_repair_feedback), roles=ALL_ROLES)
async def get_repair_feedback(call: Call) -> Any:
    return await call(repair_feedback.get_repair_feedback, repair_ref=_ref(call))
