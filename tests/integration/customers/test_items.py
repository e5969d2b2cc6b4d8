"""Installed items: registered by staff or by the customer themself, with the
manufacturer's warranty from the product's terms, which the entitlement check
counts at once; every refusal with its code and nothing changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.catalog import items
from backend.catalog import service as catalog
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.intake import service as intake
from tests.factories import BOB_SERIAL

from .conftest import snapshot


def _refused(uow, fn, *args, **kwargs) -> DomainError:
    before = snapshot(uow)
    with pytest.raises(DomainError) as exc:
        fn(uow, *args, **kwargs)
    assert snapshot(uow) == before, "a refusal changed something"
    return exc.value


def test_a_customer_registers_a_new_ac_and_is_covered_by_its_warranty_at_once(uow, world):
    bought = world.today - timedelta(days=10)
    item = items.register_item(uow, world.bob, product_sku="wm", serial=" wm 2026 x1 ", purchased_on=bought,
                               site_id=world.bob_site)
    assert (item.serial, item.customer_id, item.site_id, item.purchased_on) == (
        "WM2026X1", world.bob.customer_id, world.bob_site, bought)
    assert item.warranty_until == items.add_months(bought, 12) - timedelta(days=1)

    cover = intake.check_entitlement(uow, world.bob, serial="WM2026X1")
    assert (cover.covered, cover.cover, cover.covers_parts) == (True, "MANUFACTURER_WARRANTY", True)
    req = intake.raise_request(uow, world.bob, want="service", problem="drum does not turn", serial="WM2026X1")
    assert (req.entitlement.covered, req.entitlement.cover, req.job_number is not None) == (
        True, "MANUFACTURER_WARRANTY", True)

    with uow() as s:
        [row] = s.scalars(select(StateChange).where(StateChange.entity_type == "item",
                                                    StateChange.entity_id == item.id)).all()
    assert row.to_state == "registered" and "WM2026X1" in row.note and "C-B" in row.note


def test_a_serial_is_found_however_the_caller_types_it_and_a_deactivated_item_has_no_cover(uow, world):
    items.register_item(uow, world.bob, product_sku="wm", serial="WM2026X2",
                        purchased_on=world.today - timedelta(days=10), site_id=world.bob_site)
    assert intake.check_entitlement(uow, world.bob, serial=" wm2026x2 ").cover == "MANUFACTURER_WARRANTY"
    req = intake.raise_request(uow, world.bob, want="service", problem="leaks", serial="wm 2026 x2")
    assert req.entitlement.cover == "MANUFACTURER_WARRANTY"

    items.deactivate_item(uow, world.bob, serial="WM2026X2", reason="sold the machine")
    cover = intake.check_entitlement(uow, world.bob, serial="WM2026X2")
    assert (cover.known_item, cover.covered) == (False, False)
    req = intake.raise_request(uow, world.bob, want="service", problem="leaks again", serial="WM2026X2")
    assert not req.entitlement.covered  # a job billed after the visit, not a warranty job


def test_the_warranty_runs_from_installation_when_there_is_no_purchase_date(uow, world):
    installed = world.today - timedelta(days=400)
    item = items.register_item(uow, world.agent, customer_id=world.alice.customer_id, product_sku="WM",
                               serial="WM-OLD-9", installed_on=installed)
    assert item.warranty_until == items.add_months(installed, 12) - timedelta(days=1)
    assert intake.check_entitlement(uow, world.agent, serial="WM-OLD-9").covered is False


def test_add_months_keeps_the_day_or_the_months_last():
    assert items.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert items.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert items.add_months(date(2025, 11, 15), 14) == date(2027, 1, 15)


def test_a_serial_already_installed_is_refused_naming_its_owner_to_staff(uow, world):
    err = _refused(uow, items.register_item, world.agent, customer_id=world.alice.customer_id, product_sku="WM",
                   serial=BOB_SERIAL.lower())
    assert err.code == ErrorCode.DUPLICATE
    assert err.details["existing"] == "C-B" and err.details["field"] == "serial"
    assert f"serial {BOB_SERIAL} is already installed for C-B Bob" in err.message


def test_a_customer_is_not_told_who_owns_a_serial(uow, world):
    err = _refused(uow, items.register_item, world.alice, product_sku="WM", serial=BOB_SERIAL)
    assert err.code == ErrorCode.DUPLICATE and "existing" not in err.details and "Bob" not in err.message


def test_a_deactivated_items_serial_can_be_registered_to_its_new_owner(uow, world):
    items.deactivate_item(uow, world.agent, serial=BOB_SERIAL, reason="sold to Alice")
    moved = items.register_item(uow, world.agent, customer_id=world.alice.customer_id, product_sku="WM",
                                serial=BOB_SERIAL, site_id=world.alice_site)
    assert (moved.customer_id, moved.active) == (world.alice.customer_id, True)
    assert BOB_SERIAL not in [i.serial for i in catalog.list_items(uow, world.bob)]


@pytest.mark.parametrize("kwargs, field, reason", [
    ({"product_sku": "FRIDGE-9"}, "product_sku", "unknown_product"),
    ({"site_id": "bob"}, "site_id", "not_this_customers_site"),
    ({"purchased_on": "tomorrow"}, "purchased_on", "future_date"),
    ({"installed_on": "tomorrow"}, "installed_on", "future_date"),
    ({"purchased_on": "today", "installed_on": "last week"}, "installed_on", "installed_before_purchase"),
    ({"serial": "AC#1"}, "serial", "bad_serial"),
])
def test_bad_input_is_refused(uow, world, kwargs, field, reason):
    days = {"tomorrow": world.today + timedelta(days=1), "today": world.today,
            "last week": world.today - timedelta(days=7)}
    args = {"product_sku": "WM", "serial": "NEW-1", **kwargs}
    args = {k: world.bob_site if v == "bob" else days.get(v, v) for k, v in args.items()}
    err = _refused(uow, items.register_item, world.agent, customer_id=world.alice.customer_id, **args)
    assert err.code == ErrorCode.INVALID_INPUT
    assert (err.details["field"], err.details["reason"]) == (field, reason)


def test_a_customer_registers_only_for_themself(uow, world):
    err = _refused(uow, items.register_item, world.alice, customer_id=world.bob.customer_id, product_sku="WM",
                   serial="NEW-2")
    assert err.code == ErrorCode.FORBIDDEN
    err = _refused(uow, items.register_item, world.tech, customer_id=world.bob.customer_id, product_sku="WM",
                   serial="NEW-2")
    assert err.code == ErrorCode.FORBIDDEN


def test_an_item_moves_site_and_its_warranty_follows_a_corrected_date(uow, world):
    item = items.register_item(uow, world.agent, customer_id=world.alice.customer_id, product_sku="WM",
                               serial="WM-MOVE-1", purchased_on=world.today - timedelta(days=500))
    assert intake.check_entitlement(uow, world.agent, serial="WM-MOVE-1").covered is False
    fixed = items.update_item(uow, world.agent, serial="WM-MOVE-1", site_id=world.alice_site,
                              purchased_on=world.today - timedelta(days=30))
    assert fixed.site_id == world.alice_site and fixed.warranty_until > world.today
    assert intake.check_entitlement(uow, world.agent, serial="WM-MOVE-1").covered is True
    err = _refused(uow, items.update_item, world.agent, serial="WM-MOVE-1", site_id=world.bob_site)
    assert err.details["reason"] == "not_this_customers_site"
    err = _refused(uow, items.update_item, world.bob, serial="WM-MOVE-1", site_id=world.alice_site)
    assert err.code == ErrorCode.NOT_FOUND  # someone else's item
    assert item.id == fixed.id


def test_deactivating_twice_is_already_done(uow, world):
    items.deactivate_item(uow, world.bob, serial=BOB_SERIAL, reason="scrapped")
    err = _refused(uow, items.deactivate_item, world.agent, serial=BOB_SERIAL, reason="scrapped")
    assert err.code == ErrorCode.ALREADY_DONE


def test_registering_twice_with_one_key_registers_once(uow, world):
    first = items.register_item(uow, world.bob, product_sku="WM", serial="WM-KEY-1", idempotency_key="form-1")
    again = items.register_item(uow, world.bob, product_sku="WM", serial="WM-KEY-1", idempotency_key="form-1")
    assert (again.id, again.created) == (first.id, False)


def test_the_customers_history_holds_record_site_contact_and_item_changes(uow, world):
    from backend.customers import service as customers

    made = customers.create_customer(uow, world.agent, name="Kiran", mobile="9822233344", address="9 Lake Rd")
    customers.add_contact(uow, world.agent, customer_id=made.id, name="Kiran's son", email="son@example.com")
    items.register_item(uow, world.agent, customer_id=made.id, product_sku="TV", serial="TV-K-1",
                        site_id=made.sites[0].id)
    changes = items.customer_history(uow, world.agent, customer_id=made.id)
    assert [(c.entity_type, c.change) for c in changes] == [("item", "registered"), ("contact", "created"),
                                                            ("site", "created"), ("customer", "created")]
    with pytest.raises(DomainError) as exc:
        items.customer_history(uow, world.alice, customer_id=made.id)
    assert exc.value.code == ErrorCode.FORBIDDEN
