"""Moving a job along process B through the API, for tests that need a job
in a given state."""

from __future__ import annotations

from .conftest import Api

ORDER = ["new", "scheduled", "confirmed", "released", "in_progress", "resolved"]


def raise_job(api: Api, *, who: str = "asha", serial: str | None = None, problem: str = "It stopped working",
              **extra) -> dict:
    body = {"want": "service", "problem": problem, **extra}
    if serial:
        body["serial"] = serial
    return api.ok("POST", "/api/requests", who=who, json=body, status=201)


def job_in_state(api: Api, state: str, *, who: str = "asha", serial: str | None = None, tech: str = "tech1") -> str:
    """A new job of ``who`` moved to ``state`` (one of ORDER) by the right roles."""
    ref = raise_job(api, who=who, serial=serial or api.world.serial_uncovered)["job_number"]
    tech_id = api.world.tech1 if tech == "tech1" else api.world.tech2
    steps = {
        "scheduled": lambda: api.ok("POST", f"/api/jobs/{ref}/schedule", who="agent",
                                    json={"technician_id": tech_id, **api.next_slot()}),
        "confirmed": lambda: api.ok("POST", f"/api/jobs/{ref}/confirm", who=tech),
        "released": lambda: api.ok("POST", f"/api/jobs/{ref}/release", who="agent"),
        "in_progress": lambda: api.ok("POST", f"/api/jobs/{ref}/arrival", who=tech),
        "resolved": lambda: api.ok("POST", f"/api/jobs/{ref}/resolve", who=tech,
                                   json={"service_notes": "Cleaned and tested"}),
    }
    for step in ORDER[1:ORDER.index(state) + 1]:
        steps[step]()
    return ref
