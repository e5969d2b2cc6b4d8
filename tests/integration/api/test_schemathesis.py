"""Schemathesis over the served OpenAPI document: for every operation, a
bounded number of generated requests (valid ones, then invalid ones) sent as
a logged-in admin to the real server; no response may be a 5xx, have a status
or content type the document does not list, or a body outside its schema, and
invalid requests must be refused with a 4xx.

Bounds: MAX_EXAMPLES per operation and mode, BUDGET seconds per operation
(examples past the budget are skipped), derandomised so CI is repeatable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.auths import AuthStorage
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from backend.api.openapi import build_document
from backend.api.routes import all_routes
from backend.settings import Settings

from .conftest import Api
from .flows import job_in_state

# A deeper run: SCHEMATHESIS_MAX_EXAMPLES=200 SCHEMATHESIS_BUDGET=60 SCHEMATHESIS_AS=tech1 pytest ...
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
BUDGET = float(os.environ.get("SCHEMATHESIS_BUDGET", "4"))  # seconds per operation and mode
LOGIN = os.environ.get("SCHEMATHESIS_AS", "admin")  # whose token: admin, agent, manager, tech1, asha...

DOCUMENT = build_document(all_routes(), upload_types=Settings().upload_types)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Only operations with parameters or a body have invalid inputs to generate.
NEGATABLE = [op for op in OPERATIONS
             if {"parameters", "requestBody"} & set(DOCUMENT["paths"][op.path][op.method.lower()])]
CASES = [(op, GenerationMode.POSITIVE) for op in OPERATIONS] + [(op, GenerationMode.NEGATIVE) for op in NEGATABLE]
TOKEN: dict[str, str] = {}  # the bearer token of LOGIN, set by the `target` fixture


class AdminToken:
    """Schemathesis auth provider: a real token on every operation but the login."""

    def get(self, case, context):
        return None if case.operation.path == "/api/login" else TOKEN.get(LOGIN)

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


AUTH = AuthStorage()
AUTH.auth(refresh_interval=None)(AdminToken)
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]


@pytest.fixture(scope="module")
def target(shared_api: Api) -> Iterator[Api]:
    """The shared world plus a few records with small ids, so that the
    documented examples (JB-000001, INV-000001...) reach real rows."""
    job_in_state(shared_api, "resolved")  # JB-000001, billable
    api = shared_api
    api.ok("POST", "/api/jobs/JB-000001/estimate/accept", who="asha")
    api.ok("POST", "/api/jobs/JB-000001/bill", who="agent")  # INV-000001
    job_in_state(shared_api, "confirmed", tech="tech2")
    job_in_state(shared_api, "new")
    TOKEN[LOGIN] = api.token(LOGIN)
    yield api


@pytest.mark.parametrize(("operation", "mode"), CASES, ids=[f"{op.label} {m.value}" for op, m in CASES])
def test_operation_keeps_to_its_document(operation, mode, target: Api) -> None:
    base_url = target.base_url
    checks = POSITIVE_CHECKS if mode == GenerationMode.POSITIVE else NEGATIVE_CHECKS
    deadline = time.monotonic() + BUDGET
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode, auth_storage=AUTH))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case) -> None:
        if time.monotonic() > deadline:
            return
        response = case.call_and_validate(base_url=base_url, checks=checks, session=target.http)
        statuses.append(response.status_code)

    run()
    assert statuses, "no request was sent"
    if mode == GenerationMode.POSITIVE and DOCUMENT["paths"][operation.path][operation.method.lower()]["security"]:
        assert set(statuses) != {401}, "the token was never accepted"
