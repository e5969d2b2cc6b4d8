"""The front desk (issue 12): the one search box, a request raised for a
caller with the cover shown first, the walk-in order invoiced up front in one
transaction, the walk-in repair with its printed receipt, the request
calendar; each refusal with its stable code and nothing changed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from pyzbar.pyzbar import ZBarSymbol, decode
from sqlalchemy import func, select

from backend.billing.models import Invoice
from backend.catalog.models import Item, Product
from backend.customers import service as customers
from backend.documents.repair_receipt import get_repair_receipt
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.idempotency.models import IdempotencyKey
from backend.intake import service as intake
from backend.intake.models import ServiceRequest
from backend.orders.models import OrderLine, ServiceOrder
from backend.processes import callers, walk_in
from backend.repairs import service as repairs
from backend.repairs.models import RepairOrder
from backend.reports import calendars
from tests.factories import AMC_SERIAL, BOB_SERIAL, CMC_SERIAL, NOCOVER_SERIAL, WARRANTY_SERIAL

ZONE = ZoneInfo("Asia/Kolkata")


def counts(uow, *models) -> tuple[int, ...]:
    with uow() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in models)


@pytest.fixture
def meera(uow, world):
    """A customer brought in at the desk, with an Indian mobile and a new AC under warranty."""
    view = customers.create_customer(uow, world.agent, name="Meera Iyer", mobile="98200 11111",
                                     email="meera@example.com")
    site = customers.add_site(uow, world.agent, customer_id=view.id, name="Flat", address="7 Hill Road",
                              city="Mumbai", pin_code="400050")
    with uow() as s:
        ac = Product(sku="AC-SPLIT", name="Split AC", category="air_conditioner", warranty_months=12)
        s.add(ac)
        s.flush()
        s.add(Item(product_id=ac.id, serial="ACX-2024-0042", customer_id=view.id, site_id=site.id,
                   installed_on=world.today, warranty_until=world.today + timedelta(days=365)))
    return view


# --- the one search box --------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["98200 11111", "+91 98200-11111", "09820011111", "919820011111", "+919820011111",
                                   "(982) 001-1111", "11111", "0011111"])
def test_a_mobile_in_any_shape_finds_the_caller(uow, world, meera, typed):
    found = callers.find_callers(uow, world.agent, q=typed)
    assert [c.code for c in found] == [meera.code]
    assert found[0].matched_by == "mobile" and found[0].mobile == "+919820011111"


def test_a_name_a_code_a_reference_and_a_serial_each_find_the_caller(uow, world, meera):
    assert [c.name for c in callers.find_callers(uow, world.agent, q="iyer")] == ["Meera Iyer"]
    assert [c.name for c in callers.find_callers(uow, world.agent, q="MEERA")] == ["Meera Iyer"]
    by_code = callers.find_callers(uow, world.agent, q=meera.code.lower())
    assert [(c.name, c.matched_by) for c in by_code] == [("Meera Iyer", "code")]

    req = callers.raise_for_caller(uow, world.agent, customer_id=meera.id, want="question", problem="Filter?")
    for ref in (req.number, req.ticket_number, req.number.replace("-", " ").lower()):
        hit = callers.find_callers(uow, world.agent, q=ref)
        assert [(c.name, c.matched_by, c.matched) for c in hit] == [("Meera Iyer", "reference", req.number
                                                                     if ref != req.ticket_number else ref)]
    ticket = callers.find_callers(uow, world.agent, q=req.ticket_number)[0]
    assert [(w.reference, w.kind) for w in ticket.open_work] == [(req.ticket_number, "ticket")]

    hit = callers.find_callers(uow, world.agent, q="acx-2024-0042")
    assert [(c.name, c.matched_by) for c in hit] == [("Meera Iyer", "serial")]
    assert [(i.serial, i.product, i.matched) for i in hit[0].items] == [("ACX-2024-0042", "Split AC", True)]
    assert [s.address for s in hit[0].sites] == ["7 Hill Road"]


def test_an_invoice_or_contract_reference_finds_its_customer_and_an_unknown_text_finds_nobody(uow, world):
    order = walk_in.walk_in_order(uow, world.agent, customer_id=world.bob.customer_id, description="Gas top-up",
                                  lines=[{"code": "VISIT", "qty": 1}])
    for ref in (order.invoice.number, order.order.number):
        assert [c.name for c in callers.find_callers(uow, world.agent, q=ref)] == ["Bob"]
    assert [c.name for c in callers.find_callers(uow, world.agent, q="ct 1")] == ["Alice"]  # her first contract
    alice = callers.find_callers(uow, world.agent, q=CMC_SERIAL)[0]
    assert alice.name == "Alice" and {w.kind for w in alice.open_work} == {"contract"}
    assert callers.find_callers(uow, world.agent, q="nobody by this name") == []
    assert callers.find_callers(uow, world.agent, q="99999 99999") == []


@pytest.mark.parametrize("who", ["alice", "tech"])
def test_a_customer_or_technician_is_refused_the_desk(uow, world, meera, who):
    actor = getattr(world, who)
    before = counts(uow, ServiceRequest, ServiceOrder, Invoice, RepairOrder, StateChange)
    calls = [
        lambda: callers.find_callers(uow, actor, q="Meera"),
        lambda: callers.preview_cover(uow, actor, customer_id=meera.id, serial="ACX-2024-0042"),
        lambda: callers.raise_for_caller(uow, actor, customer_id=meera.id, want="service", problem="Not cooling"),
        lambda: walk_in.walk_in_order(uow, actor, customer_id=meera.id, description="Service",
                                      lines=[{"code": "VISIT", "qty": 1}]),
        lambda: repairs.receive_repair(uow, actor, customer_id=meera.id, item_description="Mixer", fault="Noisy"),
    ]
    for call in calls:
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == ErrorCode.FORBIDDEN
    assert counts(uow, ServiceRequest, ServiceOrder, Invoice, RepairOrder, StateChange) == before


def test_an_empty_search_is_refused_naming_the_box(uow, world):
    with pytest.raises(DomainError) as refused:
        callers.find_callers(uow, world.agent, q="   ")
    assert refused.value.code == ErrorCode.INVALID_INPUT and refused.value.details["field"] == "q"


# --- a request raised for the caller, with the cover shown first -------------------------------------

def test_the_cover_is_shown_before_the_request_is_saved(uow, world, meera):
    alice = world.alice.customer_id
    before = counts(uow, ServiceRequest, StateChange)
    amc = callers.preview_cover(uow, world.agent, customer_id=alice, serial=AMC_SERIAL)
    until = (world.today + timedelta(days=300)).isoformat()
    assert amc.sentence == f"Washer {AMC_SERIAL} is covered by CT-T2 AMC until {until}: labour covered, parts not."
    warranty = callers.preview_cover(uow, world.agent, customer_id=alice, serial=WARRANTY_SERIAL)
    assert warranty.cover == "MANUFACTURER_WARRANTY"
    assert warranty.sentence == (f"Washer {WARRANTY_SERIAL} is under the manufacturer's warranty until "
                                 f"{(world.today + timedelta(days=30)).isoformat()}: labour and parts covered.")
    none = callers.preview_cover(uow, world.agent, customer_id=alice, serial=NOCOVER_SERIAL)
    assert not none.covered
    assert none.sentence == f"TV {NOCOVER_SERIAL} is not covered: the visit will be billed (labour and parts)."
    assert counts(uow, ServiceRequest, StateChange) == before  # checking saves nothing


@pytest.mark.parametrize(("serial", "kind", "cover"), [
    (AMC_SERIAL, "job", "AMC"),
    (WARRANTY_SERIAL, "job", "MANUFACTURER_WARRANTY"),
    (NOCOVER_SERIAL, "order", None),
])
def test_a_request_raised_for_a_caller_starts_its_process_with_the_desk_channel(uow, world, serial, kind, cover):
    alice = world.alice.customer_id
    view = callers.raise_for_caller(uow, world.agent, customer_id=alice, want="service", serial=serial,
                                    problem="Makes a noise", channel="phone", idempotency_key=f"desk-{serial}")
    assert view.kind == kind and view.customer_id == alice and view.channel == "phone"
    assert view.job_number is not None and callers.started_by(view) == [("job", view.job_number)]
    assert (view.entitlement.cover if view.entitlement.covered else None) == cover
    again = callers.raise_for_caller(uow, world.agent, customer_id=alice, want="service", serial=serial,
                                     problem="Makes a noise", channel="phone", idempotency_key=f"desk-{serial}")
    assert (again.number, again.created) == (view.number, False)
    with uow() as s:
        change = s.scalar(select(StateChange).where(StateChange.entity_type == "request")
                          .order_by(StateChange.id.desc()).limit(1))
        assert (change.channel, change.actor_role) == ("phone", "agent")


def test_a_serial_that_is_not_the_callers_or_an_unknown_channel_is_refused_and_nothing_is_saved(uow, world):
    before = counts(uow, ServiceRequest, StateChange)
    for kwargs, field in (({"serial": BOB_SERIAL}, "serial"), ({"serial": "NO-SUCH"}, "serial"),
                          ({"channel": "carrier pigeon"}, "channel")):
        with pytest.raises(DomainError) as refused:
            callers.raise_for_caller(uow, world.agent, customer_id=world.alice.customer_id, want="service",
                                     problem="Broken", **kwargs)
        assert refused.value.code == ErrorCode.INVALID_INPUT and refused.value.details["field"] == field
    with pytest.raises(DomainError) as refused:
        callers.preview_cover(uow, world.agent, customer_id=world.alice.customer_id, serial=BOB_SERIAL)
    assert refused.value.details["reason"] == "not_their_item"
    assert counts(uow, ServiceRequest, StateChange) == before


# --- the walk-in order, invoiced up front -------------------------------------------------------------

def test_a_walk_in_order_and_its_invoice_are_made_together(uow, world):
    bob = world.bob.customer_id
    result = walk_in.walk_in_order(uow, world.agent, customer_id=bob, description="Two visits for the washer",
                                   lines=[{"code": "VISIT", "qty": "2"}], serial=BOB_SERIAL, site_id=world.bob_site,
                                   idempotency_key="walk-in-1")
    assert result.order.state == "invoiced" and result.order.invoice_number == result.invoice.number
    assert [(l.code, l.qty) for l in result.order.lines] == [("VISIT", Decimal("2"))]
    assert result.invoice.subtotal == Decimal("1000.00") and result.invoice.total == Decimal("1180.00")
    assert result.invoice.state == "open"
    again = walk_in.walk_in_order(uow, world.agent, customer_id=bob, description="Two visits for the washer",
                                  lines=[{"code": "VISIT", "qty": "2"}], serial=BOB_SERIAL, site_id=world.bob_site,
                                  idempotency_key="walk-in-1")
    assert (again.order.number, again.invoice.number, again.created) == (result.order.number, result.invoice.number,
                                                                         False)
    assert counts(uow, ServiceOrder, Invoice) == (1, 1)


@pytest.mark.parametrize(("lines", "extra", "code"), [
    ([{"code": "VISIT", "qty": 1}, {"code": "NO-SUCH-CODE", "qty": 1}], {}, ErrorCode.NOT_FOUND),
    ([], {}, ErrorCode.INVALID_INPUT),
    ([{"code": "VISIT", "qty": "0"}], {}, ErrorCode.INVALID_INPUT),
    ([{"code": "VISIT", "qty": 1}], {"serial": CMC_SERIAL}, ErrorCode.INVALID_INPUT),  # Alice's, not Bob's
    ([{"code": "VISIT", "qty": 1}], {"site_id": "alice"}, ErrorCode.NOT_FOUND),
])
def test_a_refused_walk_in_order_leaves_no_order_and_no_invoice(uow, world, lines, extra, code):
    if extra.get("site_id") == "alice":
        extra = {"site_id": world.alice_site}
    before = counts(uow, ServiceOrder, OrderLine, Invoice, StateChange, IdempotencyKey)
    with pytest.raises(DomainError) as refused:
        walk_in.walk_in_order(uow, world.agent, customer_id=world.bob.customer_id, description="Service",
                              lines=lines, idempotency_key="refused-1", **extra)
    assert refused.value.code == code
    assert counts(uow, ServiceOrder, OrderLine, Invoice, StateChange, IdempotencyKey) == before


# --- the walk-in repair and its receipt ----------------------------------------------------------------

def read_pdf(data: bytes) -> tuple[str, list[str]]:
    """The PDF's text, and every QR code zbar reads on its pages rendered at about 216 dpi."""
    pdf = pdfium.PdfDocument(data)
    try:
        text, codes = "", []
        for page in pdf:
            text += page.get_textpage().get_text_range()
            image = page.render(scale=3).to_pil().convert("L")
            codes += [found.data.decode() for found in decode(image, symbols=[ZBarSymbol.QRCODE])]
        return text, codes
    finally:
        pdf.close()


def test_the_walk_in_repair_receipt_prints_the_reference_as_text_and_as_a_qr_code(uow, world, meera):
    view = repairs.receive_repair(uow, world.agent, customer_id=meera.id, item_description="Split AC indoor unit",
                                  fault="Leaks water", serial="ACX-2024-0042", accessories="Remote, 2 AAA batteries",
                                  condition_notes="Scratch on the front panel")
    assert view.covers_labour and view.covers_parts  # the new AC's manufacturer's warranty
    receipt = get_repair_receipt(uow, world.agent, repair_ref=view.number, zone=ZONE)
    assert receipt.content_type == "application/pdf" and receipt.filename == f"{view.number}-receipt.pdf"
    text, codes = read_pdf(receipt.data)
    assert codes == [view.number]
    for expected in (view.number, "Meera Iyer", "+919820011111", "ACX-2024-0042", "Leaks water",
                     "Remote, 2 AAA batteries", "Scratch on the front panel", "Customer's signature", "Terms"):
        assert expected in text, expected
    with pytest.raises(DomainError) as refused:
        get_repair_receipt(uow, world.alice, repair_ref=view.number)
    assert refused.value.code == ErrorCode.FORBIDDEN


def test_a_repair_with_too_long_accessories_is_refused_and_nothing_is_received(uow, world):
    before = counts(uow, RepairOrder, StateChange)
    with pytest.raises(DomainError) as refused:
        repairs.receive_repair(uow, world.agent, customer_id=world.bob.customer_id, item_description="Mixer",
                               fault="Noisy", accessories="x" * 1001)
    assert refused.value.code == ErrorCode.INVALID_INPUT and refused.value.details["field"] == "accessories"
    assert counts(uow, RepairOrder, StateChange) == before


# --- the request calendar --------------------------------------------------------------------------------

def test_the_request_calendar_shows_requests_received_and_wanted_and_walk_in_repairs(uow, world):
    from datetime import datetime, time, timezone

    alice = world.alice.customer_id
    wanted = datetime.combine(world.today + timedelta(days=2), time(10), timezone.utc)
    req = callers.raise_for_caller(uow, world.agent, customer_id=alice, want="service", serial=AMC_SERIAL,
                                   problem="Noisy", preferred_at=wanted)
    repair = repairs.receive_repair(uow, world.agent, customer_id=world.bob.customer_id, item_description="Mixer",
                                    fault="Noisy")
    intake.raise_request(uow, world.alice, want="repair", problem="Radio hums")  # a repair raised as a request
    days = calendars.request_calendar(uow, world.agent, start=world.today - timedelta(days=1),
                                      end=world.today + timedelta(days=3))
    seen = [(e.day, e.event, e.reference, e.customer) for e in days]
    assert (world.today, "received", req.number, "Alice") in seen
    assert (world.today + timedelta(days=2), "wanted", req.number, "Alice") in seen
    assert (world.today, "repair_received", repair.number, "Bob") in seen
    assert sum(1 for e in days if e.event == "repair_received") == 1  # the raised repair is listed as its request
    assert {e.channel for e in days if e.reference == req.number} == {"phone"}
    with pytest.raises(DomainError) as refused:
        calendars.request_calendar(uow, world.alice)
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert date.today() >= world.today
