"""A customer confirms their appointment on the request page; the API does the same."""

from __future__ import annotations

from backend.jobs.models import JobState as S
from tests.unit.core.flows import drive_to


def test_the_customer_confirms_the_slot_once_from_the_request_page(portal):
    ref = drive_to(portal.uow, portal.world, S.SCHEDULED)
    alice = portal.client("alice")
    page = alice.get(f"/portal/c/requests/{ref}")
    assert page.status_code == 200 and "Confirm this appointment" in page.text

    done = alice.post(f"/portal/c/jobs/{ref}/confirm-slot")
    assert done.status_code == 200 and "You confirmed this appointment" in done.text
    assert "Confirm this appointment" not in done.text

    again = alice.post(f"/portal/c/jobs/{ref}/confirm-slot")
    assert again.status_code == 409 and "<code>already_done</code>" in again.text


def test_another_customer_cannot_confirm_it(portal):
    ref = drive_to(portal.uow, portal.world, S.SCHEDULED)
    assert portal.client("bob").post(f"/portal/c/jobs/{ref}/confirm-slot").status_code == 404
    assert "Confirm this appointment" in portal.client("alice").get(f"/portal/c/requests/{ref}").text
