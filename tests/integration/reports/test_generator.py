"""The demo-data generator at a small size (200 jobs), on SQLite and
PostgreSQL: its world must be one the services could have written."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from backend.billing.models import Invoice, Receipt
from backend.catalog.models import Part
from backend.coverage.lifecycle import CONTRACT_MOVES
from backend.coverage.models import Contract, ContractState, PlannedVisit
from backend.db import UnitOfWork, make_session_factory
from backend.generate import generate
from backend.history.models import StateChange
from backend.jobs.lifecycle import JOB_MOVES
from backend.jobs.models import Job, JobState
from backend.ledger.models import LedgerEntry, Voucher
from backend.orders.models import OrderState, ServiceOrder
from backend.orders.service import ORDER_MOVES
from backend.repairs.models import RepairOrder, RepairState
from backend.repairs.service import REPAIR_MOVES
from backend.reports import facts
from backend.reports.models import JobFact

NOW = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
LIFECYCLES = {"job": (Job, "state", JOB_MOVES, JobState), "contract": (Contract, "status", CONTRACT_MOVES, ContractState),
              "order": (ServiceOrder, "state", ORDER_MOVES, OrderState),
              "repair": (RepairOrder, "state", REPAIR_MOVES, RepairState)}


@pytest.fixture
def generated(engine):
    summary = generate(engine, jobs=200, seed=7, now=NOW, progress=False)
    return summary, UnitOfWork(make_session_factory(engine))


def test_it_loads_the_jobs_asked_for_and_balances(generated):
    summary, uow = generated
    assert summary.jobs >= 200 and summary.debit_cents == summary.credit_cents
    with uow() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == summary.jobs
        unbalanced = s.execute(
            select(LedgerEntry.voucher_id).group_by(LedgerEntry.voucher_id)
            .having(func.round(func.sum(LedgerEntry.debit) - func.sum(LedgerEntry.credit), 2) != 0)).all()
        assert unbalanced == []
        lonely = s.execute(select(LedgerEntry.voucher_id).group_by(LedgerEntry.voucher_id)
                           .having(func.count() < 2)).all()
        assert lonely == [] and s.scalar(select(func.count()).select_from(Voucher)) == summary.vouchers
        assert s.scalar(select(func.min(Part.stock_qty))) >= 0


def test_every_state_is_reached_by_legal_moves_and_every_move_is_in_the_history(generated):
    _, uow = generated
    with uow() as s:
        for entity, (model, attr, lifecycle, states) in LIFECYCLES.items():
            moves = defaultdict(list)
            for eid, frm, to in s.execute(select(StateChange.entity_id, StateChange.from_state, StateChange.to_state)
                                          .where(StateChange.entity_type == entity)
                                          .order_by(StateChange.entity_id, StateChange.at, StateChange.id)):
                moves[eid].append((frm, to))
            rows = s.execute(select(model.id, getattr(model, attr))).all()
            assert rows, entity
            for eid, final in rows:
                path = [m for m in moves[eid] if m[0] != m[1]]  # parts recorded: a job stays in progress
                assert path and path[0][0] is None, (entity, eid)
                state = path[0][1]
                for frm, to in path[1:]:
                    assert frm == state and lifecycle.can(states(frm), states(to)), (entity, eid, frm, to)
                    state = to
                assert state == final, (entity, eid, path, final)
        seen = set(s.scalars(select(Job.state).distinct()))
        assert len(seen) >= 6 and {"closed", "settled", "new"} <= seen


def test_money_and_plans_hang_together(generated):
    _, uow = generated
    with uow() as s:
        paid = dict(s.execute(select(Receipt.invoice_id, func.sum(Receipt.amount)).group_by(Receipt.invoice_id)).all())
        for inv in s.scalars(select(Invoice)):
            assert inv.total == inv.subtotal + inv.tax
            got = Decimal(str(paid.get(inv.id, 0))).quantize(Decimal("0.01"))
            assert got <= inv.total and (inv.state == "paid") == (got == inv.total), inv.number
            receivable = s.scalar(select(func.sum(LedgerEntry.debit)).where(LedgerEntry.voucher_id == inv.voucher_id,
                                                                            LedgerEntry.party_type == "customer"))
            assert Decimal(str(receivable)).quantize(Decimal("0.01")) == inv.total
        for visit, job in s.execute(select(PlannedVisit, Job).join(Job, Job.id == PlannedVisit.job_id)):
            assert job.contract_id == visit.contract_id and job.request_id is None
        for so in s.scalars(select(ServiceOrder).where(ServiceOrder.state.in_(["planned", "done", "paid"]))):
            assert s.scalar(select(Job.id).where(Job.order_id == so.id)) is not None
        assert s.scalar(select(func.count()).select_from(JobFact)) == s.scalar(
            select(func.count()).select_from(Job).where(Job.resolved_at.is_not(None), Job.state != "cancelled"))


def test_the_facts_it_builds_are_what_a_rebuild_gives(generated):
    _, uow = generated
    with uow() as s:
        before = [tuple(map(str, r)) for r in s.execute(select(*JobFact.__table__.c).order_by(JobFact.job_id))]
        facts.rebuild(s)
    with uow() as s:
        assert [tuple(map(str, r)) for r in s.execute(select(*JobFact.__table__.c).order_by(JobFact.job_id))] == before


def test_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    done = subprocess.run([sys.executable, "-m", "backend.generate", "--jobs", "60", "--database-url", url,
                           "--seed", "2", "--no-progress"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "generated 60 jobs" in done.stdout and "debits = credits" in done.stdout
    from backend.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs")).scalar() == 60
        assert conn.execute(text("SELECT count(*) FROM report_job_facts")).scalar() > 0  # migrated, facts built
    engine.dispose()
