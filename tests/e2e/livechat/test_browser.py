"""In Debian's Chromium, driven by Playwright: a customer on the demo website
chats with the bot, asks for a person, and an agent in the console answers.
Screenshots of each page go to ``test-artifacts/``."""

from __future__ import annotations

import shutil

import pytest

from backend.conversations import service as conv
from backend.db import UnitOfWork, make_engine, make_session_factory
from tests.integration.livechat.harness import FakeRasa, hub_settings, start_hub
from tests.integration.livechat.rasa_server import ROOT, shared_rasa
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.unit.livechat.factories import PASSWORD, build_people

ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.anyio,
    needs_chromium,
]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def e2e_db(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-db") / "hub.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    yield url, uow, build_people(uow, prefix="e")
    engine.dispose()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        await b.close()


async def login_console(page, base: str, email: str) -> None:
    await page.goto(base + "/console")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    await page.wait_for_function("document.getElementById('conn').textContent === 'connected'")


async def widget_say(page, text: str) -> None:
    await page.fill(".fsc-form textarea", text)
    await page.press(".fsc-form textarea", "Enter")


@pytest.mark.rasa
async def test_customer_talks_to_the_bot_then_to_an_agent(browser, sqlite_template, tmp_path_factory):
    rasa, url, uow, people = shared_rasa(sqlite_template, tmp_path_factory.getbasetemp() / "shared-rasa")
    for agent in (people.asha, people.ravi, people.meena, people.boss):  # the Rasa tests may have left them on
        conv.set_agent_status(uow, agent, status="away")
    hub = await start_hub(hub_settings(url, rasa_url=rasa.url, action_server_url=rasa.action_url,
                                       rasa_timeout_s=30), uow)
    try:
        customer = await browser.new_page(viewport={"width": 1280, "height": 860})
        await customer.goto(hub.url + "/")
        await customer.fill("#email", people.emails["alice"])  # the demo site's customer login
        await customer.fill("#password", PASSWORD)
        await customer.click("#login button")
        await customer.wait_for_selector("#who >> text=Logged in as Alice Fernandes")
        await customer.click(".fsc-launch")
        await customer.wait_for_function("document.querySelector('.fsc-status').textContent.includes('assistant')")
        await widget_say(customer, "hello")
        await customer.wait_for_selector(".fsc-bot", timeout=30000)
        await widget_say(customer, "I want to talk to a human agent")
        await customer.wait_for_function(
            "document.querySelector('.fsc-status').textContent.includes('number 1 in the queue')", timeout=30000)
        await widget_say(customer, "<img src=x onerror=alert(1)> my AC drips")
        await customer.wait_for_selector(".fsc-me:not(.fsc-pending) >> text=my AC drips")
        await customer.screenshot(path=str(ARTIFACTS / "livechat-widget-queued.png"))

        agent = await browser.new_page(viewport={"width": 1400, "height": 860})
        await login_console(agent, hub.url, people.emails["asha"])
        await agent.select_option("#status", "available")
        await agent.wait_for_selector("#mine li", timeout=15000)
        await agent.click("#mine li")
        await agent.wait_for_selector("#transcript li.bot")
        await agent.wait_for_selector("#transcript li.customer >> text=my AC drips")
        # customer text is shown as text: the tag is visible, no element was made from it
        assert await agent.locator("#transcript img").count() == 0
        assert "<img src=x onerror=alert(1)>" in await agent.inner_text("#transcript")
        await agent.wait_for_selector("#customer >> text=Alice Fernandes")  # who it is, and their business
        await agent.wait_for_selector("#customer >> text=Open requests")
        await agent.click("#accept")
        await customer.wait_for_selector(".fsc-system >> text=Asha Rao joined the chat.")
        await agent.fill("#reply", "Hello, I am Asha. I will book a technician for the leak.")
        await agent.press("#reply", "Enter")
        await customer.wait_for_selector(".fsc-agent >> text=book a technician")
        assert "Asha Rao" in await customer.inner_text(".fsc-agent .fsc-who")
        await customer.wait_for_function("document.querySelector('.fsc-status').textContent.includes('Asha Rao')")
        await widget_say(customer, "Thank you!")
        await agent.wait_for_selector("#transcript li.customer >> text=Thank you!")
        await customer.screenshot(path=str(ARTIFACTS / "livechat-widget-agent.png"))
        await agent.screenshot(path=str(ARTIFACTS / "livechat-console.png"))

        await agent.fill("#close-note", "Technician visit booked for the leaking AC.")
        await agent.click("#close")
        await agent.wait_for_selector("#close-result >> text=ticket TK-")
        await customer.wait_for_function("document.querySelector('.fsc-status').textContent.includes('ended')")

        # reload keeps the conversation (session id and history from the hub)
        await customer.reload()
        await customer.click(".fsc-launch") if not await customer.is_visible(".fsc-panel.fsc-open") else None
        await customer.wait_for_selector(".fsc-agent >> text=book a technician")
    finally:
        await hub.stop()


async def test_technician_chat_on_a_phone(browser, e2e_db, tmp_path):
    url, uow, people = e2e_db
    rasa = await FakeRasa().start()
    hub = await start_hub(hub_settings(url, rasa_url=rasa.url), uow)
    try:
        phone = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        await phone.goto(hub.url + "/technician")
        await phone.fill("#email", people.emails["tech"])
        await phone.fill("#password", PASSWORD)
        await phone.click("#login button")
        await phone.wait_for_selector(".fsc-panel.fsc-open")
        box = await phone.locator(".fsc-panel").bounding_box()
        assert box["width"] == 390  # the chat fills the phone's screen
        await widget_say(phone, "reached the site for JB-000001")
        await phone.wait_for_selector(".fsc-bot >> text=You said: reached the site")
        await phone.screenshot(path=str(ARTIFACTS / "livechat-technician-phone.png"))
        assert rasa.received[-1]["metadata"]["token"]  # the technician's login reaches the bot
        # a customer cannot log in to the console
        console = await browser.new_page()
        await console.goto(hub.url + "/console")
        await console.fill("#email", people.emails["alice"])
        await console.fill("#password", PASSWORD)
        await console.click("#login button[type=submit]")
        await console.wait_for_selector("#login-error >> text=the console is for agents")
    finally:
        await hub.stop()
        await rasa.stop()


async def test_the_widget_keeps_what_was_typed_while_the_hub_was_down(browser, e2e_db):
    url, uow, people = e2e_db
    rasa = await FakeRasa().start()
    settings = hub_settings(url, rasa_url=rasa.url)
    hub = await start_hub(settings, uow)
    port = int(hub.url.rsplit(":", 1)[1])
    try:
        page = await browser.new_page()
        await page.goto(hub.url + "/")
        await page.click(".fsc-launch")
        await widget_say(page, "first message")
        await page.wait_for_selector(".fsc-bot >> text=You said: first message")
        await hub.stop()  # the hub goes away (a deploy, a crash)
        await page.wait_for_selector(".fsc-net", state="visible")
        await widget_say(page, "typed while you were away")
        await page.wait_for_selector(".fsc-me.fsc-pending >> text=typed while you were away")
        hub = await start_hub(settings, uow, port=port)
        await page.wait_for_selector(".fsc-bot >> text=You said: typed while you were away", timeout=20000)
        await page.wait_for_selector(".fsc-net", state="hidden")
        assert await page.locator(".fsc-me.fsc-pending").count() == 0
        texts = await page.locator(".fsc-me").all_inner_texts()
        assert texts == ["first message", "typed while you were away"]  # each once, in order
        assert [r["message"] for r in rasa.received] == ["first message", "typed while you were away"]
    finally:
        await hub.stop()
        await rasa.stop()
