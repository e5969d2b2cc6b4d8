"""One validation for every door: what the API refuses, the portal refuses
too, with the same code and field, and nothing is stored — never cut short
or quietly dropped."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.intake import service as intake
from backend.intake.models import ServiceRequest
from backend.jobs.models import Job
from tests.factories import NOCOVER_SERIAL

BAD_REQUESTS = {
    "a NUL byte in the problem": ({"problem": "Drum\x00 stuck"}, "problem"),
    "an escape character in the problem": ({"problem": "Drum \x1b[31m stuck"}, "problem"),
    "a 5,000-character serial": ({"serial": "S" * 5000}, "serial"),
    "a serial with a line break": ({"serial": "WM-1\nWM-2"}, "serial"),
    "a 4,001-character problem": ({"problem": "x" * 4001}, "problem"),
}


def _count(portal, model) -> int:
    with portal.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("bad", "field"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_the_portal_refuses_what_the_core_refuses_and_stores_nothing(portal, bad, field):
    form = {"want": "service", "serial": NOCOVER_SERIAL, "problem": "The drum does not spin"} | bad
    before = (_count(portal, ServiceRequest), _count(portal, Job))
    with pytest.raises(DomainError) as err:  # the rule, behind every door (API, bot, hub, portal)
        intake.raise_request(portal.uow, portal.world.alice, **form)
    assert (err.value.code, err.value.details["field"]) == (ErrorCode.INVALID_INPUT, field)
    r = portal.client("alice").post("/portal/c/new", form)
    page = html.unescape(r.text)
    # The form comes back with the core's message on the field, nothing stored.
    assert r.status_code == 400 and err.value.message in page and 'aria-invalid="true"' in page
    assert (_count(portal, ServiceRequest), _count(portal, Job)) == before


def test_multi_line_text_keeps_its_line_breaks(portal):
    view = intake.raise_request(portal.uow, portal.world.alice, want="question",
                                problem="First line\nSecond line\twith a tab")
    assert view.problem == "First line\nSecond line\twith a tab"
