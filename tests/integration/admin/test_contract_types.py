"""Contract types as data: add, edit, retire and restore; a type in use
cannot be deleted; a retired type takes no new inquiry or offer."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from backend.coverage import service as contracts
from backend.coverage import types
from backend.errors import DomainError
from backend.history import service as history
from tests.factories import BOB_SERIAL


def fresh_code() -> str:
    # coverage_types is reference data: not emptied between PostgreSQL tests
    return f"T_{uuid.uuid4().hex[:10].upper()}"


def refused(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value


def test_admin_adds_and_edits_a_type_and_it_is_listed_with_its_use(uow, world):
    code = fresh_code()
    made = types.create_coverage_type(uow, world.admin, code=code.lower(), name="Gold plus", covers_labour=True,
                                      covers_parts=True, visits_per_year=6)
    assert (made.code, made.covers_parts, made.visits_per_year, made.active, made.contracts) == (code, True, 6, True, 0)
    edited = types.edit_coverage_type(uow, world.admin, code=code, covers_parts=False, visits_per_year=2)
    assert (edited.name, edited.covers_parts, edited.visits_per_year) == ("Gold plus", False, 2)
    listed = {t.code: t for t in types.list_coverage_types(uow, world.agent)}
    assert listed["AMC"].contracts == 1 and listed["CMC"].contracts == 1 and listed[code].contracts == 0
    notes = [(c.change, c.note) for c in history.recent_changes(uow, world.admin, kinds=["coverage_type"])
             if code in c.note]
    assert [n[0] for n in notes] == ["edited", "created"]
    assert "covers_parts True → False" in notes[0][1] and "visits_per_year 6 → 2" in notes[0][1]


def test_a_type_in_use_cannot_be_deleted_but_can_be_retired_and_restored(uow, world, snapshot):
    before = snapshot()
    err = refused(types.delete_coverage_type, uow, world.admin, code="AMC")
    assert (err.code, err.details["reason"], err.details["contracts"]) == ("conflict", "in_use", 1)
    assert snapshot() == before
    code = fresh_code()
    types.create_coverage_type(uow, world.admin, code=code, name="Silver")
    inquiry = contracts.open_inquiry(uow, world.agent, type_code=code, serials=[BOB_SERIAL],
                                     customer_id=world.bob.customer_id)
    assert refused(types.delete_coverage_type, uow, world.admin, code=code).details["reason"] == "in_use"
    assert types.retire_coverage_type(uow, world.admin, code=code).active is False
    assert refused(types.retire_coverage_type, uow, world.admin, code=code).code == "already_done"
    err = refused(contracts.open_inquiry, uow, world.agent, type_code=code, serials=[BOB_SERIAL],
                  customer_id=world.bob.customer_id)
    assert (err.code, err.details["field"], err.details["reason"]) == ("invalid_input", "type_code", "retired")
    err = refused(contracts.send_offer, uow, world.agent, contract_ref=inquiry.number, amount="1000",
                  starts_on=date.today(), ends_on=date.today() + timedelta(days=364))
    assert err.details["reason"] == "retired"
    assert code not in [t.code for t in types.list_coverage_types(uow, world.agent, include_retired=False)]
    assert types.restore_coverage_type(uow, world.admin, code=code).active is True


def test_an_offer_proposes_the_types_visits_unless_told_otherwise(uow, world):
    code = fresh_code()
    types.create_coverage_type(uow, world.admin, code=code, name="Quarterly", visits_per_year=3)
    inquiry = contracts.open_inquiry(uow, world.agent, type_code=code, serials=[BOB_SERIAL],
                                     customer_id=world.bob.customer_id)
    offered = contracts.send_offer(uow, world.agent, contract_ref=inquiry.number, amount="1000",
                                   starts_on=date.today(), ends_on=date.today() + timedelta(days=364))
    assert offered.offers[-1].visits_per_year == 3
    again = contracts.send_offer(uow, world.agent, contract_ref=inquiry.number, amount="1000", visits_per_year=5,
                                 starts_on=date.today(), ends_on=date.today() + timedelta(days=364))
    assert again.offers[-1].visits_per_year == 5


def test_a_type_nobody_used_can_be_deleted(uow, world):
    code = fresh_code()
    types.create_coverage_type(uow, world.admin, code=code, name="Short-lived")
    gone = types.delete_coverage_type(uow, world.admin, code=code)
    assert gone.code == code
    assert code not in [t.code for t in types.list_coverage_types(uow, world.admin)]
    assert [c.change for c in history.recent_changes(uow, world.admin, kinds=["coverage_type"])
            if code in c.note][:1] == ["deleted"]


def test_bad_types_are_refused_with_their_field_and_change_nothing(uow, world, snapshot):
    before = snapshot()
    for kwargs, code, field in [
        ({"code": "AMC", "name": "Again"}, "duplicate", "code"),
        ({"code": "a b", "name": "Spaces"}, "invalid_input", "code"),
        ({"code": "X", "name": "Too short"}, "invalid_input", "code"),
        ({"code": "GOOD_ONE", "name": ""}, "invalid_input", "name"),
        ({"code": "GOOD_ONE", "name": "Many", "visits_per_year": 53}, "invalid_input", "visits_per_year"),
        ({"code": "GOOD_ONE", "name": "Flag", "covers_parts": "yes"}, "invalid_input", "covers_parts"),
    ]:
        err = refused(types.create_coverage_type, uow, world.admin, **kwargs)
        assert (err.code, err.details.get("field")) == (code, field), kwargs
    err = refused(types.edit_coverage_type, uow, world.admin, code="AMC", visits_per_year=-1)
    assert err.details["field"] == "visits_per_year"
    assert refused(types.edit_coverage_type, uow, world.admin, code="NOPE", name="x").code == "not_found"
    assert snapshot() == before


@pytest.mark.parametrize("who", ["alice", "tech", "agent", "manager"])
def test_only_the_admin_changes_contract_types(uow, world, snapshot, who):
    actor = getattr(world, who)
    before = snapshot()
    for fn, kwargs in [(types.create_coverage_type, {"code": "NEW_T", "name": "New"}),
                       (types.edit_coverage_type, {"code": "AMC", "name": "Renamed"}),
                       (types.retire_coverage_type, {"code": "AMC"}),
                       (types.restore_coverage_type, {"code": "AMC"}),
                       (types.delete_coverage_type, {"code": "AMC"})]:
        assert refused(fn, uow, actor, **kwargs).code == "forbidden", fn.__name__
    assert snapshot() == before
    if who in ("alice", "tech"):
        assert refused(types.list_coverage_types, uow, actor).code == "forbidden"
