"""The chat's renewal (the core's renewal use case), the status and estimate
answers for repair (RO-), contract (CT-) and order (SO-) references, and
registering an item the customer bought: each path by response name, and
what the backend holds afterwards."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import customer, customer_forms, items
from actions.base import date_text
from actions.parsing import WhenError, parse_past_day
from backend.catalog.items import add_months
from backend.catalog.models import Item, Product
from backend.catalog.service import ProductView
from backend.coverage import service as contracts
from backend.coverage.models import Contract
from backend.intake.service import check_entitlement, get_request
from backend.orders import service as orders
from backend.repairs import service as repairs
from tests.factories import BOB_SERIAL, NOCOVER_SERIAL, PUMP
from tests.unit.actions.helpers import DOMAIN, make_tracker, responses, run, said, slot_events

TODAY = date.today()


def _count(uow, model) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def running_contract(uow, world, who, serial) -> contracts.ContractView:
    """An accepted (active) AMC for ``who``'s item, as process C makes one."""
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[serial],
                                 customer_id=who.customer_id).number
    contracts.send_offer(uow, world.agent, contract_ref=ref, amount="12000", starts_on=TODAY,
                         ends_on=TODAY + timedelta(days=364), visits_per_year=2, instalments=1, type_code="AMC")
    return contracts.accept_offer(uow, who, contract_ref=ref)


def repair_with_estimate(uow, world) -> str:
    r = repairs.receive_repair(uow, world.agent, customer_id=world.alice.customer_id, item_description="TV",
                               fault="No picture", serial=NOCOVER_SERIAL)
    repairs.assign_repair(uow, world.agent, repair_ref=r.number, technician_id=world.tech.user_id)
    repairs.send_repair_estimate(uow, world.tech, repair_ref=r.number, lines=[{"code": PUMP[0], "qty": 1}])
    return r.number


def repair_state(uow, world, ref) -> str:
    return repairs.get_repair(uow, world.agent, repair_ref=ref).state


# --- renewal ------------------------------------------------------------------------

def test_the_customers_one_running_contract_is_renewed_without_asking_which(world, uow):
    old = running_contract(uow, world, world.bob, BOB_SERIAL)
    events, out = run(customer.ActionRenewContract(), make_tracker({}, actor=world.bob))
    sent = said(out, "utter_renewal_started")
    renewal = contracts.get_contract(uow, world.bob, contract_ref=sent["renewal_ref"])
    assert (renewal.renewal_of, renewal.state, renewal.serials) == (old.number, "inquiry", [BOB_SERIAL])
    assert renewal.starts_on == old.ends_on + timedelta(days=1)
    assert sent["contract_ref"] == old.number and sent["starts_on"] == date_text(old.ends_on + timedelta(days=1))
    assert slot_events(events)["reference"] is None


def test_a_named_contract_is_renewed_once_and_the_second_time_refused_in_words(world, uow):
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": "ct 1"}, actor=world.alice))
    renewal_ref = said(out, "utter_renewal_started")["renewal_ref"]
    assert contracts.get_contract(uow, world.alice, contract_ref=renewal_ref).renewal_of == "CT-T1"
    before = _count(uow, Contract)
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": "CT-000001"}, actor=world.alice))
    assert said(out, "utter_renewal_already_done")["renewal_ref"] == renewal_ref
    assert _count(uow, Contract) == before


def test_several_running_contracts_are_offered_as_buttons_and_nothing_is_renewed(world, uow):
    before = _count(uow, Contract)
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": "JB-000001"}, actor=world.alice))
    buttons = said(out, "utter_which_contract_to_renew")["buttons"]
    assert [b["payload"] for b in buttons] == ['/renew_contract{"reference": "CT-T1"}',
                                               '/renew_contract{"reference": "CT-T2"}']
    assert _count(uow, Contract) == before


def test_someone_elses_contract_is_not_found_and_nothing_changes(world, uow):
    before = _count(uow, Contract)
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": "CT-000001"}, actor=world.bob))
    assert said(out, "utter_renewal_contract_not_found")["contract_ref"] == "CT-000001"
    assert _count(uow, Contract) == before
    assert contracts.get_contract(uow, world.alice, contract_ref="CT-000001").renewed_by is None


def test_a_contract_still_at_the_offer_stage_cannot_be_renewed(world, uow):
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[BOB_SERIAL],
                                 customer_id=world.bob.customer_id).number
    before = _count(uow, Contract)
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": ref}, actor=world.bob))
    assert responses(out) == ["utter_renewal_not_running"]
    assert _count(uow, Contract) == before


def test_without_a_running_contract_the_help_desk_is_asked_for_a_new_one(world, uow):
    _, out = run(customer.ActionRenewContract(), make_tracker({}, actor=world.bob))
    request_ref = said(out, "utter_no_contract_to_renew")["request_ref"]
    assert get_request(uow, world.bob, reference=request_ref).kind == "contract"


def test_renewal_is_for_customers_only(world, uow):
    before = _count(uow, Contract)
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": "CT-000001"}))
    assert responses(out) == ["utter_error_unauthenticated"]
    _, out = run(customer.ActionRenewContract(), make_tracker({"reference": "CT-000001"}, actor=world.tech))
    assert responses(out) == ["utter_error_forbidden"]
    assert _count(uow, Contract) == before


# --- status of repairs, contracts and orders ------------------------------------------

def status(world, reference, who=None):
    return run(customer.ActionCheckRequestStatus(), make_tracker({"reference": reference}, actor=who or world.alice))[1]


def test_a_repair_order_status_says_the_state_and_the_next_step(world, uow):
    ref = repair_with_estimate(uow, world)
    sent = said(status(world, ref), "utter_repair_status_estimate_sent")
    assert sent["repair_ref"] == ref and sent["item"] == "TV" and sent["estimate_amount"].startswith("₹")
    repairs.approve_repair_estimate(uow, world.alice, repair_ref=ref)
    assert responses(status(world, ref)) == ["utter_repair_status_approved"]
    assert responses(status(world, ref, world.bob)) == ["utter_error_not_found"]


def test_a_contract_status_follows_its_renewal(world, uow):
    sent = said(status(world, "CT-000001"), "utter_contract_status_active")
    assert sent["contract_type"] == "CMC" and sent["ends_on"] == date_text(TODAY + timedelta(days=300))
    renewal = contracts.renew_contract(uow, world.alice, contract_ref="CT-000001")
    assert said(status(world, "CT-000001"), "utter_contract_status_renewal_pending")["renewal_ref"] == renewal.number
    assert responses(status(world, renewal.number)) == ["utter_contract_status_inquiry"]
    assert responses(status(world, "CT-000001", world.bob)) == ["utter_error_not_found"]


def test_a_service_order_status(world, uow):
    order = orders.create_service_order(uow, world.agent, customer_id=world.alice.customer_id,
                                        description="Install a new washer", lines=[{"code": "VISIT", "qty": 1}])
    assert said(status(world, order.number), "utter_order_status_new")["order_ref"] == order.number


def test_the_status_and_estimate_forms_take_every_kind_the_customer_owns(world):
    def validated(form, loop, value):
        events, out = run(form, make_tracker(just_set={"reference": value}, actor=world.alice, active_loop=loop))
        return slot_events(events)["reference"], responses(out)

    for value in ("RO-7", "ct 3", "SO-000004", "INV-2", "SR-1", "JB-5", "TK-9"):
        assert validated(customer_forms.ValidateStatusForm(), "status_form", value)[0] is not None, value
    for form, loop in ((customer_forms.ValidateAcceptEstimateForm(), "accept_estimate_form"),
                       (customer_forms.ValidateRejectEstimateForm(), "reject_estimate_form")):
        assert validated(form, loop, "ro 7") == ("RO-000007", [])
        assert validated(form, loop, "CT-000001") == (None, ["utter_invalid_reference_kind"])


# --- answering a repair estimate ---------------------------------------------------------

def test_a_repair_estimate_is_approved_by_chat_once(world, uow):
    ref = repair_with_estimate(uow, world)
    _, out = run(customer.ActionAcceptEstimate(), make_tracker({"reference": ref}, actor=world.alice))
    total = repairs.get_repair(uow, world.alice, repair_ref=ref).estimates[-1].total
    assert said(out, "utter_repair_estimate_approved")["estimate_amount"] == f"₹{total:,.2f}"
    assert repair_state(uow, world, ref) == "approved"
    _, out = run(customer.ActionRejectEstimate(), make_tracker({"reference": ref}, actor=world.alice))
    assert responses(out) == ["utter_repair_estimate_not_waiting"]
    assert repair_state(uow, world, ref) == "approved"


def test_a_repair_estimate_is_declined_by_chat(world, uow):
    ref = repair_with_estimate(uow, world)
    _, out = run(customer.ActionRejectEstimate(), make_tracker({"reference": ref}, actor=world.alice))
    assert said(out, "utter_repair_estimate_declined")["repair_ref"] == ref
    assert repair_state(uow, world, ref) == "declined"


def test_another_customers_repair_estimate_is_not_found_and_stays_open(world, uow):
    ref = repair_with_estimate(uow, world)
    _, out = run(customer.ActionAcceptEstimate(), make_tracker({"reference": ref}, actor=world.bob))
    assert responses(out) == ["utter_error_not_found"]
    assert repair_state(uow, world, ref) == "estimate_sent"


# --- registering an item ------------------------------------------------------------------

@pytest.fixture
def catalogue(uow, world):
    """The world's washer and TV, plus an AC with a 12-month and a fan with no warranty."""
    with uow() as s:
        s.add_all([Product(sku="AC-15T", name="Split air conditioner 1.5 ton", category="air_conditioner",
                           warranty_months=12),
                   Product(sku="FAN-1", name="Ceiling fan", category="fan", warranty_months=0)])
    return world


PRODUCTS = [ProductView("AC-15T", "Split air conditioner 1.5 ton", "air_conditioner", 12),
            ProductView("AC-W1", "Window air conditioner", "air_conditioner", 12),
            ProductView("WM-7KG", "Front-load washing machine 7 kg", "washing_machine", 24),
            ProductView("RF-300L", "Frost-free refrigerator 300 L", "refrigerator", 12)]


@pytest.mark.parametrize("text, skus", [
    ("AC-15T", ["AC-15T"]), ("split AC", ["AC-15T"]), ("air conditioner", ["AC-15T", "AC-W1"]),
    ("my new frige", ["RF-300L"]), ("washing machine", ["WM-7KG"]), ("Front-load washing machine 7 kg", ["WM-7KG"]),
    ("hovercraft", []), ("", []),
])
def test_which_catalogue_product_the_customer_means(text, skus):
    assert [p.sku for p in items.match_products(text, PRODUCTS)] == skus


@pytest.mark.parametrize("text, day", [
    ("3 Nov", date(2026, 11, 3)), ("bought on 3rd November 2026", date(2026, 11, 3)),
    ("03/11/2026", date(2026, 11, 3)), ("2026-11-03", date(2026, 11, 3)), ("Nov 3, 2026", date(2026, 11, 3)),
    ("yesterday", date(2026, 12, 4)), ("today", date(2026, 12, 5)), ("2 weeks ago", date(2026, 11, 21)),
    ("12 Dec", date(2025, 12, 12)),  # no year: the last 12 Dec that has come
])
def test_purchase_days_in_the_shapes_people_write_them(text, day):
    assert parse_past_day(text, date(2026, 12, 5)) == day


@pytest.mark.parametrize("text, reason", [("10/12/2026", "future"), ("tomorrow", "unreadable"),
                                          ("31/02/2026", "unreadable"), ("some time back", "unreadable")])
def test_purchase_days_refused(text, reason):
    with pytest.raises(WhenError) as err:
        parse_past_day(text, date(2026, 12, 5))
    assert err.value.reason == reason


def register(world, who=None, **slots):
    values = {"product": "AC-15T", "serial_number": "AC-12345",
              "purchase_date": (TODAY - timedelta(days=2)).isoformat()}
    return run(items.ActionRegisterItem(), make_tracker({**values, **slots}, actor=who or world.alice))


def test_a_registered_item_is_covered_by_the_manufacturers_warranty_at_once(catalogue, uow):
    world = catalogue
    bought = TODAY - timedelta(days=2)
    events, out = register(world)
    sent = said(out, "utter_item_registered_under_warranty")
    until = add_months(bought, 12) - timedelta(days=1)  # the product's 12 months, from the day bought
    assert (sent["product_name"], sent["serial"], sent["valid_until"]) == (
        "Split air conditioner 1.5 ton", "AC-12345", date_text(until))
    assert all(slot_events(events)[s] is None for s in ("product", "serial_number", "purchase_date"))
    cover = check_entitlement(uow, world.alice, serial="AC-12345")
    assert (cover.cover, cover.valid_until) == ("MANUFACTURER_WARRANTY", until)


def test_an_item_bought_long_ago_or_without_warranty_says_so(catalogue, uow):
    _, out = register(catalogue, serial_number="AC-OLD-1", purchase_date="2020-01-10")
    assert said(out, "utter_item_registered_warranty_ended")["valid_until"] == "09 Jan 2021"
    _, out = register(catalogue, product="FAN-1", serial_number="FAN-0001")
    assert responses(out) == ["utter_item_registered_no_warranty"]


def test_a_serial_registered_to_someone_else_is_refused_and_asked_again(catalogue, uow):
    events, out = register(catalogue, serial_number=BOB_SERIAL)
    assert said(out, "utter_item_serial_taken")["serial"] == BOB_SERIAL
    assert {e["event"]: e.get("name") for e in events if e["event"] == "followup"} == {"followup": "item_form"}
    slots = slot_events(events)
    assert slots["serial_number"] is None and "product" not in slots and "purchase_date" not in slots
    with uow() as s:
        assert s.scalar(select(Item.customer_id).where(Item.serial == BOB_SERIAL)) == catalogue.bob.customer_id


def test_a_serial_already_yours_is_not_registered_twice(catalogue, uow):
    before = _count(uow, Item)
    _, out = register(catalogue, serial_number=NOCOVER_SERIAL)
    assert responses(out) == ["utter_item_already_yours"]
    assert _count(uow, Item) == before


def test_an_unknown_product_or_a_future_day_is_asked_again_and_nothing_is_registered(catalogue, uow):
    before = _count(uow, Item)
    events, out = register(catalogue, product="NO-SUCH")
    assert responses(out) == ["utter_item_product_unknown"] and slot_events(events)["product"] is None
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    events, out = register(catalogue, purchase_date=tomorrow)
    assert responses(out) == ["utter_purchase_date_in_future"] and slot_events(events)["purchase_date"] is None
    assert _count(uow, Item) == before


def test_only_customers_register_items_by_chat(catalogue, uow):
    before = _count(uow, Item)
    _, out = run(items.ActionRegisterItem(), make_tracker({"product": "AC-15T", "serial_number": "AC-777",
                                                           "purchase_date": TODAY.isoformat()}))
    assert responses(out) == ["utter_error_unauthenticated"]
    _, out = register(catalogue, who=catalogue.tech, serial_number="AC-778")
    assert responses(out) == ["utter_error_forbidden"]
    assert _count(uow, Item) == before


def validate(world, slot, value, who=None):
    tracker = make_tracker(just_set={slot: value}, actor=who or world.alice, active_loop="item_form")
    events, out = run(items.ValidateItemForm(), tracker)
    return slot_events(events)[slot], out


def test_the_item_form_reads_the_product_serial_and_day(catalogue, rt):
    assert validate(catalogue, "product", "air conditioner")[0] == "AC-15T"
    value, out = validate(catalogue, "product", "hovercraft")
    assert value is None and responses(out) == ["utter_item_product_unknown"]
    assert {b["payload"] for b in said(out, "utter_item_product_unknown")["buttons"]} >= {
        '/inform{"product": "AC-15T"}', '/inform{"product": "WM"}'}
    assert validate(catalogue, "serial_number", " ac-12345 ")[0] == "AC-12345"
    for no_serial in ("unknown", ""):
        value, out = validate(catalogue, "serial_number", no_serial)
        assert value is None and responses(out) == ["utter_item_serial_needed"]
    assert validate(catalogue, "purchase_date", "yesterday")[0] == (rt.now().date() - timedelta(days=1)).isoformat()
    value, out = validate(catalogue, "purchase_date", (rt.now().date() + timedelta(days=3)).strftime("%d/%m/%Y"))
    assert value is None and responses(out) == ["utter_purchase_date_in_future"]
    value, out = validate(catalogue, "purchase_date", "when the monsoon started")
    assert value is None and responses(out) == ["utter_invalid_purchase_date"]


def test_the_product_question_offers_the_catalogue_as_buttons(catalogue):
    _, out = run(items.ActionAskItemFormProduct(), make_tracker(actor=catalogue.alice))
    titles = [b["title"] for b in said(out, "utter_ask_item_form_product")["buttons"]]
    assert "Split air conditioner 1.5 ton" in titles and "Washer" in titles


def test_a_known_customer_is_asked_only_for_the_item(world):
    form = items.ValidateItemForm()
    slots = asyncio.run(form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(),
                                            make_tracker(actor=world.alice), DOMAIN))
    assert slots == ["product", "serial_number", "purchase_date"]


def test_every_repair_contract_and_order_state_has_its_status_answer():
    from backend.coverage.models import ContractState
    from backend.orders.models import OrderState
    from backend.repairs.models import RepairState

    wanted = ({f"utter_repair_status_{s}" for s in RepairState} | {f"utter_contract_status_{s}" for s in ContractState}
              | {f"utter_order_status_{s}" for s in OrderState} | {"utter_contract_status_renewal_pending"})
    assert wanted - set(DOMAIN["responses"]) == set()
