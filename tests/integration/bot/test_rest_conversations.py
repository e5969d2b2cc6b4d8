"""Whole conversations through Rasa's REST channel, with the real action
server acting on a real (migrated SQLite) database.

Needs the trained model (`make train`; `make test` trains first).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.tokens import issue_token
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from tests.factories import BELT, build_world
from tests.support.rasa_stack import MODEL, custom, start_stack, texts
from tests.unit.core.flows import drive_to

pytestmark = pytest.mark.rasa
SECRET = "integration-secret"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, sqlite_template):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test trains first)")
    import shutil

    folder = tmp_path_factory.mktemp("bot")
    db = folder / "bot.sqlite3"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    bot = start_stack(folder, database_url=url, secret_key=SECRET)
    yield bot, uow, world
    bot.stop()
    engine.dispose()


def login(actor) -> dict:
    return {"token": issue_token(SECRET, actor)}


def test_a_customer_raises_a_request_and_checks_its_status(stack):
    bot, uow, world = stack
    me, who = "customer-1", login(world.alice)
    assert "Which product" in texts(bot.say(me, "I want to raise a service request", who))
    assert "serial number" in texts(bot.say(me, "washing machine", who))
    assert "problem" in texts(bot.say(me, "WM-CMC-1", who))
    assert "technician come" in texts(bot.say(me, "The drum does not spin", who))
    assert "When would suit you" in texts(bot.say(me, "1 Elm St, second floor", who))
    reply = texts(bot.say(me, "tomorrow 11am", who))
    assert "Labour and parts are included" in reply and "Shall I raise the request" in reply
    reply = texts(bot.say(me, "yes", who))
    assert "Your request number is SR-" in reply and "job number is JB-" in reply
    job_ref = reply.split("job number is ")[1].split()[0].rstrip(".")
    assert jobs.get_job(uow, world.alice, job_ref=job_ref).covers_parts
    reply = texts(bot.say(me, f"what is the status of {job_ref}", who))
    assert f"{job_ref} is registered" in reply


def test_an_anonymous_visitor_is_verified_before_seeing_a_status(stack):
    bot, uow, world = stack
    ref = drive_to(uow, world, S.SCHEDULED)
    me = "visitor-1"
    assert "mobile number or e-mail" in texts(bot.say(me, f"what is the status of {ref}"))
    assert "don't match" in texts(bot.say(me, "bob@example.com"))
    bot.say(me, ref)
    reply = texts(bot.say(me, "alice@example.com"))
    assert "you're verified" in reply and f"{ref}: a visit is booked" in reply


def test_a_technician_reports_arrival_and_parts(stack):
    bot, uow, world = stack
    ref = drive_to(uow, world, S.RELEASED)
    me, who = "technician-1", login(world.tech)
    stock = jobs.stock_of(uow, sku=BELT[0])
    assert "Which job's site" in texts(bot.say(me, "i have reached the site", who))
    assert f"Arrival at {ref} recorded" in texts(bot.say(me, ref, who))
    assert "Which part did you use" in texts(bot.say(me, "record parts used", who))
    assert "How many" in texts(bot.say(me, BELT[0], who))
    assert f"Recorded 1 x {BELT[0]} on {ref}" in texts(bot.say(me, "1", who))
    assert jobs.stock_of(uow, sku=BELT[0]) == stock - Decimal(1)


def test_a_handoff_pauses_the_bot(stack):
    bot, _, world = stack
    me = "customer-handoff"
    messages = bot.say(me, "talk to a person", login(world.alice))
    assert custom(messages) == [{"handoff": {"reason": "customer_request", "requested_by": "customer"}}]
    assert bot.tracker(me)["paused"] is True
    assert bot.say(me, "hello? anyone?") == []


def test_a_customer_asks_how_to_pay_and_gets_the_link_and_the_qr_code(stack):
    from urllib.parse import urlparse

    from backend.banking.paylinks import PayLinks
    from backend.billing import service as billing

    bot, uow, world = stack
    job = drive_to(uow, world, S.BILLED)
    invoice = jobs.get_job(uow, world.agent, job_ref=job).invoice_number
    due = billing.get_invoice(uow, world.agent, invoice_ref=invoice).outstanding
    messages = bot.say("customer-pay", f"how do I pay {invoice}?", login(world.alice))
    reply = texts(messages)
    assert f"{invoice}: ₹{due:,.2f} due" in reply and "/pay/" in reply
    link = next(w for w in reply.split() if "/pay/" in w)
    assert PayLinks(SECRET).read(urlparse(link).path.rsplit("/", 1)[1]) == invoice  # a real link to this invoice
    images = [m["image"] for m in messages if m.get("image")]
    assert images == [link + "/qr.png"]


def test_a_technician_reports_cash_collected_at_the_door(stack):
    from backend.billing import service as billing
    from backend.processes import collections

    bot, uow, world = stack
    job = drive_to(uow, world, S.BILLED)
    invoice = jobs.get_job(uow, world.agent, job_ref=job).invoice_number
    due = billing.get_invoice(uow, world.agent, invoice_ref=invoice).outstanding
    me, who = "technician-collect", login(world.tech)
    reply = texts(bot.say(me, f"collected 1,000 cash for {job}", who))
    assert f"Recorded ₹1,000.00 cash for {job}" in reply and "receipt RC-" in reply
    assert billing.get_invoice(uow, world.agent, invoice_ref=invoice).outstanding == due - Decimal(1000)
    assert [c.amount for c in collections.list_collections(uow, world.tech, job_ref=job)] == [Decimal("1000.00")]


# --- issue 12: renewal, repair and contract references, items bought (same Rasa as above) ---

def test_a_customer_renews_their_contract_by_chat(stack):
    from tests.unit.actions.test_contract_repair_item_actions import running_contract
    from backend.coverage import service as contracts
    from tests.factories import BOB_SERIAL

    bot, uow, world = stack
    old = running_contract(uow, world, world.bob, BOB_SERIAL)
    me, who = "customer-renew", login(world.bob)
    reply = texts(bot.say(me, "please renew my AMC", who))
    assert f"I've started the renewal of {old.number}" in reply and "send you the offer" in reply
    renewal = contracts.get_contract(uow, world.bob, contract_ref=old.number).renewed_by
    assert renewal and f"your renewal number is {renewal}" in reply
    assert contracts.get_contract(uow, world.bob, contract_ref=renewal).renewal_of == old.number
    reply = texts(bot.say(me, f"renew {old.number}", who))
    assert f"already being renewed as {renewal}" in reply


def test_a_customer_checks_a_repair_approves_its_estimate_and_checks_a_contract(stack):
    from backend.repairs import service as repairs
    from tests.unit.actions.test_contract_repair_item_actions import repair_with_estimate

    bot, uow, world = stack
    ref = repair_with_estimate(uow, world)
    me, who = "customer-repair", login(world.alice)
    reply = texts(bot.say(me, f"what is the status of {ref}", who))
    assert f"{ref} (TV): the estimate of ₹" in reply and "waiting for your answer" in reply
    reply = texts(bot.say(me, f"I approve the estimate for {ref}", who))
    assert f"You've approved the estimate of ₹" in reply and ref in reply
    assert repairs.get_repair(uow, world.agent, repair_ref=ref).state == "approved"
    reply = texts(bot.say(me, "what is the status of my contract CT-000001", who))
    assert "(CMC) is active from" in reply and "renew" in reply


def test_a_customer_registers_an_ac_they_bought_and_is_covered_at_once(stack):
    from datetime import date, timedelta

    from backend.catalog.items import add_months
    from backend.catalog.models import Product
    from backend.intake.service import check_entitlement
    from tests.support.rasa_stack import buttons

    bot, uow, world = stack
    with uow() as s:
        s.add(Product(sku="AC-15T", name="Split air conditioner 1.5 ton", category="air_conditioner",
                      warranty_months=12))
    bought = date.today() - timedelta(days=32)
    until = (add_months(bought, 12) - timedelta(days=1)).strftime("%d %b %Y")
    me, who = "customer-item", login(world.alice)
    reply = texts(bot.say(me, f"I bought a new AC, serial AC-12345, bought on {bought:%-d %b}", who))
    answers = {"serial number": "AC-12345", "When did you buy": f"{bought:%d/%m/%Y}",
               "Which product": '/inform{"product": "AC-15T"}'}
    for _ in range(3):  # whatever the model did not pick out of the first message, the form asks for
        question = next((q for q in answers if q in reply), None)
        if question is None:
            break
        reply = texts(bot.say(me, answers.pop(question), who))
    assert f"covered by the manufacturer's warranty until {until}" in reply and "AC-12345" in reply
    cover = check_entitlement(uow, world.alice, serial="AC-12345")
    assert cover.cover == "MANUFACTURER_WARRANTY" and cover.covered
    # without the details: the product is offered from the catalogue, then serial and day are asked for
    messages = bot.say(me, "register my new appliance", who)
    assert "Which product did you buy" in texts(messages)
    assert buttons(messages)["Split air conditioner 1.5 ton"] == '/inform{"product": "AC-15T"}'
    assert "serial number" in texts(bot.say(me, '/inform{"product": "AC-15T"}', who))
    assert "When did you buy it" in texts(bot.say(me, "AC-99881", who))
    reply = texts(bot.say(me, "yesterday", who))
    assert "AC-99881" in reply and "manufacturer's warranty until" in reply
