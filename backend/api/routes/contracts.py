"""Process C: contract inquiries, offers and answers, renewals, the daily run."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import CUSTOMER_AND_STAFF, STAFF, ident
from backend.api.routing import Call, RouteTable
from backend.api.schema import Arr, Date, Enum, Int, Money, Obj, Ref, Str
from backend.coverage import plan
from backend.coverage import service as contracts
from backend.coverage.models import ContractState
from backend.processes import contract_visits

routes = RouteTable("contracts")
REF = {"contract_ref": Ref("CT", description="A contract reference such as CT-000003")}
NOTE = Str(max_len=400, nullable=True)


def _ref(call: Call) -> str:
    return call.path["contract_ref"]


@routes.get("/api/contracts", "Contracts (a customer sees their own)",
            query={"customer_id": Int(nullable=True), "state": Enum(*ContractState, nullable=True)},
            response=returns(contracts.list_contracts), roles=CUSTOMER_AND_STAFF)
async def list_contracts(call: Call) -> Any:
    return await call(contracts.list_contracts, **call.query)


@routes.get("/api/contracts/{contract_ref}", "One contract with its offers, invoice and plan", params=REF,
            response=returns(contracts.get_contract), roles=CUSTOMER_AND_STAFF)
async def get_contract(call: Call) -> Any:
    return await call(contracts.get_contract, contract_ref=_ref(call))


@routes.post("/api/contracts", "C1: a contract inquiry for some of the customer's serials",
             body=Obj(type_code=Str(max_len=20), serials=Arr(Str(max_len=60), max_items=200),
                      customer_id=Int(nullable=True), note=NOTE),
             status=201, idempotent=True, response=returns(contracts.open_inquiry), roles=CUSTOMER_AND_STAFF)
async def open_inquiry(call: Call) -> Any:
    return await call(contracts.open_inquiry, **call.body)


@routes.post("/api/contracts/{contract_ref}/offers", "C3: send an offer (a re-offer supersedes the open one)",
             params=REF,
             body=Obj(amount=Money(maximum=contracts.MAX_CONTRACT_VALUE), starts_on=Date(), ends_on=Date(),
                      visits_per_year=Int(minimum=0, maximum=52, nullable=True,
                                          description="default: the contract type's visits per year"),
                      instalments=Int(minimum=1, maximum=12, default=1),
                      type_code=Str(max_len=20, nullable=True), valid_days=Int(minimum=1, maximum=180, default=30)),
             idempotent=True, response=returns(contracts.send_offer), roles=STAFF)
async def send_offer(call: Call) -> Any:
    return await call(contracts.send_offer, contract_ref=_ref(call), **call.body)


@routes.post("/api/contracts/{contract_ref}/accept", "C4–C6: accept the open offer (OA, invoice, instalments, plan)",
             params=REF, response=returns(contracts.accept_offer), roles=CUSTOMER_AND_STAFF)
async def accept_offer(call: Call) -> Any:
    return await call(contracts.accept_offer, contract_ref=_ref(call))


@routes.post("/api/contracts/{contract_ref}/reject", "C4: reject the open offer", params=REF,
             body=Obj(note=NOTE), response=returns(contracts.reject_offer), roles=CUSTOMER_AND_STAFF)
async def reject_offer(call: Call) -> Any:
    return await call(contracts.reject_offer, contract_ref=_ref(call), **call.body)


@routes.post("/api/contracts/{contract_ref}/renew", "C8: ask to renew; a new inquiry follows the old period",
             params=REF, body=Obj(note=NOTE), status=201, idempotent=True, response=returns(contracts.renew_contract),
             roles=CUSTOMER_AND_STAFF)
async def renew_contract(call: Call) -> Any:
    return await call(contracts.renew_contract, contract_ref=_ref(call), **call.body)


@routes.post("/api/contracts/renewal-reminders", "C8: the scheduled run — remind, expire (safe to repeat)",
             body=Obj(as_of=Date(nullable=True), days_before=Int(minimum=1, maximum=365, default=30)),
             response=returns(contracts.send_renewal_reminders), roles=STAFF)
async def send_renewal_reminders(call: Call) -> Any:
    return await call(contracts.send_renewal_reminders, **call.body)


@routes.post("/api/contracts/visits/schedule", "C7: planned visits due soon become jobs (safe to repeat)",
             body=Obj(as_of=Date(nullable=True), horizon_days=Int(minimum=0, maximum=90, default=14)),
             response=returns(contract_visits.schedule_due_visits), roles=STAFF)
async def schedule_due_visits(call: Call) -> Any:
    return await call(contract_visits.schedule_due_visits, **call.body)


# --- C2: the delivery plan (drafted with the offer, planned at acceptance), edited by staff --------

VISIT = {**REF, **ident("visit_id", "planned visit")}


@routes.get("/api/contracts/{contract_ref}/plan", "C2: the delivery plan (the offer's draft, or the contract's)",
            params=REF, response=returns(plan.get_plan), roles=CUSTOMER_AND_STAFF)
async def get_plan(call: Call) -> Any:
    return await call(plan.get_plan, contract_ref=_ref(call))


@routes.post("/api/contracts/{contract_ref}/plan/visits", "C2: add a visit to the plan (within the period)",
             params=REF, body=Obj(due_on=Date(), serial=Str(max_len=60, nullable=True,
                                                            description="the covered item (needed when several)")),
             status=201, idempotent=True, response=returns(plan.add_planned_visit), roles=STAFF)
async def add_planned_visit(call: Call) -> Any:
    return await call(plan.add_planned_visit, contract_ref=_ref(call), **call.body)


@routes.post("/api/contracts/{contract_ref}/plan/visits/{visit_id}/move",
             "C2: move a draft or planned visit to another day within the period", params=VISIT,
             body=Obj(due_on=Date()), response=returns(plan.move_planned_visit), roles=STAFF)
async def move_planned_visit(call: Call) -> Any:
    return await call(plan.move_planned_visit, contract_ref=_ref(call), visit_id=call.path["visit_id"], **call.body)


@routes.post("/api/contracts/{contract_ref}/plan/visits/{visit_id}/remove",
             "C2: remove a draft or planned visit (a scheduled or done one stays)", params=VISIT,
             body=Obj(reason=Str(max_len=200, nullable=True)), response=returns(plan.remove_planned_visit),
             roles=STAFF)
async def remove_planned_visit(call: Call) -> Any:
    return await call(plan.remove_planned_visit, contract_ref=_ref(call), visit_id=call.path["visit_id"],
                      **call.body)
