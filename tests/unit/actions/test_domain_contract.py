"""The actions and the domain agree: every response an action sends exists,
every custom action the domain lists is served, every form has its validator."""

from __future__ import annotations

import re

from rasa_sdk.executor import ActionExecutor

from backend.errors import ErrorCode
from backend.intake.models import RequestKind
from backend.jobs.models import JobState
from tests.unit.actions.helpers import DOMAIN, ROOT

SOURCE = "\n".join(p.read_text() for p in sorted((ROOT / "actions").glob("*.py")))


def test_every_response_named_in_the_actions_exists():
    named = set(re.findall(r'"(utter_[a-z_]+)"', SOURCE))
    assert named and named - set(DOMAIN["responses"]) == set()


def test_every_built_response_name_exists():
    responses = set(DOMAIN["responses"])
    assert {f"utter_error_{c}" for c in ErrorCode} <= responses
    assert {f"utter_job_status_{s}" for s in JobState} | {"utter_job_status_resolved_estimate_pending"} <= responses
    request_kinds = {k for k in RequestKind if k not in (RequestKind.JOB, RequestKind.ORDER)}
    assert {f"utter_request_status_{k}" for k in request_kinds} <= responses


def test_the_action_server_serves_exactly_the_domains_custom_actions():
    executor = ActionExecutor()
    executor.register_package("actions")
    custom = {a for a in DOMAIN["actions"] if not a.startswith("utter_")}
    assert set(executor.actions) == custom
    assert {f"validate_{form}" for form in DOMAIN["forms"]} <= custom


def test_no_wording_in_the_actions():
    """Actions send response names; any user-facing sentence lives in the domain."""
    assert "utter_message(text=" not in SOURCE
    assert not re.search(r"utter_message\(\s*\"", SOURCE)


def test_slots_the_actions_set_exist():
    set_slots = set(re.findall(r'SlotSet\("([a-z_]+)"', SOURCE)) | set(re.findall(r'\.set\("([a-z_]+)"', SOURCE))
    assert set_slots - set(DOMAIN["slots"]) - {"requested_slot"} == set()
