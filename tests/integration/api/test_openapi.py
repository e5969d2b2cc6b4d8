"""The OpenAPI document and the app's router describe the same routes."""

from __future__ import annotations

import schemathesis

from backend.api import create_app
from backend.api.keys import OPENAPI
from backend.settings import Settings

from .conftest import Api

METHODS = {"get", "post", "put", "patch", "delete"}


def _router_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        found.add((route.method.lower(), path))
    return found


def _document_routes(doc: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in doc["paths"].items() for method in item if method in METHODS}


def test_document_lists_exactly_the_routes_the_app_serves(tmp_path) -> None:
    app = create_app(Settings(var_dir=tmp_path, database_url="sqlite://"))
    served = _router_routes(app)
    documented = _document_routes(app[OPENAPI])
    assert served - documented == set(), "routes missing from the document"
    assert documented - served == set(), "documented routes the app does not serve"
    assert len(served) >= 50


def test_served_document_is_the_generated_one_and_loads(sqlite_api: Api) -> None:
    r = sqlite_api.get("/api/openapi.json")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(doc)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_document_routes(doc))


def test_every_operation_is_described(tmp_path) -> None:
    doc = create_app(Settings(var_dir=tmp_path, database_url="sqlite://"))[OPENAPI]
    ids = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            assert op["summary"], (method, path)
            success = [s for s in op["responses"] if s.startswith("2")]
            assert success and all("schema" in body for s in success  # JSON, or a declared file (PDF, picture)
                                   for body in op["responses"][s]["content"].values())
            assert {"400", "404", "422", "500"} <= set(op["responses"]), (method, path)
            if op["security"]:
                assert op["x-roles"] and {"401", "403"} <= set(op["responses"]), (method, path)
            if method == "post" and "requestBody" in op and "application/json" in op["requestBody"]["content"]:
                assert op["requestBody"]["content"]["application/json"]["schema"]["additionalProperties"] is False
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    idempotent = {op["operationId"] for item in doc["paths"].values() for op in item.values()
                  if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))}
    assert idempotent == {"raise_request", "record_receipt", "add_follow_up", "add_parts_used", "request_advance",
                          "store_attachment", "submit_expense_claim", "pay_technician", "create_order",
                          "receive_repair", "add_parts", "open_inquiry", "send_offer", "renew_contract",
                          "record_collection", "record_deposit", "credit_invoice", "cancel_invoice", "refund_overpayment",
                          "confirm_job", "report_arrival", "resolve_job", "add_photo", "sign_job", "add_note", "add_planned_visit",
                          "raise_for_caller", "walk_in_order", "walk_in_repair",
                          "create_customer", "add_site", "add_contact", "register_item"}
