"""The HTTP API of job evidence (issue 16) on SQLite and PostgreSQL: arrival with
the phone's position, photos and the signature uploaded with an
Idempotency-Key (a retry answers 200 with the first result and stores
nothing twice), the stable refusals (415 wrong type, 413 too large, 404
another technician's job, 409 completion without a required signature), what
each role reads back, and the completion report as a PDF."""

from __future__ import annotations

from tests.support.pictures import BLUE, RED, noise, photo, signature

from .conftest import UPLOAD_LIMIT, snapshot
from .flows import job_in_state


def upload(api, path, data, content_type, *, who="tech1", key=None, **params):
    name = "signature.png" if path.endswith("/signature") else "photo.jpg"
    return api.post(path, who=who, params=params, files={"file": (name, data, content_type)},
                    headers={"Idempotency-Key": key} if key else None)


def error_of(r) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_a_visit_recorded_through_the_api(api):
    ref = job_in_state(api, "released")
    arrival = {"location": "shared", "latitude": "-33.856784", "longitude": 151.215297, "accuracy_m": "8.5"}
    first = api.post(f"/api/jobs/{ref}/arrival", who="tech1", json=arrival, headers={"Idempotency-Key": "arr-1"})
    again = api.post(f"/api/jobs/{ref}/arrival", who="tech1", json=arrival, headers={"Idempotency-Key": "arr-1"})
    assert (first.status_code, first.json()["state"], again.status_code) == (200, "in_progress", 200)

    first_photo = upload(api, f"/api/jobs/{ref}/photos", photo(RED), "image/jpeg", key="ph-1", kind="before")
    retry = upload(api, f"/api/jobs/{ref}/photos", photo(RED), "image/jpeg", key="ph-1", kind="before")
    photo_id = first_photo.json()["id"]
    assert (first_photo.status_code, retry.status_code, retry.json()["id"], retry.json()["created"]) == \
        (201, 200, photo_id, False)
    assert upload(api, f"/api/jobs/{ref}/photos", photo(BLUE), "image/jpeg", kind="after").status_code == 201
    note = api.post(f"/api/jobs/{ref}/notes", who="tech1", json={"body": "Customer asked for a call back"})
    assert note.status_code == 201

    before = snapshot(api.engine)
    refusals = [
        (upload(api, f"/api/jobs/{ref}/photos", b"%PDF-1.4 bill", "application/pdf", kind="after"), 415,
         "upload_type_not_allowed"),
        (upload(api, f"/api/jobs/{ref}/photos", noise((200, 200)), "image/png", kind="after"), 413,
         "upload_too_large"),
        (upload(api, f"/api/jobs/{ref}/photos", photo(), "image/jpeg", who="tech2", kind="after"), 404, "not_found"),
        (upload(api, f"/api/jobs/{ref}/signature", photo(), "image/jpeg", signer_name="Asha"), 415,
         "upload_type_not_allowed"),
        (upload(api, f"/api/jobs/{ref}/signature", signature(), "image/png", who="tech2", signer_name="Asha"), 404,
         "not_found"),
    ]
    for r, status, code in refusals:
        assert error_of(r) == (status, code), r.text
    assert snapshot(api.engine) == before  # nothing of a refusal was kept
    assert len(noise((200, 200))) > UPLOAD_LIMIT
    # the job types that need a signature: set where they are defined (the price list, the contract types)
    assert api.ok("POST", "/api/service-charges/VISIT", who="admin", json={"requires_signature": True})[
        "requires_signature"] is True
    assert api.ok("POST", "/api/contract-types/AMC", who="admin", json={"requires_signature": True})[
        "requires_signature"] is True
    before = snapshot(api.engine)
    refused = api.post(f"/api/jobs/{ref}/resolve", who="tech1", json={"service_notes": "Done"})
    assert error_of(refused) == (409, "illegal_transition") and snapshot(api.engine) == before
    assert refused.json()["error"]["details"]["reason"] == "signature_required"

    signed = upload(api, f"/api/jobs/{ref}/signature", signature(), "image/png", signer_name="Asha Mehta",
                    signed_at="2030-01-01T00:00:00Z")
    assert error_of(signed) == (422, "invalid_input")  # the phone's clock in the future: refused, says so
    signed = upload(api, f"/api/jobs/{ref}/signature", signature(), "image/png", signer_name="Asha Mehta")
    assert signed.status_code == 201 and signed.json()["signer_name"] == "Asha Mehta"
    done = api.post(f"/api/jobs/{ref}/resolve", who="tech1", json={"service_notes": "Done"},
                    headers={"Idempotency-Key": "res-1"})
    assert done.status_code == 200 and done.json()["state"] == "resolved"

    staff = api.ok("GET", f"/api/jobs/{ref}/evidence", who="manager")
    assert [p["kind"] for p in staff["photos"]] == ["before", "after"] and staff["signature_required"] is True
    assert staff["arrival"]["latitude"] == "-33.856784" and staff["arrival"]["location"] == "shared"
    assert [n["body"] for n in staff["notes"]] == ["Customer asked for a call back"]
    mine = api.ok("GET", f"/api/jobs/{ref}/evidence", who="asha")
    assert mine["arrival"] is None and mine["notes"] == [] and mine["signature"]["signer_name"] == "Asha Mehta"
    picture = api.get(f"/api/jobs/{ref}/photos/{photo_id}", who="asha")
    assert (picture.status_code, picture.headers["Content-Type"], picture.content) == (200, "image/jpeg", photo(RED))
    assert api.get(f"/api/jobs/{ref}/signature", who="agent").content == signature()
    assert error_of(api.get(f"/api/jobs/{ref}/photos/{photo_id}", who="ravi")) == (404, "not_found")
    report = api.get(f"/api/jobs/{ref}/completion-report", who="asha")
    assert report.status_code == 200 and report.headers["Content-Type"] == "application/pdf"
    assert report.content.startswith(b"%PDF")
