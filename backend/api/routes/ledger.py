"""Read side of the ledger: party statements, outstanding with ageing, trial balance."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Date, Enum, Int
from backend.ledger import service as ledger

routes = RouteTable("ledger")

PARTY = {"party_type": Enum("customer", "technician"), "party_id": Int(description="Customer id or technician's user id")}


@routes.get("/api/ledger/statements/{party_type}/{party_id}", "Party account statement from ledger entries",
            params=PARTY, query={"start": Date(nullable=True), "end": Date(nullable=True)},
            response=returns(ledger.party_statement), roles=ALL_ROLES)
async def party_statement(call: Call) -> Any:
    return await call(ledger.party_statement, **call.path, **call.query)


@routes.get("/api/ledger/outstanding", "Outstanding by customer, in ageing buckets by due date",
            query={"as_of": Date(nullable=True), "party_id": Int(nullable=True)},
            response=returns(ledger.outstanding), roles=CUSTOMER_AND_STAFF)
async def outstanding(call: Call) -> Any:
    return await call(ledger.outstanding, party_type="customer", **call.query)


@routes.get("/api/ledger/trial-balance", "Debits and credits per account", response=returns(ledger.trial_balance),
            roles=STAFF)
async def trial_balance(call: Call) -> Any:
    return await call(ledger.trial_balance)
