"""Driving a job through process B with the real use cases, step by step."""

from __future__ import annotations

from decimal import Decimal

from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.billing import service as billing
from backend.jobs.models import JobState as S
from backend.processes import job_outcomes
from backend.processes import payments
from tests.factories import NOCOVER_SERIAL, PUMP, World

PATH = [S.NEW, S.SCHEDULED, S.CONFIRMED, S.ADVANCE_REQUESTED, S.ADVANCE_SANCTIONED, S.RELEASED,
        S.IN_PROGRESS, S.RESOLVED, S.FEEDBACK, S.BILLED, S.SETTLED]


def new_job(uow, w: World, serial: str = NOCOVER_SERIAL, key: str | None = None) -> str:
    return intake.raise_request(uow, w.alice, want="service", serial=serial, problem="It broke",
                                idempotency_key=key).job_number


def step(uow, w: World, ref: str, target: S):
    """Perform the one move that leads to ``target`` from the state before it on PATH."""
    if target == S.SCHEDULED:
        start, end = w.next_slot()
        return jobs.schedule_job(uow, w.agent, job_ref=ref, technician_id=w.tech.user_id, start=start, end=end)
    if target == S.CONFIRMED:
        return jobs.confirm_job(uow, w.tech, job_ref=ref)
    if target == S.ADVANCE_REQUESTED:
        return jobs.request_advance(uow, w.tech, job_ref=ref, amount="1000", purpose="bus and train")
    if target == S.ADVANCE_SANCTIONED:
        from backend.jobs.expenses import list_advances

        advance = next(a for a in list_advances(uow, w.agent) if a.job_number == ref and a.state == "requested")
        return jobs.sanction_advance(uow, w.agent, advance_id=advance.id)
    if target == S.RELEASED:
        return jobs.release_job(uow, w.agent, job_ref=ref)
    if target == S.IN_PROGRESS:
        return jobs.report_arrival(uow, w.tech, job_ref=ref)
    if target == S.RESOLVED:
        jobs.add_parts_used(uow, w.tech, job_ref=ref, part_sku=PUMP[0], qty=Decimal("1"))
        return job_outcomes.resolve_job(uow, w.tech, job_ref=ref, service_notes="Replaced the pump")
    if target == S.FEEDBACK:
        return jobs.give_feedback(uow, w.alice, job_ref=ref, rating=4, comment="Quick")
    if target == S.BILLED:  # billing waits for the customer's answer to the estimate
        job = jobs.get_job(uow, w.agent, job_ref=ref)
        if job.estimate_state == "pending" and job.state in (S.RESOLVED, S.FEEDBACK):
            jobs.accept_estimate(uow, w.alice, job_ref=ref)
        return jobs.bill_job(uow, w.agent, job_ref=ref)
    if target == S.SETTLED:
        job = jobs.get_job(uow, w.agent, job_ref=ref)
        inv = billing.get_invoice(uow, w.agent, invoice_ref=job.invoice_number)
        return payments.record_receipt(uow, w.agent, invoice_ref=inv.number, amount=inv.outstanding, method="bank")
    if target == S.CLOSED:
        return jobs.close_job(uow, w.agent, job_ref=ref, note="waived")
    if target == S.CANCELLED:
        return job_outcomes.cancel_job(uow, w.agent, job_ref=ref, reason="customer withdrew")
    raise AssertionError(target)


def drive_to(uow, w: World, target: S, serial: str = NOCOVER_SERIAL) -> str:
    ref = new_job(uow, w, serial)
    if target == S.CANCELLED:  # cancelled after scheduling, so a technician is on it
        step(uow, w, ref, S.SCHEDULED)
        step(uow, w, ref, S.CANCELLED)
        return ref
    if target == S.CLOSED:
        for s in PATH[1:PATH.index(S.RESOLVED) + 1]:
            step(uow, w, ref, s)
        step(uow, w, ref, S.CLOSED)
        return ref
    for s in PATH[1:PATH.index(target) + 1]:
        step(uow, w, ref, s)
    return ref
