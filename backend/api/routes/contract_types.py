"""Contract types as data (admin): list, add, edit, retire, restore, delete
(only one never used)."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Bool, Int, Obj, Str
from backend.coverage import types

routes = RouteTable("contract-types")
ADMIN = ("admin",)
CODE = {"code": Str(max_len=20, pattern=r"^[A-Za-z][A-Za-z0-9_]{1,19}$",
                    description="A contract type's code, such as AMC")}
VISITS = Int(minimum=0, maximum=types.MAX_VISITS)


@routes.get("/api/contract-types", "Contract types with what they cover and how many contracts use them",
            query={"include_retired": Bool(default=True)}, response=returns(types.list_coverage_types), roles=STAFF)
async def list_coverage_types(call: Call) -> Any:
    return await call(types.list_coverage_types, include_retired=call.query["include_retired"])


@routes.post("/api/contract-types", "Add a contract type (admin)", status=201, roles=ADMIN,
             body=Obj(code=CODE["code"], name=Str(max_len=120), covers_labour=Bool(default=True),
                      covers_parts=Bool(default=False), visits_per_year=Int(minimum=0, maximum=types.MAX_VISITS,
                                                                            default=4),
                      requires_signature=Bool(default=False, description="Its visits are completed only with the "
                                                                         "customer's signature")),
             response=returns(types.create_coverage_type))
async def create_coverage_type(call: Call) -> Any:
    return await call(types.create_coverage_type, **call.body)


@routes.post("/api/contract-types/{code}", "Change a contract type's name, cover or default visits (admin)",
             params=CODE, roles=ADMIN, response=returns(types.edit_coverage_type),
             body=Obj(name=Str(max_len=120, nullable=True), covers_labour=Bool(nullable=True),
                      covers_parts=Bool(nullable=True),
                      visits_per_year=Int(minimum=0, maximum=types.MAX_VISITS, nullable=True),
                      requires_signature=Bool(nullable=True)))
async def edit_coverage_type(call: Call) -> Any:
    return await call(types.edit_coverage_type, code=call.path["code"], **call.body)


@routes.post("/api/contract-types/{code}/retire", "Retire a type: no new inquiries or offers of it (admin)",
             params=CODE, roles=ADMIN, response=returns(types.retire_coverage_type))
async def retire_coverage_type(call: Call) -> Any:
    return await call(types.retire_coverage_type, code=call.path["code"])


@routes.post("/api/contract-types/{code}/restore", "Take a retired type back into use (admin)",
             params=CODE, roles=ADMIN, response=returns(types.restore_coverage_type))
async def restore_coverage_type(call: Call) -> Any:
    return await call(types.restore_coverage_type, code=call.path["code"])


@routes.route("DELETE", "/api/contract-types/{code}", "Delete a type no contract or offer uses (admin)",
              params=CODE, roles=ADMIN, response=returns(types.delete_coverage_type),
              description="A type in use is refused with 409 conflict (details.reason = in_use): retire it instead.")
async def delete_coverage_type(call: Call) -> Any:
    return await call(types.delete_coverage_type, code=call.path["code"])
