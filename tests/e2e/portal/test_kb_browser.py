"""The knowledge base's whole loop in Debian's Chromium, with every real part:

1. an admin logs in to the portal (served by the hub, as `make run` does) and
   creates and publishes an article with a distinctive answer;
2. ``python -m kb watch`` — the Procfile's command, in its own process — sees
   the change in the database and syncs the index (nobody runs a sync);
3. a visitor asks the chat widget on the demo site; the real Rasa server and
   action server answer from that article, with its link and "Did this help?";
   "No" queues the chat for a person;
4. an agent finds the article with the console's knowledge-base search;
5. the link opens the article's public page.

Screenshots go to ``test-artifacts/portal/kb-*.png``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.actor import SYSTEM
from backend.knowledge import imports
from kb.store import KbIndexError, read_manifest
from tests.factories import PASSWORD, build_world
from tests.integration.livechat.harness import (
    SECRET,
    free_port,
    hub_settings,
    start_hub,
)
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.rasa_stack import MODEL, PY, ROOT, start_stack

ARTIFACTS = ROOT / "test-artifacts" / "portal"
BOUND = 180.0  # seconds, for conditions that wait on the model and Rasa on a busy 2-core machine

TITLE = "Descaling the Zephyr steam iron"
SLUG = "zephyr-steam-iron"
BODY = ("Zephyr steam irons need descaling once a month in hard-water areas.\n\n"
        "## How to descale\n\n"
        "Dissolve one spoon of citric acid in 200 ml of warm water and fill the Zephyr tank with it. Heat the iron, "
        "hold it over the sink and press the ZX-Clean button for 30 seconds. Rinse the tank twice with plain water.")
QUESTION = "how do I descale my Zephyr steam iron"

pytestmark = [
    pytest.mark.browser, pytest.mark.rasa, pytest.mark.model, pytest.mark.anyio,
    needs_chromium,
]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def system(sqlite_template, tmp_path_factory):
    """Database (test world + the starter articles), the watcher process, Rasa and the action server."""
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test trains first)")
    tmp = tmp_path_factory.mktemp("kb-e2e")
    shutil.copy(sqlite_template, tmp / "db.sqlite3")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    assert imports.import_markdown_folder(uow, SYSTEM, folder=ROOT / "data" / "kb", progress=False).failed == []
    index = tmp / "var" / "kb"
    hub_port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "KB_INDEX_DIR": str(index), "HF_HUB_OFFLINE": "1"}
    watch_log = tmp / "watch.log"
    watcher = subprocess.Popen([str(PY), "-m", "kb", "watch", "--quiet", "--interval", "1"], cwd=ROOT, env=env,
                               stdout=watch_log.open("wb"), stderr=subprocess.STDOUT)
    stack = None
    try:
        stack = start_stack(tmp / "stack", database_url=url, secret_key=SECRET, kb_index_dir=index,
                            env={"KB_ARTICLE_URL": f"http://127.0.0.1:{hub_port}/portal/kb/{{slug}}"})
        yield {"url": url, "uow": uow, "world": world, "index": index, "hub_port": hub_port, "stack": stack,
               "watcher": watcher, "watch_log": watch_log, "var": tmp / "var"}
    finally:
        if stack is not None:
            stack.stop()
        watcher.terminate()
        watcher.wait(30)
        engine.dispose()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        await b.close()


def indexed(folder: Path, slug: str) -> str | None:
    """The status the index on disk holds for ``slug`` (None: not in it)."""
    try:
        manifest = read_manifest(folder)
    except KbIndexError:
        return None
    fields = manifest["passage_fields"]
    for row in manifest["passages"]:
        passage = dict(zip(fields, row, strict=True)) if isinstance(row, list) else row
        if passage["slug"] == slug:
            return manifest["articles"][str(passage["article_id"])]["status"]
    return None


async def until(check, what: str, bound: float = BOUND):
    deadline = time.monotonic() + bound
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound:.0f} s: {what}")
        await anyio.sleep(0.5)
    return value


async def shot(page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"kb-{name}.png"), full_page=True)


async def test_an_article_published_in_the_portal_answers_the_chat_and_the_console(browser, system):
    stack, world = system["stack"], system["world"]
    settings = hub_settings(system["url"], rasa_url=stack.url, action_server_url=stack.action_url,
                            rasa_timeout_s=60, kb_search=True)
    settings = replace(settings, core=replace(settings.core, var_dir=system["var"]))
    hub = await start_hub(settings, system["uow"], port=system["hub_port"])
    try:
        await until(lambda: indexed(system["index"], "washing-machine-maintenance"), "the starter articles indexed")
        assert indexed(system["index"], SLUG) is None

        # 1. the admin publishes an article in the portal
        admin = await browser.new_page(viewport={"width": 1280, "height": 900})
        await admin.goto(hub.url + "/portal/login")
        await admin.get_by_label("E-mail").fill(world.emails["admin"])
        await admin.get_by_label("Password").fill(PASSWORD)
        await admin.get_by_role("button", name="Log in").click()
        await admin.goto(hub.url + "/portal/x/kb/new")
        await admin.get_by_label("Title", exact=True).fill(TITLE)
        await admin.get_by_label("Slug (optional, from the title)").fill(SLUG)
        await admin.get_by_label("Tags (comma separated)").fill("iron, descaling")
        await admin.get_by_label("Body (Markdown)").fill(BODY)
        await admin.get_by_role("button", name="Save and publish").click()
        await admin.wait_for_selector(f".flash >> text=Article '{SLUG}' saved (published)")
        await shot(admin, "admin-published")

        # 2. the watcher process syncs it: nobody else writes the index
        await until(lambda: indexed(system["index"], SLUG) == "published", "the watcher indexes the article")
        assert system["watcher"].poll() is None
        n = len(list((ROOT / "data" / "kb").glob("*.md"))) + 1
        assert f"synced ({n} articles, {n} published, 0 archived): 1 added" in system["watch_log"].read_text()

        # 3. a visitor asks the bot in the widget
        visitor = await browser.new_page(viewport={"width": 1280, "height": 860})
        await visitor.goto(hub.url + "/")
        await visitor.click(".fsc-launch")
        await visitor.wait_for_function("document.querySelector('.fsc-status').textContent.includes('assistant')")
        await visitor.fill(".fsc-form textarea", QUESTION)
        await visitor.press(".fsc-form textarea", "Enter")
        answer = visitor.locator(".fsc-bot", has_text=TITLE)
        await answer.wait_for(timeout=BOUND * 1000)
        said = await answer.inner_text()
        assert "ZX-Clean button" in said and "citric acid" in said
        link = f"{hub.url}/portal/kb/{SLUG}"
        await visitor.wait_for_selector(f".fsc-bot a.fsc-link[href='{link}']")  # a link the visitor can click
        await visitor.wait_for_selector(".fsc-bot >> text=Did this help?")
        await visitor.wait_for_selector(".fsc-replies button >> text=Yes, thanks")
        await shot(visitor, "widget-answer")
        await visitor.click(".fsc-replies button >> text=No")
        await visitor.wait_for_function(
            "/queue|Waiting for a person/.test(document.querySelector('.fsc-status').textContent)", timeout=60000)
        await shot(visitor, "widget-no-queued")

        # 4. an agent finds it with the console's knowledge-base search
        agent = await browser.new_page(viewport={"width": 1400, "height": 860})
        await agent.goto(hub.url + "/console")
        await agent.fill("#email", world.emails["agent"])
        await agent.fill("#password", PASSWORD)
        await agent.click("#login button[type=submit]")
        await agent.wait_for_selector("#kb-box:not([hidden])")
        await agent.fill("#kb-query", "Zephyr iron descaling")
        await agent.click("#kb-form button")
        first = agent.locator("#kb-results li").first
        await first.wait_for(timeout=BOUND * 1000)
        assert TITLE in await first.inner_text()
        await shot(agent, "console-search")

        # 5. the link the bot gave opens the article (in a new tab)
        async with visitor.context.expect_page() as opened:
            await visitor.click(f".fsc-bot a.fsc-link[href='{link}']")
        visitor = await opened.value
        await visitor.wait_for_load_state()
        assert await visitor.inner_text("h1") == TITLE
        assert "ZX-Clean" in await visitor.inner_text(".kb-article")
        await shot(visitor, "article-page")
    finally:
        await hub.stop()
