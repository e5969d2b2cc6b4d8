"""Process A on SQLite and PostgreSQL: every cover the entitlement check names is stored with the request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.intake import service as intake
from backend.intake.models import ServiceRequest
from tests.factories import AMC_SERIAL, CMC_SERIAL, NOCOVER_SERIAL, WARRANTY_SERIAL


@pytest.mark.parametrize(("serial", "cover"), [
    (CMC_SERIAL, "CMC"),
    (AMC_SERIAL, "AMC"),
    (WARRANTY_SERIAL, "MANUFACTURER_WARRANTY"),
    (NOCOVER_SERIAL, None),
])
def test_a_request_keeps_the_cover_it_was_raised_under(uow, world, serial, cover):
    view = intake.raise_request(uow, world.alice, want="service", serial=serial, problem="Not working")
    with uow() as s:
        stored = s.scalar(select(ServiceRequest.cover).where(ServiceRequest.number == view.number))
    assert stored == cover
