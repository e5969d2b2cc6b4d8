"""Refusals: an inverted range, an unknown filter or grouping, a role that may
not read a report, someone else's records. Each refusal has its stable code
and changes nothing (the job-facts cache included)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backend.errors import DomainError, ErrorCode
from backend.models import metadata
from backend.reports.registry import REPORTS

from .fixture import END, START, March

NEEDS = {"journey": lambda w: {"request": w.requests["J1"]},
         "statement": lambda w: {"party_id": w.customers["asha"]}}
GROUPINGS = {"cash-flow": "by", "job-expense": "by", "feedback": "by", "pnl": "by"}
MANAGER_ONLY = {"scoreboard", "offer-pipeline", "order-pipeline", "sales-register", "gst-summary", "cash-flow", "job-expense",
                "visit-reports", "parts-used", "feedback", "extra-billing", "pnl", "collections-by-channel"}
AGENT_TOO = {"dashboard", "kanban", "journey", "appointment-calendar", "jobs-calendar", "repair-calendar",
             "outstanding", "statement", "cash-in-hand", "deposits", "unreconciled"}


def snapshot(uow) -> dict[str, list[tuple]]:
    with uow() as s:
        return {t.name: [tuple(map(str, r)) for r in s.execute(select(t).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables}


def refused(code: ErrorCode, fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    return caught.value


def test_every_report_is_in_exactly_one_access_group():
    assert MANAGER_ONLY | AGENT_TOO == set(REPORTS) and not MANAGER_ONLY & AGENT_TOO


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_bad_input_is_refused_with_a_stable_code_and_changes_nothing(any_uow, march: March, name: str):
    fn, extra = REPORTS[name], NEEDS.get(name, lambda w: {})(march)
    before = snapshot(any_uow)
    err = refused(ErrorCode.INVALID_INPUT, fn, any_uow, march.manager, start=END, end=START, **extra)
    assert err.details["field"] == "start"
    err = refused(ErrorCode.INVALID_INPUT, fn, any_uow, march.manager, start=START, end=END, colour="red", **extra)
    assert err.details["field"] == "colour"
    err = refused(ErrorCode.INVALID_INPUT, fn, any_uow, march.manager, start=date(1990, 1, 1), end=END, **extra)
    assert err.details["field"] == "start"
    err = refused(ErrorCode.INVALID_INPUT, fn, any_uow, march.manager, start="31/03/2025", **extra)
    assert err.details["field"] == "start"
    if name in GROUPINGS:
        err = refused(ErrorCode.INVALID_INPUT, fn, any_uow, march.manager, start=START, end=END, by="colour", **extra)
        assert err.details["field"] == "by"
    assert snapshot(any_uow) == before


def test_other_bad_filters(any_uow, march: March):
    r = {"start": START, "end": END}
    for fn, kwargs, field in [
        (REPORTS["pnl"], {"labour_rate": "-1"}, "labour_rate"),
        (REPORTS["pnl"], {"labour_rate": "12.345"}, "labour_rate"),
        (REPORTS["pnl"], {"limit": 0}, "limit"),
        (REPORTS["kanban"], {"cards": 500}, "cards"),
        (REPORTS["sales-register"], {"source_type": "gift"}, "source_type"),
        (REPORTS["cash-flow"], {"account": "petty"}, "account"),
        (REPORTS["scoreboard"], {"technician_id": "T1"}, "technician_id"),
        (REPORTS["journey"], {}, "request"),
        (REPORTS["statement"], {"party_type": "supplier", "party_id": 1}, "party_type"),
        (REPORTS["appointment-calendar"], {"start": date(2025, 1, 1), "end": date(2025, 6, 30)}, "end"),
    ]:
        err = refused(ErrorCode.INVALID_INPUT, fn, any_uow, march.manager, **{**r, **kwargs})
        assert err.details["field"] == field, (fn.__name__, kwargs)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_who_may_read_each_report(any_uow, march: March, name: str):
    fn, extra = REPORTS[name], NEEDS.get(name, lambda w: {})(march)
    r = {"start": START, "end": END, **extra}
    fn(any_uow, march.manager, **r)
    fn(any_uow, march.admin, **r)
    if name in AGENT_TOO:
        fn(any_uow, march.agent, **r)
    else:
        refused(ErrorCode.FORBIDDEN, fn, any_uow, march.agent, **r)
    if name not in ("journey", "outstanding", "statement"):
        refused(ErrorCode.FORBIDDEN, fn, any_uow, march.asha, **r)
    if name != "statement":  # a technician may read their own advances account, nothing else
        refused(ErrorCode.FORBIDDEN, fn, any_uow, march.t1, **r)


def test_customers_see_only_their_own(any_uow, march: March):
    r = {"start": START, "end": END}
    refused(ErrorCode.NOT_FOUND, REPORTS["journey"], any_uow, march.ravi, request=march.requests["J1"])
    refused(ErrorCode.FORBIDDEN, REPORTS["statement"], any_uow, march.ravi, party_id=march.customers["asha"], **r)
    assert [row.customer for row in REPORTS["outstanding"](any_uow, march.ravi, **r).rows] == ["Ravi"]
    # asking for someone else's ageing is refused, not silently narrowed
    refused(ErrorCode.FORBIDDEN, REPORTS["outstanding"], any_uow, march.ravi, customer_id=march.customers["asha"], **r)
    refused(ErrorCode.FORBIDDEN, REPORTS["statement"], any_uow, march.t2, party_type="technician",
            party_id=march.t1.user_id, **r)
