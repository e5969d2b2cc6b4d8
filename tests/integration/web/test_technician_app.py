"""The portal's side of the technician app (issue 16), served for real: the
step forms answer the app's queue in JSON (done, or refused with a stable
code) and act once per key; photos, the signature and the completion report
reach the customer and staff and nobody else; the staff job page shows the
arrival against the site's address; the manifest, the service worker and the
offline page are served as an installable app needs them."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from backend.db import utcnow
from backend.jobs.models import JobArrival, JobPart, JobPhoto, JobSignature, JobState
from tests.support.pictures import BLUE, RED, noise, photo, signature
from tests.unit.core.flows import new_job, step

APP = {"Accept": "application/json"}


def job_in(portal, target: JobState) -> str:
    w, uow = portal.world, portal.uow
    ref = new_job(uow, w)
    for s in (JobState.SCHEDULED, JobState.CONFIRMED, JobState.RELEASED, JobState.IN_PROGRESS):
        step(uow, w, ref, s)
        if s == target:
            break
    return ref


def count(portal, model) -> int:
    with portal.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def app_post(client, path, data=None, files=None):
    """As the app's queue sends: multipart, the CSRF token in a header, JSON asked for."""
    if not client.csrf:
        client.get("/portal/t/")
    parts = [(k, (None, v)) for k, v in (data or {}).items()] + list((files or {}).items())
    return client.http.post(client.base + path, files=parts, headers={**APP, "X-CSRF-Token": client.csrf}, timeout=30)


def test_the_apps_queue_is_answered_in_json_and_each_key_acts_once(portal):
    tech = portal.client("tech")
    ref = job_in(portal, JobState.RELEASED)
    at = (utcnow() - timedelta(minutes=30)).isoformat()
    arrival = {"key": "q-1", "location": "shared", "latitude": "19.117500", "longitude": "72.846400",
               "accuracy_m": "14.0", "at": at}
    for n in range(2):  # the answer to the first was lost: the app sends it again with the same key
        r = app_post(tech, f"/portal/t/jobs/{ref}/arrive", arrival)
        assert r.status_code == 200 and r.json()["ok"] is True, r.text
        assert r.json()["redirect"].startswith(f"/portal/t/jobs/{ref}?done=Arrival")
    assert count(portal, JobArrival) == 1
    for n in range(2):
        r = app_post(tech, f"/portal/t/jobs/{ref}/parts", {"key": "q-2", "part_sku": "P-PUMP", "qty": "1"})
        assert r.json()["ok"] is True
    assert count(portal, JobPart) == 1
    for n in range(2):
        r = app_post(tech, f"/portal/t/jobs/{ref}/photos", {"key": "q-3", "kind": "before", "at": at},
                     files={"file": ("before.jpg", photo(RED), "image/jpeg")})
        assert r.json()["ok"] is True and r.json()["message"] == "Before photo saved."
    r = app_post(tech, f"/portal/t/jobs/{ref}/photos", {"key": "q-4", "kind": "after"},
                 files={"file": ("after.jpg", photo(BLUE), "image/jpeg")})
    assert r.json()["ok"] is True and count(portal, JobPhoto) == 2
    r = app_post(tech, f"/portal/t/jobs/{ref}/notes", {"key": "q-5", "note": "Gate code 1234"})
    assert r.json()["ok"] is True

    refusals = [
        (f"/portal/t/jobs/{ref}/photos", {"key": "q-6", "kind": "after"},
         {"file": ("bill.pdf", b"%PDF-1.4 x", "application/pdf")}, 415, "upload_type_not_allowed"),
        (f"/portal/t/jobs/{ref}/photos", {"key": "q-7", "kind": "after"},
         {"file": ("big.png", noise((400, 400)), "image/png")}, 413, "upload_too_large"),
        (f"/portal/t/jobs/{ref}/signature", {"key": "q-8", "signer_name": "Alice"},
         {"file": ("s.png", signature(blank=True), "image/png")}, 400, "invalid_input"),
        (f"/portal/t/jobs/{ref}/parts", {"key": "q-9", "part_sku": "P-PUMP", "qty": "99"}, None, 409, "out_of_stock"),
    ]
    for path, data, files, status, code in refusals:
        r = app_post(tech, path, data, files)
        assert (r.status_code, r.json()["ok"], r.json()["code"]) == (status, False, code), r.text
    for n in range(2):
        r = app_post(tech, f"/portal/t/jobs/{ref}/signature", {"key": "q-10", "signer_name": "Alice Mehta", "at": at},
                     files={"file": ("signature.png", signature(), "image/png")})
        assert r.json()["ok"] is True
    for n in range(2):
        r = app_post(tech, f"/portal/t/jobs/{ref}/resolve", {"key": "q-11", "service_notes": "Pump replaced", "at": at})
        assert r.json() == {"ok": True, "message": "Job completed.",
                            "redirect": f"/portal/t/jobs/{ref}?done=Job+completed."}
    assert (count(portal, JobSignature), count(portal, JobPhoto), count(portal, JobArrival)) == (1, 2, 1)

    page = tech.get(f"/portal/t/jobs/{ref}").text
    assert "Signed by Alice Mehta" in page and "Completion report (PDF)" in page and "Gate code 1234" in page


def test_a_job_given_to_another_technician_meanwhile_is_refused_with_its_reason(portal):
    w, tech = portal.world, portal.client("tech")
    ref = new_job(portal.uow, w)
    step(portal.uow, w, ref, JobState.SCHEDULED)
    page = tech.get(f"/portal/t/jobs/{ref}").text
    assert 'data-queue="confirm"' in page
    from backend.jobs import service as jobs

    start, end = w.next_slot()
    jobs.schedule_job(portal.uow, w.agent, job_ref=ref, technician_id=w.tech2.user_id, start=start, end=end)
    r = app_post(tech, f"/portal/t/jobs/{ref}/confirm", {"key": "late-1"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert "given to another technician" in r.json()["message"]
    plain = tech.post(f"/portal/t/jobs/{ref}/confirm", {"key": "late-2"})  # without the app: the error page
    assert plain.status_code == 404 and "not_found" in plain.text


def test_completion_without_a_required_signature_is_refused_next_to_the_form(portal):
    admin = portal.client("admin")  # the price list says a visit is completed only with the signature
    r = admin.post("/portal/x/catalog/charge/VISIT", {"name": "Visit", "unit_price": "500.00", "tax_rate": "18.00",
                                                      "sac_code": "", "requires_signature": "on"})
    assert r.status_code == 200 and "saved" in r.text and 'name="requires_signature" value="on" checked' in r.text
    tech = portal.client("tech")
    ref = job_in(portal, JobState.IN_PROGRESS)
    page = tech.get(f"/portal/t/jobs/{ref}").text
    assert "needed to complete" in page and 'data-signature-required="1"' in page
    r = app_post(tech, f"/portal/t/jobs/{ref}/resolve", {"key": "r-1", "service_notes": "Done"})
    assert (r.status_code, r.json()["code"]) == (409, "illegal_transition")
    assert r.json()["details"]["reason"] == "signature_required" and r.json()["details"]["field"] == "signature"
    r = tech.post(f"/portal/t/jobs/{ref}/resolve", {"service_notes": "Done"})
    assert r.status_code == 409 and "customer&#39;s signature" in r.text and 'id="err-signature"' in r.text
    assert portal.uow and count(portal, JobSignature) == 0


def test_photos_signature_and_report_reach_the_customer_and_staff_only(portal):
    w = portal.world
    tech, alice, bob, agent, manager, tech2 = (portal.client(x) for x in ("tech", "alice", "bob", "agent", "manager",
                                                                          "tech2"))
    ref = job_in(portal, JobState.RELEASED)
    app_post(tech, f"/portal/t/jobs/{ref}/arrive", {"key": "a", "location": "shared", "latitude": "19.1175",
                                                    "longitude": "72.8464", "accuracy_m": "9"})
    r = app_post(tech, f"/portal/t/jobs/{ref}/photos", {"key": "p", "kind": "before"},
                 files={"file": ("b.jpg", photo(RED), "image/jpeg")})
    photo_id = r.json()["photo"]
    app_post(tech, f"/portal/t/jobs/{ref}/signature", {"key": "s", "signer_name": "Alice Mehta"},
             files={"file": ("s.png", signature(), "image/png")})
    app_post(tech, f"/portal/t/jobs/{ref}/resolve", {"key": "r", "service_notes": "Fixed"})

    request_page = alice.get(f"/portal/c/requests/{ref}").text
    assert f"/portal/jobs/{ref}/photos/{photo_id}" in request_page and "Signed by Alice Mehta" in request_page
    assert f"/portal/jobs/{ref}/report.pdf" in request_page and "19.1175" not in request_page
    for who in (alice, agent, manager, tech):
        r = who.get(f"/portal/jobs/{ref}/photos/{photo_id}")
        assert (r.status_code, r.headers["Content-Type"], r.content) == (200, "image/jpeg", photo(RED))
        assert who.get(f"/portal/jobs/{ref}/signature").content == signature()
        pdf = who.get(f"/portal/jobs/{ref}/report.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for who in (bob, tech2):
        assert who.get(f"/portal/jobs/{ref}/photos/{photo_id}").status_code == 404
        assert who.get(f"/portal/jobs/{ref}/report.pdf").status_code == 404

    staff_page = manager.get(f"/portal/jobs/{ref}").text
    assert "19.117500, 72.846400" in staff_page and "within 9 m" in staff_page and "1 Elm St" in staff_page
    assert "openstreetmap.org/?mlat=19.117500" in staff_page and "Signed by Alice Mehta" in staff_page
    assert alice.get(f"/portal/jobs/{ref}").status_code == 403  # the customer's page is the request's
    found = manager.get(f"/portal/jobs/?ref={ref.lower()}", allow_redirects=False)
    assert found.headers["Location"] == f"/portal/jobs/{ref}"


def test_the_app_is_installable_manifest_service_worker_offline_page(portal):
    anon = portal.client()
    manifest = anon.get("/portal/manifest.webmanifest")
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    m = json.loads(manifest.text)
    assert (m["start_url"], m["scope"], m["display"], m["id"]) == ("/portal/", "/portal/", "standalone", "/portal/")
    sizes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    from io import BytesIO

    from PIL import Image

    for icon in m["icons"]:
        r = anon.get(icon["src"])
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
        assert "x".join(map(str, Image.open(BytesIO(r.content)).size)) == icon["sizes"]
    sw = anon.get("/portal/sw.js")
    assert sw.headers["Content-Type"].startswith("application/javascript")
    assert sw.headers["Service-Worker-Allowed"] == "/portal/" and sw.headers["Cache-Control"] == "no-cache"
    config = json.loads(sw.text.split("var CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["scope"] == "/portal/" and "/portal/offline" in config["shell"]
    for url in config["shell"]:
        assert anon.get(url).status_code == 200, url
    page = portal.client("manager").get("/portal/m/").text
    assert 'rel="manifest" href="/portal/manifest.webmanifest"' in page and 'name="theme-color"' in page
    offline = anon.get("/portal/offline").text
    assert "No signal" in offline and "Log out" not in offline
