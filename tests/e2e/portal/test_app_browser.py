"""The technician app (issue 16) in Debian's Chromium, driven by Playwright, on one
served portal: one scenario, as a technician's day goes.

1. The app installs: the manifest and the service worker are valid for
   Chromium itself (no installability errors), the worker controls the page,
   and the day's job pages are saved on the phone.
2. Offline (``context.set_offline(True)``): arrival (with the emulated
   position), a part, two photos (a large camera picture, scaled down on the
   phone), the customer's signature and completion on one job; a confirmation
   on another job, which the help desk gives to another technician meanwhile.
   The page shows each step as done, "waiting to send".
3. Back online: the first answer is lost on its way back (the server acted,
   the phone did not hear), so the phone sends it again with the same key.
   The server holds each thing exactly once; the re-assigned job's
   confirmation is refused, with the server's code and words and what to do.
4. The job shows its photos and signature to the technician, and its arrival
   against the site's address to the manager, at phone width.

Screenshots for the README: docs/images/portal-app-offline.png (the app
offline with its queue) and docs/images/portal-app-job.png (the job with its
photos and signature).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from backend.catalog.models import ServiceCharge
from backend.history.models import StateChange
from backend.idempotency.models import IdempotencyKey
from backend.jobs import service as jobs
from backend.jobs.models import Attachment, Job, JobArrival, JobPart, JobPhoto, JobSignature, JobState
from tests.factories import PASSWORD
from tests.integration.web.served import serve
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.unit.core.flows import new_job, step

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "docs" / "images"
PHONE = {"width": 390, "height": 844}
WHERE = {"latitude": 19.1175, "longitude": 72.8464, "accuracy": 14}  # emulated: the phone's position

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app-e2e")
    shutil.copy(sqlite_template, tmp / "db.sqlite3")
    served, portal = serve(f"sqlite:///{tmp / 'db.sqlite3'}", tmp)
    with served:
        portal.url = served.base_url + "/portal"
        yield portal


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def camera_photo(path: Path, color) -> Path:
    """A camera-sized picture (2400 x 1800) the app must scale down before it is kept."""
    img = Image.new("RGB", (2400, 1800), color)
    img.paste((250, 250, 250), (600, 450, 1800, 1350))
    img.save(path, "JPEG", quality=90)
    return path


def count(site, model, *where) -> int:
    with site.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def waiting(page, n: int) -> None:
    page.wait_for_function(f"document.getElementById('waiting-count').textContent === '{n}'")


def test_a_technicians_day_offline_arrives_once_when_the_signal_returns(browser, site, tmp_path):
    w, uow = site.world, site.uow
    with uow() as s:  # this job type is completed only with the customer's signature
        s.execute(update(ServiceCharge).where(ServiceCharge.code == "VISIT").values(requires_signature=True))
    worked = new_job(uow, w)
    for target in (JobState.SCHEDULED, JobState.CONFIRMED, JobState.RELEASED):
        step(uow, w, worked, target)
    moved = new_job(uow, w)
    step(uow, w, moved, JobState.SCHEDULED)

    ctx = browser.new_context(viewport=PHONE, geolocation=WHERE, permissions=["geolocation"],
                              service_workers="allow")
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.get_by_label("E-mail").fill(w.emails["tech"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/portal/t/$"))

    # 1. installable; the worker controls the page; the day is saved on the phone
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    cdp = ctx.new_cdp_session(page)
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert errors in ([], ["in-incognito"])  # a Playwright context is a private window: nothing else is missing
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/portal/manifest.webmanifest")
    cdp.detach()
    page.locator("#day-saved").filter(has_text="saved on this phone").wait_for()
    page.get_by_role("link", name=re.compile(worked)).click()
    page.locator("#job[data-state=released]").wait_for()

    # 2. no signal
    ctx.set_offline(True)
    page.reload()  # the job's page comes from the phone
    assert worked in page.locator("h1").inner_text()
    page.locator("#net-status").filter(has_text="Offline").wait_for()
    page.get_by_role("button", name="I have arrived").click()
    waiting(page, 1)
    assert page.locator("#job-state").inner_text() == "in progress (waiting to send)"
    page.get_by_label("Part (from stock)").select_option("P-PUMP")
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add part").click()
    waiting(page, 2)
    for kind, color in (("before", (200, 40, 40)), ("after", (40, 70, 200))):
        page.get_by_label("Before or after the work").select_option(kind)
        page.get_by_label("Photo", exact=True).set_input_files(str(camera_photo(tmp_path / f"{kind}.jpg", color)))
        page.get_by_role("button", name="Add photo").click()
        page.locator("#photos ul.pending li", has_text=f"{kind.capitalize()} photo").wait_for()
    waiting(page, 4)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # every step fits the phone
    page.get_by_label("Service provided").fill("Replaced the drain pump; tested a full cycle")
    page.get_by_role("button", name="Complete job").click()  # not signed yet: the app says so, keeps nothing
    assert "only with the customer's signature" in page.locator("#complete .app-message").inner_text()
    page.get_by_label("Customer's name").fill("Alice Mehta")
    pad = page.locator("canvas.sigpad").bounding_box()
    page.mouse.move(pad["x"] + 30, pad["y"] + 140)
    page.mouse.down()
    for x, y in ((90, 50), (150, 150), (210, 60), (270, 140), (340, 70)):
        page.mouse.move(pad["x"] + x, pad["y"] + y, steps=6)
    page.mouse.up()
    page.get_by_role("button", name="Save signature").click()
    waiting(page, 5)
    page.get_by_role("button", name="Complete job").click()
    waiting(page, 6)
    assert page.locator("#job-state").inner_text() == "resolved (waiting to send)"

    page.get_by_role("link", name="My jobs").click()  # the list and the other job, from the phone too
    page.get_by_role("link", name=re.compile(moved)).click()
    page.get_by_role("button", name="Confirm job").click()
    waiting(page, 7)
    page.goto(f"{site.url}/t/jobs/{worked}")  # still offline: back to the first job, from the phone
    page.locator("#photos ul.pending img").nth(1).wait_for()
    assert page.locator("#job-state").inner_text() == "resolved (waiting to send)"
    page.screenshot(path=str(IMAGES / "portal-app-offline.png"))
    assert count(site, JobArrival) == 0 and count(site, JobPhoto) == 0  # nothing has reached the server

    # meanwhile the help desk gives the second job to another technician
    start, end = w.next_slot()
    jobs.schedule_job(uow, w.agent, job_ref=moved, technician_id=w.tech2.user_id, start=start, end=end)

    # 3. the signal returns; the first answer is lost on its way back to the phone
    lost = []

    def lose_the_answer(route):
        route.fetch()  # the server acts on it ...
        lost.append(route.request.url)
        route.abort("connectionreset")  # ... and the phone never hears

    ctx.route("**/t/jobs/*/arrive", lose_the_answer, times=1)
    ctx.set_offline(False)  # (the browser's `online` event starts a send; "Send now" is the technician's nudge)
    page.get_by_role("button", name="Send now").click()
    page.locator("#refused-list li", has_text=moved).wait_for(timeout=30000)
    page.wait_for_function("document.getElementById('outbox-waiting').hidden", timeout=30000)
    assert lost and count(site, JobArrival) == 1
    refused = page.locator("#refused-list li", has_text=moved).inner_text()
    assert "not_found" in refused and "given to another technician" in refused  # the server's code and words
    assert "call the help desk" in refused  # and what to do

    # the server holds each exactly once
    assert (count(site, JobArrival), count(site, JobPart), count(site, JobPhoto), count(site, JobSignature)) == \
        (1, 1, 2, 1)
    with uow() as s:
        job = s.scalar(select(Job).where(Job.number == worked))
        arrival = s.scalar(select(JobArrival).where(JobArrival.job_id == job.id))
        sizes = [(a.width, a.height) for a in s.scalars(select(JobPhoto))]
        moves = list(s.scalars(select(StateChange.to_state).where(
            StateChange.entity_type == "job", StateChange.entity_id == job.id,
            StateChange.from_state != StateChange.to_state)))
        other = s.scalar(select(Job).where(Job.number == moved))
        keys = s.scalar(select(func.count()).select_from(IdempotencyKey).where(
            IdempotencyKey.key.like("portal-app-%")))
        photo_types = set(s.scalars(select(Attachment.content_type).join(JobPhoto,
                                                                          JobPhoto.attachment_id == Attachment.id)))
    assert job.state == JobState.RESOLVED and moves.count("in_progress") == moves.count("resolved") == 1
    assert (arrival.location, float(arrival.latitude), float(arrival.longitude)) == ("shared", 19.1175, 72.8464)
    assert arrival.reported_at < arrival.received_at  # the phone's time of arrival, sent later
    assert all(max(size) == 1600 for size in sizes) and photo_types == {"image/jpeg"}  # scaled on the phone
    assert (other.technician_id, other.state) == (w.tech2.user_id, JobState.SCHEDULED)
    assert keys == 6  # one key per action the server took: arrival, part, two photos, signature, completion

    page.get_by_role("button", name=f"Dismiss the refused confirm the job of {moved}").click()
    page.wait_for_function("document.getElementById('outbox').hidden")

    # 4. the job with its photos and signature, as the technician sees it now
    page.goto(f"{site.url}/t/jobs/{worked}")
    page.locator("#photos img").nth(1).wait_for()
    assert "Signed by Alice Mehta" in page.locator("#signature").inner_text()
    report = page.request.get(f"{site.url}/jobs/{worked}/report.pdf")
    assert report.ok and report.body().startswith(b"%PDF")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.locator("#visit p").first.scroll_into_view_if_needed()
    page.set_viewport_size({"width": PHONE["width"], "height": 1180})  # the visit, the photos and the signature
    page.screenshot(path=str(IMAGES / "portal-app-job.png"))
    ctx.close()

    # the manager, at phone width: the dashboard fits; the job shows where arrival was reported
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.get_by_label("E-mail").fill(w.emails["manager"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/portal/m/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.get_by_label("Open a job (arrival, photos, signature)").fill(worked)
    page.get_by_role("button", name="Open", exact=True).click()
    arrival_card = page.locator("#arrival").inner_text()
    assert "19.117500, 72.846400" in arrival_card and "1 Elm St" in arrival_card
    assert page.locator("#job-media img").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    ctx.close()
