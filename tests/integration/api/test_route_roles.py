"""Generated from the route table itself (``backend.api.routes.all_routes``):

- every route that needs a login, called by every role it does not list and
  by nobody at all, is refused — 403 ``forbidden`` (401 ``unauthenticated``)
  — before any of its input is read, and nothing changes;
- every route that takes a record's reference and admits customers (or
  technicians), called by another customer (another technician) with an
  existing reference, answers 404 ``not_found``, and nothing changes.

A new route is covered the day it is declared. One world and one database
serve the whole module: each call here is a refusal, and each test proves it
changed nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import String, cast, func, literal, select, union_all

from backend.api.routes import all_routes
from backend.api.routing import IDEMPOTENCY_HEADER, Route
from backend.api.schema import Arr, Bool, Date, DateTime, Enum, Field, Int, Obj, Ref, Str
from backend.coverage.service import send_renewal_reminders
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import SYSTEM, Actor
from backend.identity.models import Role
from backend.models import metadata

from tests.support.pictures import photo, signature

from .conftest import Api
from .flows import job_in_state, raise_job

ROUTES = all_routes()
ROLES = [str(r) for r in Role]
# Who logs in for each role in the role matrix: the owners of the records the
# calls name (Asha's jobs are assigned to tech1), so a call that slipped through
# would act on something real.
OWNER_LOGIN = {"customer": "asha", "agent": "agent", "technician": "tech1", "manager": "manager", "admin": "admin"}
# Who reaches for someone else's record: Ravi (Asha's), tech2 (tech1's).
INTRUDER = {"customer": "ravi", "technician": "tech2"}


def _label(route: Route) -> str:
    return f"{route.method} {route.path}"


# --- the cases, from the route table -------------------------------------------------------------

ROLE_CASES = [(route, role) for route in ROUTES if route.auth
              for role in [*(r for r in ROLES if r not in route.roles), None]]


def _takes_reference(route: Route) -> bool:
    return any(isinstance(f, Ref) or name.endswith("_ref") or name == "reference"
               for name, f in route.params.items())


OWNERSHIP_CASES = [(route, role) for route in ROUTES if route.auth and _takes_reference(route)
                   for role in INTRUDER if role in route.roles]


# --- a database fingerprint: row counts, and a hash of every state-like column ------------------

STATEFUL = re.compile(r"(^|_)(state|status)$|^(active|stock_qty|max_chats|balance|technician_id|scheduled_start"
                      r"|scheduled_end|ends_on|estimate_amount)$|(?<!created)_at$")


def _fingerprint_query():
    counts = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                      for t in metadata.sorted_tables])
    parts = []
    for t in metadata.sorted_tables:
        cols = [c for c in t.columns if STATEFUL.search(c.name) and not c.primary_key]
        if not cols:
            continue
        key = list(t.primary_key.columns) or list(t.columns)
        text = None
        for c in [*key, *cols]:
            piece = func.coalesce(cast(c, String), "~")
            text = piece if text is None else text + "|" + piece
        parts.append(select(literal(t.name).label("t"), text.label("v")))
    return counts, union_all(*parts)


COUNTS, STATES = _fingerprint_query()


def fingerprint(engine) -> dict[str, tuple[int, str]]:
    """Per table: its row count and a digest of its state-like columns (states,
    flags, stock, balances, assignments, timestamps of moves). Two queries."""
    with engine.connect() as conn:
        counts = conn.execute(COUNTS).one()._asdict()
        rows: dict[str, list[str]] = {}
        for table, value in conn.execute(STATES):
            rows.setdefault(table, []).append(value)
    return {name: (n, hashlib.sha256("\n".join(sorted(rows.get(name, []))).encode()).hexdigest()[:16])
            for name, n in counts.items()}


# --- plausible input, generated from each route's declared fields --------------------------------

def _slot(days: int, hour: int) -> str:
    return datetime.combine(date.today() + timedelta(days=days), time(hour), UTC).isoformat()


def _overrides(api: Api) -> dict[str, Any]:
    """Values by field name where a generic example would be refused or harmless."""
    w = api.world
    return {
        "technician_id": w.tech1, "customer_id": w.cust_a, "site_id": w.site_a, "party_id": w.cust_a,
        "serial": w.serial_uncovered, "serials": w.serial_amc, "part_sku": "P-PUMP", "code": "VISIT",
        "type_code": "AMC", "contract_type": "AMC", "sku": "P-NEW-1", "email": "new.user@example.test",
        "password": "long-enough-1", "rating": 5, "want": "service", "problem": "It stopped working",
        "as_of": "2100-01-01",  # the call: as a customer it expired every contract
        "start": _slot(30, 9), "end": _slot(30, 11), "preferred_at": _slot(30, 9),
        "starts_on": (date.today() + timedelta(days=1)).isoformat(),
        "ends_on": (date.today() + timedelta(days=366)).isoformat(),
        "amount": "10.00", "qty": "1", "change": "1", "passed": True, "direction": "reimburse",
        "attachment_id": None, "business_hours": "mon-fri 09:00-18:00", "max_chats": 3,
    }


def _candidates(f: Field, name: str, overrides: dict[str, Any]) -> list[Any]:
    out: list[Any] = [overrides[name]] if name in overrides else []
    if isinstance(f, Ref):
        out.append(f"{f.prefix}-000001")
    elif isinstance(f, Enum):
        out.append(f.choices[0])
    elif isinstance(f, Bool):
        out.append(True)
    elif isinstance(f, Int):
        out.append(max(f.minimum, 1))
    elif isinstance(f, DateTime):
        out.append(_slot(30, 9))
    elif isinstance(f, Date):
        out.append(date.today().isoformat())
    elif isinstance(f, Str):
        out += ["Plausible text", "X1", "ABC"]
    out += ["1", 1, "1.00", "x"]  # numbers given as strings (Money, Qty, signed quantities), then anything
    return out


def example(f: Field, name: str, overrides: dict[str, Any]) -> Any:
    """A value ``f`` accepts: an object with its required fields (and those
    with an override), a list of one, or the first acceptable candidate."""
    if isinstance(f, Obj):
        return {k: example(v, k, overrides) for k, v in f.fields.items() if v.required or k in overrides}
    if isinstance(f, Arr):
        return [example(f.item, name, overrides)]
    for value in _candidates(f, name, overrides):
        try:
            f.load(value, name)
        except DomainError:
            continue
        return value
    raise AssertionError(f"no example value for field {name!r} ({type(f).__name__}): add one to _overrides")


PATH_VALUES = {  # path parameter -> key in the refs fixture (as the records' owners see them)
    "job_ref": "job", "invoice_ref": "invoice", "ticket_ref": "ticket", "reference": "request",
    "contract_ref": "contract", "order_ref": "order", "repair_ref": "repair", "claim_ref": "claim",
    "advance_id": "advance", "line_id": "line", "technician_id": "tech1", "customer_id": "asha",
    "user_id": "agent_id", "party_id": "asha", "report_id": "payment_report", "photo_id": "photo",
    "visit_id": "visit", "site_id": "site", "contact_id": "contact", "serial": "serial",
}


def _path_value(route: Route, name: str, f: Field, refs: dict[str, Any]) -> str:
    if name == "code":
        return "AMC" if route.path.startswith("/api/contract-types") else "VISIT"
    if name == "sku":
        return "P-PUMP"
    if name == "party_type":
        return "customer"
    if name not in PATH_VALUES:
        pytest.fail(f"{_label(route)}: no value for path parameter {name!r}; add it to PATH_VALUES")
    return str(refs[PATH_VALUES[name]])


def plausible(route: Route, refs: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """requests keyword arguments for a call that would be acted on if allowed."""
    path = route.path
    for name, f in route.params.items():
        path = path.replace("{" + name + "}", _path_value(route, name, f, refs))
    kw: dict[str, Any] = {"url": path}
    query = {k: str(example(f, k, overrides)).lower() if isinstance(f, Bool) else str(example(f, k, overrides))
             for k, f in route.query.items() if f.required}
    if query:
        kw["params"] = query
    if route.body is not None:
        body = example(route.body, "", overrides)
        route.body.parse(body)  # the generator's own check: the body gets past parsing
        kw["json"] = body
    if route.upload:  # a file the route accepts: a photo, or a drawn signature
        kw["files"] = {"file": ("signature.png", signature(), "image/png") if route.path.endswith("/signature")
                       else ("photo.jpg", photo(), "image/jpeg")}
    if route.idempotent:
        kw["headers"] = {IDEMPOTENCY_HEADER: f"route-roles-{route.name}"}
    return kw


def junk(route: Route) -> dict[str, Any]:
    """Every part of the request wrong: parsed first, each would be a 422."""
    path = route.path
    for name in route.params:
        path = path.replace("{" + name + "}", "no such thing")
    kw: dict[str, Any] = {"url": path, "params": {"junk": "1"}}
    if route.body is not None or route.upload:
        kw["json"] = {"junk": [1, 2, 3]}
    if route.idempotent:
        kw["headers"] = {IDEMPOTENCY_HEADER: "not a valid key!"}
    return kw


# --- one world of records, built once ------------------------------------------------------------

@pytest.fixture(scope="module")
def refs(shared_api: Api) -> dict[str, Any]:
    """Asha's records of every kind (her jobs assigned to tech1), in states where
    the owner could act on them."""
    api, w = shared_api, shared_api.world
    r: dict[str, Any] = {"asha": w.cust_a, "tech1": w.tech1}
    r["job"] = job_in_state(api, "in_progress")  # tech1: parts, resolve, claims are open
    r["resolved_job"] = job_in_state(api, "resolved")  # estimate waiting: accept, reject, feedback are open
    r["request"] = api.ok("GET", f"/api/requests/{r['job']}", who="asha")["number"]
    billed = job_in_state(api, "resolved")
    api.ok("POST", f"/api/jobs/{billed}/estimate/accept", who="asha")
    r["invoice"] = api.ok("POST", f"/api/jobs/{billed}/bill", who="agent")["invoice_number"]
    r["ticket"] = raise_job(api, want="question", problem="How do I clean the filter?")["ticket_number"]
    r["contract"] = "CT-000001"  # the world's: Asha's active AMC
    r["site"], r["serial"] = w.site_a, w.serial_uncovered  # Asha's
    r["contact"] = api.ok("POST", f"/api/customers/{w.cust_a}/contacts", who="agent", status=201,
                          json={"name": "Asha's son", "email": "son@asha.example"})["id"]
    r["visit"] = api.ok("POST", f"/api/contracts/{r['contract']}/plan/visits", who="agent", status=201,
                        json={"due_on": (date.today() + timedelta(days=10)).isoformat()})["visits"][0]["id"]
    r["order"] = api.ok("POST", "/api/orders", who="agent", status=201,
                        json={"customer_id": w.cust_a, "description": "Two visits",
                              "lines": [{"code": "VISIT", "qty": 1}]})["number"]
    repair = api.ok("POST", "/api/repairs", who="agent", status=201,
                    json={"customer_id": w.cust_a, "item_description": "Mixer", "fault": "Noisy"})["number"]
    api.ok("POST", f"/api/repairs/{repair}/assign", who="agent", json={"technician_id": w.tech1})
    api.ok("POST", f"/api/repairs/{repair}/estimate", who="tech1", json={"lines": [{"code": "VISIT", "qty": 1}]})
    r["repair"] = repair  # estimate_sent, tech1's
    claim = api.ok("POST", f"/api/jobs/{r['job']}/expense-claims", who="tech1", status=201,
                   json={"lines": [{"category": "travel", "description": "Auto", "amount": "80"}]})
    r["claim"], r["line"] = claim["number"], claim["lines"][0]["id"]
    confirmed = job_in_state(api, "confirmed")
    r["advance"] = api.ok("POST", f"/api/jobs/{confirmed}/advances", who="tech1", status=201,
                          json={"amount": "500", "purpose": "Bus fare"})["id"]
    r["agent_id"] = api.ok("GET", "/api/users?role=agent", who="admin")[0]["id"]
    r["photo"] = api.ok("POST", f"/api/jobs/{r['job']}/photos", who="tech1", status=201, params={"kind": "before"},
                        files={"file": ("before.jpg", photo((10, 200, 10)), "image/jpeg")})["id"]
    from backend.banking.payment_reports import report_payment
    from backend.banking.paylinks import PayLinks

    links = PayLinks("test-secret")  # Asha's "I have paid" on her invoice's payment page
    r["payment_report"] = report_payment(api.uow, token=links.token(r["invoice"]), utr="310000000001", amount="1",
                                         links=links).id
    for login in {*OWNER_LOGIN.values(), *INTRUDER.values()}:
        api.token(login)  # log everyone in now: logging in is not what the tests look at
    return r


@pytest.fixture(scope="module")
def overrides(shared_api: Api) -> dict[str, Any]:
    return _overrides(shared_api)


def _call(api: Api, method: str, who: str | None, kw: dict[str, Any]):
    kw = dict(kw)
    return api.call(method, kw.pop("url"), who=who, **kw)


def _error(r) -> tuple[int, str | None]:
    body = r.json()
    return r.status_code, body["error"]["code"] if isinstance(body, dict) and "error" in body else None


# --- the tests -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("route", "role"), ROLE_CASES,
                         ids=[f"{_label(route)} as {role or 'anonymous'}" for route, role in ROLE_CASES])
def test_a_role_the_route_does_not_list_is_refused_first(shared_api: Api, refs, overrides, route: Route,
                                                         role: str | None) -> None:
    api = shared_api
    who = OWNER_LOGIN[role] if role else None
    expected = (403, "forbidden") if role else (401, "unauthenticated")
    before = fingerprint(api.engine)
    # every input wrong: the refusal still names the role, not a field
    bad = _call(api, route.method, who, junk(route))
    assert _error(bad) == expected, bad.text
    # every input right: still refused
    good = _call(api, route.method, who, plausible(route, refs, overrides))
    assert _error(good) == expected, good.text
    assert fingerprint(api.engine) == before, "a refused call changed the database"
    if role:
        details = good.json()["error"]["details"]
        assert details == {"role": role, "allowed": list(route.roles)}


@pytest.mark.parametrize(("route", "role"), OWNERSHIP_CASES,
                         ids=[f"{_label(route)} as another {role}" for route, role in OWNERSHIP_CASES])
def test_someone_elses_record_is_not_found(shared_api: Api, refs, overrides, route: Route, role: str) -> None:
    api = shared_api
    kw = plausible(route, {**refs, "job": refs["resolved_job"]} if role == "customer" else refs, overrides)
    before = fingerprint(api.engine)
    r = _call(api, route.method, INTRUDER[role], kw)
    assert _error(r) == (404, "not_found"), r.text
    assert fingerprint(api.engine) == before, "a refused call changed the database"


def test_the_tables_cover_every_kind_of_route() -> None:
    """The generated cases are not empty by accident."""
    labels = {(_label(route), role) for route, role in ROLE_CASES}
    assert ("POST /api/contracts/renewal-reminders", "customer") in labels
    assert ("POST /api/jobs/{job_ref}/confirm", "admin") in labels
    assert ("GET /api/me", None) in labels
    assert not any(route.path == "/api/health" for route, _ in ROLE_CASES)
    owned = {(_label(route), role) for route, role in OWNERSHIP_CASES}
    assert {("POST /api/jobs/{job_ref}/feedback", "customer"), ("POST /api/repairs/{repair_ref}/start", "technician"),
            ("GET /api/expense-claims/{claim_ref}", "technician"), ("GET /api/invoices/{invoice_ref}", "customer"),
            ("POST /api/contracts/{contract_ref}/renew", "customer"), ("GET /api/orders/{order_ref}", "customer"),
            } <= owned


def test_the_document_names_the_roles_and_the_403(shared_api: Api) -> None:
    doc = shared_api.ok("GET", "/api/openapi.json")
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        if route.auth:
            assert op["x-roles"] == list(route.roles) and {"401", "403"} <= set(op["responses"]), _label(route)
        else:
            assert "x-roles" not in op and op["security"] == [], _label(route)


def test_a_customer_cannot_expire_the_contracts(shared_api: Api, refs) -> None:
    """Issue 17: the renewal run as a customer, through the API and in the core."""
    api = shared_api
    before = fingerprint(api.engine)
    r = api.post("/api/contracts/renewal-reminders", who="asha", json={"as_of": "2100-01-01"})
    assert _error(r) == (403, "forbidden")
    assert api.ok("GET", f"/api/contracts/{refs['contract']}", who="asha")["state"] == "active"
    for role in (Role.CUSTOMER, Role.TECHNICIAN):
        with pytest.raises(DomainError) as refused:
            send_renewal_reminders(api.uow, Actor(role, 1, refs["asha"] if role == Role.CUSTOMER else None),
                                   as_of=date(2100, 1, 1))
        assert refused.value.code == ErrorCode.FORBIDDEN
    assert fingerprint(api.engine) == before
    # staff and the daily run may; nothing is due in a year's time here
    assert send_renewal_reminders(api.uow, Actor(Role.AGENT, 1), as_of=date.today()).expired == []
    assert send_renewal_reminders(api.uow, SYSTEM, as_of=date.today()).expired == []
