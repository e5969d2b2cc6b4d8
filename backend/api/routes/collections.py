"""Technicians' collections at the door, their cash in hand, and the bank
deposits of that cash (issue 14 item 3)."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import JOB_REF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Arr, Bool, Date, Enum, Int, Money, Obj, Ref, Str
from backend.banking.cash import MAX_PER_DEPOSIT, METHODS
from backend.processes import collections

routes = RouteTable("collections", "Money technicians collect at the door and the bank deposits of their cash")
TECH = ("technician",)
TECH_AND_STAFF = ("technician", *STAFF)

COLLECTION_BODY = Obj(
    amount=Money(description="Not more than what is due on the job's invoice"),
    method=Enum(*METHODS, description="cash (held by the technician until deposited) or upi (paid to the "
                                      "company's VPA)"),
    reference=Str(max_len=80, nullable=True, description="The UPI transaction reference, or a note"),
    collected_on=Date(nullable=True, description="Defaults to today"),
)

DEPOSIT_BODY = Obj(
    collection_numbers=Arr(Ref("CL", description="A cash collection such as CL-000004"), max_items=MAX_PER_DEPOSIT),
    slip_reference=Str(max_len=80, description="The bank's deposit slip reference"),
    deposited_on=Date(nullable=True, description="Defaults to today; not in the future"),
)


@routes.post("/api/jobs/{job_ref}/collections", "The technician records cash or UPI collected against the job's "
             "invoice; issues the customer's receipt", params=JOB_REF, body=COLLECTION_BODY, status=201,
             idempotent=True, response=returns(collections.record_collection), roles=TECH,
             description="Only the technician assigned to the job (another's job: 404). No invoice yet: 409 conflict; "
                         "nothing due: 409 already_done; more than due: 422 overpayment. With an Idempotency-Key "
                         "header a retry returns the first collection (200, created=false).")
async def record_collection(call: Call) -> Any:
    return await call(collections.record_collection, job_ref=call.path["job_ref"], **call.body)


@routes.get("/api/collections/technicians", "Collections by technicians, the newest first (a technician sees "
            "their own)", query={"technician_id": Int(nullable=True, description="Only this technician"),
                                 "undeposited": Bool(default=False, description="Only cash not yet deposited, "
                                                                                "the oldest first")},
            response=returns(collections.list_collections), roles=TECH_AND_STAFF)
async def list_collections(call: Call) -> Any:
    return await call(collections.list_collections, **call.query)


@routes.get("/api/cash-in-hand", "Each technician's cash in hand, from the ledger (a technician sees their own)",
            query={"technician_id": Int(nullable=True, description="Only this technician")},
            response=returns(collections.cash_in_hand), roles=TECH_AND_STAFF)
async def cash_in_hand(call: Call) -> Any:
    return await call(collections.cash_in_hand, **call.query)


@routes.post("/api/deposits", "Record a bank deposit of technicians' cash collections (a journal voucher from "
             "cash with technicians to the bank)", body=DEPOSIT_BODY, status=201, idempotent=True,
             response=returns(collections.record_deposit), roles=STAFF,
             description="Unknown collection: 404; a UPI collection or one that would leave a technician's cash "
                         "in hand negative: 409 conflict; already deposited: 409 already_done; a future date: 422 "
                         "invalid_input. With an Idempotency-Key header a retry returns the first deposit.")
async def record_deposit(call: Call) -> Any:
    return await call(collections.record_deposit, **call.body)


@routes.get("/api/deposits", "Bank deposits of technicians' cash, the latest first",
            query={"start": Date(nullable=True), "end": Date(nullable=True)},
            response=returns(collections.list_deposits), roles=STAFF)
async def list_deposits(call: Call) -> Any:
    return await call(collections.list_deposits, **call.query)
