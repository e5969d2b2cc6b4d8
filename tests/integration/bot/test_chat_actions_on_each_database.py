"""The chat's renewal, repair-estimate answer, status of every reference kind
and item registration, run by the real actions on SQLite and PostgreSQL (the
row locks and sequences differ). No Rasa: the actions are called as the
action server calls them (tests/unit/actions holds every path on SQLite)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from actions import customer, items, runtime
from backend.catalog.models import Item, Product
from backend.coverage import service as contracts
from backend.coverage.models import Contract
from backend.intake.service import check_entitlement
from backend.orders import service as orders
from backend.repairs import service as repairs
from backend.settings import Settings
from tests.factories import BOB_SERIAL, build_world
from tests.unit.actions.helpers import SECRET, make_tracker, responses, run, said
from tests.unit.actions.test_contract_repair_item_actions import repair_with_estimate, running_contract


@pytest.fixture
def world(any_uow, tmp_path):
    w = build_world(any_uow)
    runtime.configure(runtime.Runtime(
        settings=Settings(var_dir=tmp_path, database_url="sqlite://", secret_key=SECRET, currency="INR"),
        uow=any_uow, zone=ZoneInfo("Asia/Kolkata"), searcher_factory=lambda: None))
    yield w
    runtime.configure(None)


def _count(uow, model) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_renewal_by_chat_links_the_new_contract_and_refuses_a_second(world, any_uow):
    old = running_contract(any_uow, world, world.bob, BOB_SERIAL)
    _, out = run(customer.ActionRenewContract(), make_tracker({}, actor=world.bob))
    renewal = said(out, "utter_renewal_started")["renewal_ref"]
    assert contracts.get_contract(any_uow, world.bob, contract_ref=renewal).renewal_of == old.number
    before = _count(any_uow, Contract)
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": old.number}, actor=world.bob))
    assert said(out, "utter_renewal_already_done")["renewal_ref"] == renewal
    assert _count(any_uow, Contract) == before


def test_status_of_repairs_contracts_and_orders_and_a_repair_estimate_approved(world, any_uow):
    ref = repair_with_estimate(any_uow, world)
    order = orders.create_service_order(any_uow, world.agent, customer_id=world.alice.customer_id,
                                        description="Install", lines=[{"code": "VISIT", "qty": 1}])
    for reference, response in ((ref, "utter_repair_status_estimate_sent"), (order.number, "utter_order_status_new"),
                                ("CT-000001", "utter_contract_status_active")):
        _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": reference}, actor=world.alice))
        assert responses(out) == [response]
    _, out = run(customer.ActionAcceptEstimate(), make_tracker({"reference": ref}, actor=world.bob))
    assert responses(out) == ["utter_error_not_found"]
    assert repairs.get_repair(any_uow, world.agent, repair_ref=ref).state == "estimate_sent"
    _, out = run(customer.ActionAcceptEstimate(), make_tracker({"reference": ref}, actor=world.alice))
    assert responses(out) == ["utter_repair_estimate_approved"]
    assert repairs.get_repair(any_uow, world.agent, repair_ref=ref).state == "approved"


def test_an_item_registered_by_chat_is_covered_and_a_taken_serial_changes_nothing(world, any_uow):
    with any_uow() as s:
        s.add(Product(sku="AC-15T", name="Split air conditioner 1.5 ton", category="air_conditioner",
                      warranty_months=12))
    bought = (date.today() - timedelta(days=10)).isoformat()
    slots = {"product": "AC-15T", "serial_number": "AC-12345", "purchase_date": bought}
    _, out = run(items.ActionRegisterItem(), make_tracker(slots, actor=world.alice))
    assert responses(out) == ["utter_item_registered_under_warranty"]
    assert check_entitlement(any_uow, world.alice, serial="AC-12345").cover == "MANUFACTURER_WARRANTY"
    before = _count(any_uow, Item)
    _, out = run(items.ActionRegisterItem(), make_tracker({**slots, "serial_number": BOB_SERIAL}, actor=world.alice))
    assert responses(out) == ["utter_item_serial_taken"]
    assert _count(any_uow, Item) == before
