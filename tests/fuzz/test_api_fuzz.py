"""Property-based fuzzing of the HTTP API from its OpenAPI document.

The real app is served on a migrated SQLite database with the API tests'
world (two customers, two technicians, covered and uncovered items) plus a
billed job (JB-000001, INV-000001) and jobs in other states, so that the
documented examples reach real rows. Then, as each role (customer, agent,
technician, manager, admin) and anonymously:

* schemathesis' stateful mode (links inferred between operations) walks
  sequences of calls;
* every operation gets generated requests, valid and invalid.

Every answer must be below 500; every 4xx must carry ``{"error": {"code",
"message", "details"}}`` with a stable code; a refused request must leave
every table as it was. After the run the ledger balances and the outstanding
report equals the sum of the open invoices' total − receipts.

Bounds (see conftest): FUZZ_EXAMPLES examples per operation, role and mode,
FUZZ_BUDGET seconds per role; derandomised, so a run is repeatable.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from backend.api.openapi import build_document
from backend.api.routes import all_routes
from backend.db import make_engine
from backend.settings import Settings
from tests.integration.api.conftest import Api, serve
from tests.integration.api.flows import job_in_state

from .conftest import BUDGET, EXAMPLES, Guard, Tally, books_problems, check_error_body

DOCUMENT = build_document(all_routes(), upload_types=Settings().upload_types)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
NEGATABLE = {op.label for op in OPERATIONS
             if {"parameters", "requestBody"} & set(DOCUMENT["paths"][op.path][op.method.lower()])}
# Role name -> login of the test world (None: anonymous). Admin last: it may
# change users the others log in as.
ROLES = {"anonymous": None, "customer": "asha", "technician": "tech1", "agent": "agent",
         "manager": "manager", "admin": "admin"}


@dataclass
class Fuzz:
    api: Api
    guard: Guard
    tally: Tally
    failures: list[str] = field(default_factory=list)

    def headers(self, role: str, path: str) -> dict[str, str]:
        who = ROLES[role]
        if who is None or path == "/api/login":
            return {}
        return {"Authorization": f"Bearer {self.api.token(who)}"}

    def send(self, case, role: str):
        self.guard.before()
        auth = self.headers(role, case.operation.path)
        if auth:  # on the case itself: schemathesis may drop call-level headers
            case.headers = {**(case.headers or {}), **auth}
        response = case.call(base_url=self.api.base_url, session=self.api.http, timeout=60)
        self.judge(case, role, response)
        return response

    def judge(self, case, role: str, response) -> None:
        status = response.status_code
        code = ""
        problem = None
        if status >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            problem = check_error_body(status, body)
            if problem is None:
                code = body["error"]["code"]
        self.tally.count("api", role, status, code)
        if status >= 500:
            problem = f"server error {status}: {response.text[:300]}"
        elif 400 <= status < 500:
            changed = self.guard.changed_by_refusal()
            if changed:
                problem = f"refused ({status} {code}) but changed {changed}"
        elif status >= 300 or status < 200:
            problem = f"unexpected status {status}"
        if problem:
            self.failures.append(f"{role}: {case.operation.label}: {problem}\n    {repro(case)}")


def repro(case) -> str:
    parts = [case.method, case.formatted_path]
    if case.query:
        parts.append(f"query={case.query}")
    if case.body is not None and not isinstance(case.body, (bytes, bytearray)):
        try:
            parts.append("json=" + json.dumps(case.body, default=str)[:300])
        except (TypeError, ValueError):
            parts.append(f"body={case.body!r}"[:300])
    if case.headers:
        parts.append(f"headers={ {k: v for k, v in case.headers.items() if k != 'Authorization'} }")
    return " ".join(map(str, parts))


@pytest.fixture(scope="module")
def fuzz(sqlite_template, tmp_path_factory, tally) -> Iterator[Fuzz]:
    tmp = tmp_path_factory.mktemp("fuzz-api")
    path = tmp / "api.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with serve(engine, tmp) as api:
        job_in_state(api, "resolved")  # JB-000001, billable
        api.ok("POST", "/api/jobs/JB-000001/estimate/accept", who="asha")
        api.ok("POST", "/api/jobs/JB-000001/bill", who="agent")  # INV-000001
        job_in_state(api, "confirmed", tech="tech2")
        job_in_state(api, "new", who="ravi", serial=api.world.serial_cmc)
        job_in_state(api, "in_progress")
        for who in ROLES.values():
            if who:
                api.token(who)
        guard = Guard(path)
        yield Fuzz(api, guard, tally)
        guard.close()
    engine.dispose()


def _settings(n: int, **kw) -> settings:
    return settings(max_examples=n, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate], **kw)


@pytest.mark.parametrize("role", list(ROLES))
def test_stateful_workflows(role: str, fuzz: Fuzz) -> None:
    """schemathesis' stateful mode: sequences over the links it infers."""
    deadline = time.monotonic() + BUDGET / 3
    before = len(fuzz.failures)

    class Workflow(SCHEMA.as_state_machine()):
        def step(self, input):  # noqa: A002 - schemathesis' name
            if time.monotonic() > deadline:
                return None
            return super().step(input)

        def call(self, case, **kwargs):
            return fuzz.send(case, role)

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            pass  # judged in send: every failure is collected, none shrunk

    Workflow.run(settings=_settings(max(3, EXAMPLES * 3), stateful_step_count=8))
    assert fuzz.failures[before:] == [], "\n".join(fuzz.failures[before:])


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation(role: str, fuzz: Fuzz) -> None:
    """Every operation, valid and invalid requests, as this role."""
    cases = [(op, GenerationMode.POSITIVE) for op in OPERATIONS]
    cases += [(op, GenerationMode.NEGATIVE) for op in OPERATIONS if op.label in NEGATABLE]
    per_case = BUDGET / len(cases)
    before = len(fuzz.failures)
    for operation, mode in cases:
        deadline = time.monotonic() + per_case

        @given(case=operation.as_strategy(generation_mode=mode))
        @_settings(EXAMPLES)
        def run(case) -> None:
            if time.monotonic() > deadline:
                return
            fuzz.send(case, role)

        run()
    assert fuzz.failures[before:] == [], "\n".join(fuzz.failures[before:])


def test_books_balance_after_the_run(fuzz: Fuzz) -> None:
    problems = books_problems(fuzz.api.uow)
    assert problems == [], problems
    report = fuzz.api.ok("GET", "/api/reports/outstanding", who="manager")
    ledger_rows = fuzz.api.ok("GET", "/api/ledger/outstanding", who="manager")
    assert report["total"] is not None and ledger_rows is not None
