"""The scheduled sweeps (backend/processes/reminders.py) on SQLite and
PostgreSQL: each writes the right records, and run a second time on the same
day changes nothing more (every table's row count and every state equal)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.billing.models import CollectionFollowUp
from backend.coverage import service as contracts
from backend.coverage.models import ContractState
from backend.db import utcnow
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.jobs.models import Job
from backend.jobs.models import JobState as S
from backend.models import metadata
from backend.notifications.models import Notification
from backend.processes import reminders
from tests.factories import NOCOVER_SERIAL
from tests.unit.core.flows import drive_to, new_job


def everything(uow) -> dict[str, object]:
    """Row counts of every table, with the states of what has one."""
    out: dict[str, object] = {}
    with uow() as s:
        for table in metadata.sorted_tables:
            out[table.name] = s.execute(select(func.count()).select_from(table)).scalar()
            for col in ("state", "status"):
                if col in table.c:
                    out[f"{table.name}.{col}"] = sorted(s.execute(select(table.c[col])).scalars())
    return out


def twice(uow, run, *args, **kwargs):
    """Run ``run`` twice; the second must change nothing. Returns both results."""
    first = run(uow, *args, **kwargs)
    after_first = everything(uow)
    second = run(uow, *args, **kwargs)
    assert everything(uow) == after_first, "the second run on the same day changed something"
    return first, second


def notices(uow, event: str) -> list[Notification]:
    with uow() as s:
        return list(s.scalars(select(Notification).where(Notification.event == event).order_by(Notification.id)))


def contract(uow, w, *, starts_on: date, ends_on: date, visits_per_year: int = 4) -> str:
    ref = contracts.open_inquiry(uow, w.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    contracts.send_offer(uow, w.agent, contract_ref=ref, amount="1200", starts_on=starts_on, ends_on=ends_on,
                         visits_per_year=visits_per_year, instalments=1, type_code="AMC")
    contracts.accept_offer(uow, w.alice, contract_ref=ref)
    return ref


# --- the daily contract run --------------------------------------------------------------------

def test_the_contract_run_reminds_30_and_7_days_before_the_end_expires_and_makes_visit_jobs(uow, world):
    today = world.today
    soon = contract(uow, world, starts_on=today - timedelta(days=340), ends_on=today + timedelta(days=20))
    first, again = twice(uow, reminders.run_contracts, as_of=today, horizon_days=60)
    assert first.reminded == [soon] and first.expired == [] and again == reminders.ContractRun([], [], [])
    assert len(first.jobs_created) >= 1  # the delivery plan's visits due within 60 days
    assert [n.payload["last"] for n in notices(uow, "renewal_reminder")] == [False]
    assert contracts.get_contract(uow, world.agent, contract_ref=soon).state == ContractState.DUE_FOR_RENEWAL

    # 6 days before the end: the last reminder, once
    week, again = twice(uow, reminders.run_contracts, as_of=today + timedelta(days=14), horizon_days=60)
    assert week.reminded == [soon] and again.reminded == []
    sent = notices(uow, "renewal_reminder")
    assert [(n.payload["last"], n.payload["days_left"]) for n in sent] == [(False, 20), (True, 6)]
    assert {n.dedupe_key for n in sent} == {f"renewal-reminder:{sent[0].subject_id}:{(today + timedelta(days=20))}",
                                            f"renewal-reminder-last:{sent[0].subject_id}:{(today + timedelta(days=20))}"}

    # past its end, unrenewed: expired, once
    end, again = twice(uow, reminders.run_contracts, as_of=today + timedelta(days=21), horizon_days=1)
    assert end.expired == [soon] and again.expired == []
    assert contracts.get_contract(uow, world.agent, contract_ref=soon).state == ContractState.EXPIRED


def test_a_contract_first_seen_in_its_last_week_gets_only_the_last_reminder(uow, world):
    today = world.today
    ref = contract(uow, world, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=5))
    first, _ = twice(uow, reminders.run_contracts, as_of=today, horizon_days=1)
    assert first.reminded == [ref]
    assert [n.payload["last"] for n in notices(uow, "renewal_reminder")] == [True]


def test_a_renewal_under_way_stops_the_reminders(uow, world):
    today = world.today
    ref = contract(uow, world, starts_on=today - timedelta(days=340), ends_on=today + timedelta(days=20))
    reminders.run_contracts(uow, as_of=today, horizon_days=1)
    contracts.renew_contract(uow, world.alice, contract_ref=ref)
    run, _ = twice(uow, reminders.run_contracts, as_of=today + timedelta(days=15), horizon_days=1)
    assert run.reminded == [] and len(notices(uow, "renewal_reminder")) == 1


def test_only_staff_or_the_system_runs_the_sweeps(uow, world):
    for fn in (reminders.run_contracts, reminders.send_appointment_reminders, reminders.send_collection_reminders,
               reminders.close_quiet_tickets, reminders.alert_overdue_work):
        with pytest.raises(DomainError) as err:
            fn(uow, world.alice)
        assert err.value.code == ErrorCode.FORBIDDEN
    assert reminders.close_quiet_tickets(uow, world.agent) == []


# --- appointment reminders ---------------------------------------------------------------------

def _booked(uow, w, *, days: int, hour: int) -> str:
    ref = new_job(uow, w)
    start = datetime.combine(w.today + timedelta(days=days), time(hour), timezone.utc)
    jobs.schedule_job(uow, w.agent, job_ref=ref, technician_id=w.tech.user_id, start=start,
                      end=start + timedelta(hours=2))
    return ref


def test_customers_with_a_visit_tomorrow_are_reminded_once_and_again_when_it_moves(uow, world):
    today = world.today
    tomorrow = _booked(uow, world, days=1, hour=9)
    late = _booked(uow, world, days=1, hour=23)
    _booked(uow, world, days=2, hour=9)  # the day after: not yet
    cancelled = _booked(uow, world, days=1, hour=13)
    from backend.processes.job_outcomes import cancel_job
    cancel_job(uow, world.agent, job_ref=cancelled, reason="customer away")

    # In Kolkata (+05:30) 23:00 UTC tomorrow is already the day after: not for tomorrow there.
    kolkata, _ = twice(uow, reminders.send_appointment_reminders, as_of=today, zone="Asia/Kolkata")
    assert (kolkata.day, kolkata.reminded) == (today + timedelta(days=1), [tomorrow])
    first, again = twice(uow, reminders.send_appointment_reminders, as_of=today, zone="UTC")
    assert (first.reminded, again.reminded) == ([late], [])  # the 09:00 visit has its reminder for that day
    sent = notices(uow, "appointment_reminder")
    assert [n.payload["job"] for n in sent] == [tomorrow, late]
    assert sent[0].customer_id == world.alice.customer_id and sent[0].payload["technician"] == "Tech"
    with uow() as s:
        job_id = s.scalar(select(Job.id).where(Job.number == tomorrow))
    assert sent[0].dedupe_key == f"appt-reminder-{job_id}-{today + timedelta(days=1)}"

    # moved to the day after: reminded again the day before its new date
    start = datetime.combine(today + timedelta(days=2), time(15), timezone.utc)
    jobs.reschedule_job(uow, world.agent, job_ref=tomorrow, start=start, end=start + timedelta(hours=1))
    moved, _ = twice(uow, reminders.send_appointment_reminders, as_of=today + timedelta(days=1), zone="UTC")
    assert tomorrow in moved.reminded
    assert [n.payload["job"] for n in notices(uow, "appointment_reminder")].count(tomorrow) == 2


# --- collection reminders ----------------------------------------------------------------------

def test_overdue_invoices_get_polite_firm_and_final_reminders_each_once_and_on_the_invoice(uow, world):
    ref = drive_to(uow, world, S.BILLED)
    inv = billing.get_invoice(uow, world.agent, invoice_ref=jobs.get_job(uow, world.agent, job_ref=ref).invoice_number)
    due = inv.due_on
    assert twice(uow, reminders.send_collection_reminders, as_of=due)[0] == []  # not overdue on its due date

    levels = []
    for days, level in ((1, "polite"), (14, None), (15, "firm"), (29, None), (30, "final"), (45, None)):
        first, again = twice(uow, reminders.send_collection_reminders, as_of=due + timedelta(days=days))
        assert again == []
        assert [(r.invoice_number, r.level, r.days_overdue) for r in first] == (
            [(inv.number, level, days)] if level else []), days
        levels += [level] if level else []
    sent = notices(uow, "payment_reminder")
    assert [n.payload["level"] for n in sent] == ["polite", "firm", "final"] == levels
    assert all(n.customer_id == world.alice.customer_id and n.payload["invoice"] == inv.number for n in sent)
    with uow() as s:
        follow_ups = s.execute(select(CollectionFollowUp.note, CollectionFollowUp.by_user, CollectionFollowUp.next_on)
                               .order_by(CollectionFollowUp.id)).all()
    assert [(n.split(":")[0], by, nxt) for n, by, nxt in follow_ups] == [
        ("Automatic polite payment reminder", None, due + timedelta(days=15)),
        ("Automatic firm payment reminder", None, due + timedelta(days=30)),
        ("Automatic final payment reminder", None, None)]
    due_list = billing.collections_due(uow, world.agent, as_of=due + timedelta(days=45))
    assert [(c.invoice_number, c.last_follow_up is not None) for c in due_list] == [(inv.number, True)]


def test_an_invoice_found_late_gets_only_the_level_it_reached_and_a_paid_one_none(uow, world):
    late = drive_to(uow, world, S.BILLED)
    paid = drive_to(uow, world, S.SETTLED)
    inv = billing.get_invoice(uow, world.agent, invoice_ref=jobs.get_job(uow, world.agent, job_ref=late).invoice_number)
    first, _ = twice(uow, reminders.send_collection_reminders, as_of=inv.due_on + timedelta(days=20))
    assert [(r.invoice_number, r.level) for r in first] == [(inv.number, "firm")]
    again, _ = twice(uow, reminders.send_collection_reminders, as_of=inv.due_on + timedelta(days=21))
    assert again == []  # never a polite one after the firm one
    assert paid not in {n.payload.get("job") for n in notices(uow, "payment_reminder")}
    assert len(notices(uow, "payment_reminder")) == 1
    assert reminders.collection_level(0) is None and reminders.collection_level(1) == "polite"
    assert reminders.collection_level(15) == "firm" and reminders.collection_level(400) == "final"


# --- tickets answered and left ------------------------------------------------------------------

def _ticket(uow, w, text="How do I descale it?") -> str:
    return intake.raise_request(uow, w.alice, want="question", problem=text).ticket_number


def test_an_answered_ticket_with_no_reply_for_seven_days_closes_with_a_note(uow, world):
    quiet, replied, unanswered = _ticket(uow, world), _ticket(uow, world, "Noise?"), _ticket(uow, world, "Smell?")
    for ref in (quiet, replied):
        intake.answer_ticket(uow, world.agent, ticket_ref=ref, answer="Use the descaling programme.")
    intake.reopen_ticket(uow, world.alice, ticket_ref=replied, note="still noisy")
    now = utcnow()
    assert reminders.close_quiet_tickets(uow, now=now + timedelta(days=6)) == []
    closed, again = twice(uow, reminders.close_quiet_tickets, now=now + timedelta(days=8))
    assert (closed, again) == ([quiet], [])
    states = {t.number: t.state for t in intake.list_tickets(uow, world.agent)}
    assert states == {quiet: "closed", replied: "open", unanswered: "open"}
    with uow() as s:
        last = s.execute(select(StateChange.from_state, StateChange.to_state, StateChange.note, StateChange.channel,
                                StateChange.actor_id)
                         .where(StateChange.entity_type == "ticket").order_by(StateChange.id.desc())).first()
    assert tuple(last) == ("answered", "closed", "closed automatically: no reply within 7 days of the answer",
                           "system", None)
    assert [n.payload["ticket"] for n in notices(uow, "ticket_closed")] == [quiet]


def test_a_ticket_answered_again_after_a_reply_waits_from_the_new_answer(uow, world):
    ref = _ticket(uow, world)
    intake.answer_ticket(uow, world.agent, ticket_ref=ref, answer="Try this.")
    intake.reopen_ticket(uow, world.alice, ticket_ref=ref, note="did not help")
    with uow() as s:  # the first answer was long ago
        for change in s.scalars(select(StateChange).where(StateChange.entity_type == "ticket")):
            change.at = change.at - timedelta(days=30)
    intake.answer_ticket(uow, world.agent, ticket_ref=ref, answer="Then try that.")
    assert reminders.close_quiet_tickets(uow, now=utcnow() + timedelta(days=3), after_days=7) == []
    assert reminders.close_quiet_tickets(uow, now=utcnow() + timedelta(days=3), after_days=2) == [ref]


# --- overdue work ---------------------------------------------------------------------------------

def test_managers_are_alerted_of_overdue_jobs_and_tickets_once_a_day(uow, world):
    unbooked = new_job(uow, world)
    visit_over = _booked(uow, world, days=1, hour=15)
    done = drive_to(uow, world, S.RESOLVED)
    waiting = _ticket(uow, world)
    now = utcnow() + timedelta(days=3)
    day = now.date()

    early, _ = twice(uow, reminders.alert_overdue_work, now=now, as_of=day)
    assert {(i.kind, i.reference) for i in early.items} == {("job", visit_over), ("ticket", waiting)}
    assert early.alerts == 2
    later = now + timedelta(days=5)  # 8 days: the unbooked job too
    first, again = twice(uow, reminders.alert_overdue_work, now=later, as_of=later.date())
    refs = {i.reference for i in first.items}
    assert refs == {unbooked, visit_over, waiting} and done not in refs
    assert (first.alerts, again.alerts) == (3, 0)
    assert "still scheduled" in next(i.reason for i in first.items if i.reference == visit_over)
    sent = notices(uow, "overdue_alert")
    assert len(sent) == 5 and {n.user_id for n in sent} == {world.manager.user_id}
    assert all(n.customer_id is None for n in sent)
    assert {n.payload["reference"] for n in sent} == {unbooked, visit_over, waiting}
    assert {(n.payload["reference"], n.payload["state"]) for n in sent} >= {(visit_over, "scheduled"), (waiting, "open")}
