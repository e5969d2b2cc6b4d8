"""POST /api/jobs/{ref}/appointment/confirm: the customer's word on the slot, once."""

from __future__ import annotations

from .conftest import Api, snapshot
from .flows import job_in_state


def test_the_customer_confirms_the_slot_once(api: Api) -> None:
    job = job_in_state(api, "scheduled")
    view = api.ok("POST", f"/api/jobs/{job}/appointment/confirm", who="asha")
    assert view["customer_confirmed_at"] is not None and view["state"] == "scheduled"

    before = snapshot(api.engine)
    again = api.post(f"/api/jobs/{job}/appointment/confirm", who="asha")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_done"
    assert snapshot(api.engine) == before
