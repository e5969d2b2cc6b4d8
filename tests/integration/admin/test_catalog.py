"""The admin's catalog: products, parts with prices, cost, reorder level and
stock adjustments, the labour price list — checked before anything is
written, every change in the history, stock never negative nor lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from backend.catalog import admin
from backend.catalog import service as catalog
from backend.errors import DomainError
from backend.history import service as history
from backend.jobs import service as jobs


def refused(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value


def test_admin_adds_and_edits_a_part_and_the_history_says_who_changed_what(uow, world):
    made = admin.create_part(uow, world.admin, sku="P-FAN-12", name="Fan motor 12 W", unit_price="850.00",
                             unit_cost="510.50", reorder_level="2", opening_stock="3")
    assert (made.unit_price, made.unit_cost, made.stock_qty, made.to_reorder) == (
        Decimal("850.00"), Decimal("510.50"), Decimal("3.000"), False)
    edited = admin.edit_part(uow, world.manager, sku="P-FAN-12", unit_price=Decimal(900), reorder_level="3")
    assert (edited.unit_price, edited.reorder_level, edited.to_reorder, edited.name) == (
        Decimal("900.00"), Decimal("3.000"), True, "Fan motor 12 W")
    assert "P-FAN-12" in [p.sku for p in catalog.list_parts(uow, world.tech)]  # technicians see it at once
    assert [p.sku for p in admin.list_part_records(uow, world.admin, to_reorder=True)] == ["P-FAN-12"]
    trail = history.recent_changes(uow, world.admin, kinds=["part"])
    assert [(c.change, c.by) for c in trail] == [("edited", "Manager"), ("created", "Admin")]
    assert "unit_price 850 → 900" in trail[0].note and "reorder_level 2 → 3" in trail[0].note
    assert "P-FAN-12" in trail[1].note and "opening stock 3" in trail[1].note


def test_an_edit_that_changes_nothing_writes_no_history(uow, world):
    admin.edit_part(uow, world.admin, sku="P-PUMP", unit_price="1000.00", name="P-PUMP")
    assert history.recent_changes(uow, world.admin, kinds=["part"]) == []


def test_products_and_the_price_list(uow, world):
    p = admin.create_product(uow, world.admin, sku="AC-18", name="Split AC 1.5 t", category="air_conditioner",
                             warranty_months=24)
    assert p.warranty_months == 24
    admin.edit_product(uow, world.admin, sku="AC-18", warranty_months=36, name="Split AC 1.5 ton")
    assert ("AC-18", "Split AC 1.5 ton", 36) in [(x.sku, x.name, x.warranty_months)
                                                 for x in catalog.list_products(uow, world.alice)]
    admin.create_service_charge(uow, world.admin, code="NIGHT", name="Night visit", unit_price="750")
    admin.edit_service_charge(uow, world.manager, code="VISIT", unit_price="550.00")
    charges = {c.code: c.unit_price for c in catalog.list_service_charges(uow, world.agent)}
    assert charges == {"NIGHT": Decimal("750.00"), "VISIT": Decimal("550.00")}
    kinds = [c.entity_type for c in history.recent_changes(uow, world.admin, kinds=["product", "service_charge"])]
    assert kinds == ["service_charge", "service_charge", "product", "product"]


BAD_PARTS = [
    ({"sku": "P-PUMP"}, "duplicate", "sku"),
    ({"sku": "p-pump"}, "duplicate", "sku"),  # numbers do not differ by case alone
    ({"sku": "has space"}, "invalid_input", "sku"),
    ({"name": "  "}, "invalid_input", "name"),
    ({"unit_price": "-1.00"}, "invalid_input", "unit_price"),
    ({"unit_cost": "abc"}, "invalid_input", "unit_cost"),
    ({"unit_price": "10.005"}, "invalid_input", "unit_price"),
    ({"tax_rate": "101"}, "invalid_input", "tax_rate"),
    ({"reorder_level": "-2"}, "invalid_input", "reorder_level"),
    ({"opening_stock": "NaN"}, "invalid_input", "opening_stock"),
]


@pytest.mark.parametrize(("bad", "code", "field"), BAD_PARTS, ids=[f"{c}-{f}" for _b, c, f in BAD_PARTS])
def test_a_bad_part_is_refused_with_its_field_and_changes_nothing(uow, world, snapshot, bad, code, field):
    before = snapshot()
    good = {"sku": "P-NEW", "name": "New part", "unit_price": "10.00", "unit_cost": "5.00"}
    err = refused(admin.create_part, uow, world.admin, **{**good, **bad})
    assert (err.code, err.details.get("field")) == (code, field)
    assert snapshot() == before


def test_bad_edits_are_refused_before_anything_is_written(uow, world, snapshot):
    before = snapshot()
    cases = [
        (admin.edit_part, {"sku": "P-PUMP", "name": "Pump", "unit_price": "-5"}, "invalid_input", "unit_price"),
        (admin.edit_part, {"sku": "P-NONE", "unit_price": "5"}, "not_found", None),
        (admin.edit_product, {"sku": "WM", "warranty_months": -1}, "invalid_input", "warranty_months"),
        (admin.create_product, {"sku": "wm", "name": "Again", "category": "x"}, "duplicate", "sku"),
        (admin.create_service_charge, {"code": "VISIT", "name": "Again", "unit_price": "1"}, "duplicate", "code"),
        (admin.edit_service_charge, {"code": "VISIT", "name": "Visit", "unit_price": "-0.01"}, "invalid_input",
         "unit_price"),
        (admin.adjust_stock, {"sku": "P-PUMP", "change": "0", "reason": "count"}, "invalid_input", "change"),
        (admin.adjust_stock, {"sku": "P-PUMP", "change": "2", "reason": " "}, "invalid_input", "reason"),
        (admin.adjust_stock, {"sku": "P-PUMP", "change": "-5.001", "reason": "broken"}, "out_of_stock", "change"),
    ]
    for fn, kwargs, code, field in cases:
        err = refused(fn, uow, world.admin, **kwargs)
        assert (err.code, err.details.get("field")) == (code, field), (fn.__name__, kwargs)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["alice", "tech", "agent"])
def test_customers_technicians_and_agents_may_not_change_the_catalog(uow, world, snapshot, who):
    actor = getattr(world, who)
    before = snapshot()
    for fn, kwargs in [
        (admin.create_part, {"sku": "P-X", "name": "X", "unit_price": "1", "unit_cost": "1"}),
        (admin.edit_part, {"sku": "P-PUMP", "unit_price": "1"}),
        (admin.adjust_stock, {"sku": "P-PUMP", "change": "10", "reason": "found"}),
        (admin.create_product, {"sku": "X", "name": "X", "category": "x"}),
        (admin.edit_product, {"sku": "WM", "name": "Y"}),
        (admin.create_service_charge, {"code": "X", "name": "X", "unit_price": "1"}),
        (admin.edit_service_charge, {"code": "VISIT", "unit_price": "1"}),
        (admin.list_part_records, {}),
        (admin.get_part_record, {"sku": "P-PUMP"}),
        (admin.get_product_record, {"sku": "WM"}),
        (admin.get_service_charge, {"code": "VISIT"}),
        (history.recent_changes, {"kinds": ["part"]}),
    ]:
        assert refused(fn, uow, actor, **kwargs).code == "forbidden", fn.__name__
    assert snapshot() == before


def test_stock_adjustments_add_and_take_with_a_reason_and_never_below_zero(uow, world):
    assert admin.adjust_stock(uow, world.admin, sku="P-PUMP", change="10", reason="goods received GRN-7").stock_qty \
        == Decimal(15)
    assert admin.adjust_stock(uow, world.admin, sku="P-PUMP", change=Decimal("-14.5"), reason="damaged in store") \
        .stock_qty == Decimal("0.5")
    err = refused(admin.adjust_stock, uow, world.admin, sku="P-PUMP", change="-1", reason="lost")
    assert err.code == "out_of_stock" and err.details["in_stock"] == "0.500"
    assert jobs.stock_of(uow, sku="P-PUMP") == Decimal("0.5")
    notes = [c.note for c in history.recent_changes(uow, world.admin, kinds=["part"])]
    assert notes == ["P-PUMP: -14.5 (15 → 0.5): damaged in store", "P-PUMP: +10 (5 → 15): goods received GRN-7"]


def test_concurrent_adjustments_all_count(uow, world):
    """Forty adjustments from eight threads at once: none is lost (row lock)."""
    changes = ["3", "-1"] * 20

    def adjust(change):
        return admin.adjust_stock(uow, world.admin, sku="P-BELT", change=change, reason="count")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(adjust, changes))
    assert jobs.stock_of(uow, sku="P-BELT") == Decimal(2) + 20 * 3 - 20
    assert len(history.recent_changes(uow, world.admin, kinds=["part"], limit=200)) == 40


def test_concurrent_takes_stop_at_zero(uow, world):
    """Eight takes of one from a stock of five at once: five succeed, three are
    refused, stock ends at zero, not below."""

    def take(_):
        try:
            admin.adjust_stock(uow, world.manager, sku="P-PUMP", change="-1", reason="scrapped")
            return "ok"
        except DomainError as exc:
            return str(exc.code)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(take, range(8)))
    assert sorted(results) == ["ok"] * 5 + ["out_of_stock"] * 3
    assert jobs.stock_of(uow, sku="P-PUMP") == 0
