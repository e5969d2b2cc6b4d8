"""The job-facts pre-aggregation stays what a rebuild from the live tables
gives, after real use cases change the world under it (billing, feedback,
expense decisions, receipts, a new call on a recently fixed item)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.billing import service as billing
from backend.billing.models import Invoice
from backend.catalog.models import Item
from backend.db import UnitOfWork, make_session_factory, utcnow
from backend.generate import generate
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.jobs.models import ExpenseClaim, ExpenseLine, Feedback, Job
from backend.processes import payments
from backend.reports import facts
from backend.reports.models import JobFact, Watermark
from backend.reports.technicians import scoreboard


def facts_table(uow) -> list[tuple]:
    with uow() as s:
        return [tuple(str(v) for v in r) for r in s.execute(select(*JobFact.__table__.c).order_by(JobFact.job_id))]


def staff(uow, role: str) -> Actor:
    with uow() as s:
        uid = s.scalar(select(User.id).where(User.role == role).order_by(User.id).limit(1))
    return Actor(Role(role), uid, None, role, "portal")


@pytest.fixture
def world(engine):
    generate(engine, jobs=300, seed=11, progress=False)  # "now" is the present: the services can act on it
    return UnitOfWork(make_session_factory(engine))


def test_refresh_keeps_the_facts_equal_to_a_rebuild(world):
    uow = world
    manager, agent = staff(uow, "manager"), staff(uow, "agent")
    today = date.today()
    scoreboard(uow, manager, start=today - timedelta(days=60), end=today)  # reads the facts: nothing to patch
    done = []
    with uow() as s:
        to_bill = s.scalars(select(Job).where(Job.state.in_(["resolved", "feedback"]), Job.order_id.is_(None),
                                              Job.estimate_state.in_(["accepted", "none"])).limit(3)).all()
        unrated = s.scalars(select(Job).where(Job.state.in_(["billed", "closed", "settled"]),
                                              ~Job.id.in_(select(Feedback.job_id))).limit(2)).all()
        pending = s.scalars(select(ExpenseLine).join(ExpenseClaim).where(ExpenseLine.state == "pending")).all()
        open_inv = s.scalars(select(Invoice).where(Invoice.state == "open", Invoice.source_type == "job")
                             .limit(2)).all()
        recent = s.execute(select(Job, Item.serial).join(Item, Item.id == Job.item_id)
                           .where(Job.resolved_at > utcnow() - timedelta(days=20), Job.request_id.is_not(None),
                                  Job.visits <= 1, Item.warranty_until < today).limit(2)).all()
    for job in to_bill:
        jobs.bill_job(uow, agent, job_ref=job.number)
        done.append("bill")
    for job in unrated:
        jobs.give_feedback(uow, Actor(Role.CUSTOMER, None, job.customer_id, "c", "chat"), job_ref=job.number,
                           rating=3)
        done.append("feedback")
    for line in pending:
        billing_free = line.id % 2 == 0
        jobs.decide_expense_line(uow, manager, line_id=line.id, passed=billing_free,
                                 reason=None if billing_free else "no bill")
        done.append("claim")
    for inv in open_inv:
        view = billing.get_invoice(uow, agent, invoice_ref=inv.number)
        payments.record_receipt(uow, agent, invoice_ref=inv.number, amount=view.outstanding, method="upi")
        done.append("receipt")
    for job, serial in recent:
        intake.raise_request(uow, Actor(Role.CUSTOMER, None, job.customer_id, "c", "chat"), want="service",
                             serial=serial, problem="It is broken again")
        done.append("repeat call")
    assert {"bill", "feedback", "receipt", "repeat call"} <= set(done), done

    scoreboard(uow, manager, start=today - timedelta(days=60), end=today)  # patches the facts it touched
    patched = facts_table(uow)
    with uow() as s:
        mark = s.get(Watermark, facts.NAME)
        assert mark is not None and mark.change_id > 0
        facts.rebuild(s)
    assert facts_table(uow) == patched
    with uow() as s:  # a repeat call undid the first-visit fix of the job before it
        for job, _ in recent:
            assert s.get(JobFact, job.id).first_fix is False
