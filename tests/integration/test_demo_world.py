"""`make run` loads the demo world once; it must load cleanly on both databases."""

from sqlalchemy import func, select

from backend import demo
from backend.identity import service as identity
from backend.jobs.models import Job
from backend.ledger.models import LedgerEntry


def test_the_demo_world_loads_once_and_its_logins_work(any_uow):
    logins = demo.load(any_uow)
    assert {l.role for l in logins} == {"admin", "manager", "agent", "technician", "customer"}
    assert demo.load(any_uow) == []  # the second run of `make run` loads nothing
    for login in logins:
        actor = identity.authenticate(any_uow, email=login.email, password=demo.DEMO_PASSWORD)
        assert actor.role == login.role
    with any_uow() as s:
        assert s.scalar(select(func.count(Job.id))) >= 4
        debit, credit = s.execute(select(func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))).one()
    assert debit == credit and debit > 0
