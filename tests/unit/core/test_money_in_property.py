"""Property: whatever happens to a customer's invoices — part payments at the
desk, cash and UPI collected at the door, deposits, credit notes,
cancellations and refunds, in any order and amount, refused or not — every
voucher balances, the customer's statement equals invoices − credit notes −
receipts + refunds, each invoice's balance equals the same sum for it, and
no technician's cash in hand is ever negative or different from the cash
they collected and have not deposited."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backend.banking.models import Collection
from backend.billing import service as billing
from backend.billing.models import CreditNote, Invoice, Receipt, Refund
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.errors import DomainError
from backend.jobs import service as jobs
from backend.jobs.models import JobState
from backend.ledger import chart
from backend.ledger import service as ledger
from backend.ledger.models import Account, LedgerEntry
from backend.processes import collections, invoice_corrections, payments
from tests.factories import build_world
from tests.unit.core.flows import drive_to

D = Decimal
OPS = ["pay", "collect_cash", "collect_upi", "deposit", "credit", "cancel", "refund", "rebill"]
operation = st.tuples(st.sampled_from(OPS), st.integers(0, 2), st.decimals(min_value=1, max_value=1500, places=2),
                      st.booleans())
seen: set[str] = set()


@pytest.fixture(scope="module")
def billed_template(sqlite_template, tmp_path_factory):
    """A database with the test world and three billed jobs of one technician (built once)."""
    path = tmp_path_factory.mktemp("money") / "billed.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    uow = UnitOfWork(make_session_factory(engine))
    w = build_world(uow)
    refs = [drive_to(uow, w, JobState.BILLED) for _ in range(3)]
    engine.dispose()
    return path, refs


def apply(uow, w, refs, op, i, amount, flag):
    job = refs[i]
    number = jobs.get_job(uow, w.agent, job_ref=job).invoice_number
    if op == "rebill":
        jobs.bill_job(uow, w.agent, job_ref=job)
        seen.add(op)
        return
    if number is None:
        return
    due = billing.get_invoice(uow, w.agent, invoice_ref=number).outstanding
    amount = amount if flag or due <= 0 else min(amount, due)  # sometimes more than is due: refused
    if op == "pay":
        payments.record_receipt(uow, w.agent, invoice_ref=number, amount=amount, method="bank")
    elif op in ("collect_cash", "collect_upi"):
        collections.record_collection(uow, w.tech, job_ref=job, amount=amount, method=op.split("_")[1])
    elif op == "deposit":
        with uow() as s:
            cash = [c.number for c in s.scalars(select(Collection).where(Collection.deposit_id.is_(None),
                                                                         Collection.method == "cash"))]
        if cash:
            collections.record_deposit(uow, w.agent, collection_numbers=cash[: 1 if flag else None],
                                       slip_reference=f"SLIP-{len(cash)}")
    elif op == "credit":
        invoice_corrections.credit_invoice(uow, w.agent, invoice_ref=number, amount=amount, reason="correction")
    elif op == "cancel":
        invoice_corrections.cancel_invoice(uow, w.agent, invoice_ref=number, reason="mistake")
    elif op == "refund":
        invoice_corrections.refund_overpayment(uow, w.manager, invoice_ref=number, method="bank",
                                               amount=amount if flag or due >= 0 else min(amount, -due))
    seen.add(op)


def check(uow, w) -> None:
    with uow() as s:
        unbalanced = s.execute(select(LedgerEntry.voucher_id).group_by(LedgerEntry.voucher_id)
                               # rounded: SQLite sums NUMERIC as floating point
                               .having(func.round(func.sum(LedgerEntry.debit) - func.sum(LedgerEntry.credit), 2) != 0)
                               ).all()
        assert unbalanced == []
        per_invoice = {}
        for inv in s.scalars(select(Invoice).where(Invoice.customer_id == w.alice.customer_id)):
            def total(model, inv=inv):
                return D(s.scalar(select(func.coalesce(func.sum(model.amount), 0))
                                  .where(model.invoice_id == inv.id)))
            per_invoice[inv.number] = inv.total - total(CreditNote) - total(Receipt) + total(Refund)
            assert billing.owed(s, inv) == per_invoice[inv.number], inv.number
        cash_account = s.scalar(select(Account.id).where(Account.code == chart.TECH_CASH))
        held = D(s.scalar(select(func.coalesce(func.sum(LedgerEntry.debit - LedgerEntry.credit), 0))
                          .where(LedgerEntry.account_id == cash_account, LedgerEntry.party_id == w.tech.user_id)))
        undeposited = D(s.scalar(select(func.coalesce(func.sum(Collection.amount), 0))
                                 .where(Collection.method == "cash", Collection.deposit_id.is_(None))))
    statement = ledger.party_statement(uow, w.agent, party_type="customer", party_id=w.alice.customer_id)
    assert statement.closing == sum(per_invoice.values(), D("0.00"))
    assert held >= 0 and held == undeposited


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=3, max_size=25))
# One walk always runs: collected in cash and deposited, credited, refunded, cancelled and billed again.
@example(ops=[("collect_cash", 0, D("500"), False), ("collect_upi", 0, D("1500"), False), ("deposit", 0, D(1), False),
              ("credit", 0, D("700"), False), ("refund", 0, D("700"), False), ("cancel", 1, D(1), False),
              ("rebill", 1, D(1), False), ("pay", 1, D("100"), False), ("credit", 2, D("1"), False)])
def test_any_sequence_of_money_in_keeps_the_books_and_the_statement_true(billed_template, tmp_path, ops):
    template, refs = billed_template
    path = tmp_path / f"money-{abs(hash(tuple(map(str, ops))))}.sqlite3"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    uow = UnitOfWork(make_session_factory(engine))
    try:
        w = build_world_view(uow)
        for op, i, amount, flag in ops:
            try:
                apply(uow, w, refs, op, i, amount, flag)
            except DomainError:
                pass  # a refusal changes nothing; the invariants still hold
            check(uow, w)
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)


def test_the_money_property_reached_every_kind_of_move():
    """Guards the property above from passing vacuously."""
    assert set(OPS) <= seen


def build_world_view(uow):
    """The world the template holds, as actors (its rows are already there)."""
    from backend.identity.actor import Actor
    from backend.identity.models import User

    with uow() as s:
        users = {u.email.split("@")[0]: u for u in s.scalars(select(User))}
    actors = {k: Actor(u.role, u.id, u.customer_id, u.name, "portal") for k, u in users.items()}
    return type("W", (), actors)
