"""A property of the money at the door: any sequence of invoices, part
payments at the office, collections (cash and UPI, within and above what is
due, on one's own job and on another's) and deposits (of any choice of
collections, deposited or not, cash or UPI) keeps every voucher balanced, the
customer's statement equal to invoices − receipts, each technician's cash in
hand equal to their undeposited cash and never negative, the bank equal to
what reached it, and the channel report equal to the receipts."""

from __future__ import annotations

import shutil
import uuid
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.errors import DomainError, ErrorCode
from backend.ledger import chart
from backend.ledger.models import Account, LedgerEntry
from backend.ledger.service import party_statement
from backend.billing import service as billing
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import collections as cash
from backend.processes import payments
from backend.reports import collections as reports
from tests.factories import PUMP, build_world
from tests.unit.core.flows import drive_to

FRACTION = st.sampled_from([D("0.1"), D("0.25"), D("0.5"), D("1"), D("1.01")])  # 1.01: more than is due
OPS = st.one_of(
    st.tuples(st.just("bill")),
    st.tuples(st.just("collect"), st.sampled_from(["tech", "tech2"]), st.sampled_from(["cash", "upi"]), FRACTION),
    st.tuples(st.just("office"), st.sampled_from(["cash", "bank", "card"]), FRACTION),
    st.tuples(st.just("deposit"), st.lists(st.integers(0, 7), min_size=1, max_size=3, unique=True)),
)


def _sum(uow, code: str, **where) -> D:
    with uow() as s:
        q = (select(func.coalesce(func.sum(LedgerEntry.debit - LedgerEntry.credit), 0))
             .join(Account, Account.id == LedgerEntry.account_id).where(Account.code == code))
        for k, v in where.items():
            q = q.where(getattr(LedgerEntry, k) == v)
        return D(s.scalar(q)).quantize(D("0.01"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=2, max_size=9))
def test_any_sequence_keeps_the_books_and_cash_in_hand_true(sqlite_template, tmp_path_factory, ops):
    path = tmp_path_factory.getbasetemp() / f"prop-{uuid.uuid4().hex}.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        _run(UnitOfWork(make_session_factory(engine)), ops)
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)


def _run(uow, ops) -> None:
    w = build_world(uow)
    billed: list[str] = []  # jobs with an invoice
    made: list = []  # collections, in order
    office_bank = D("0.00")
    for op in [("bill",), *ops]:
        kind = op[0]
        if kind == "bill":
            if len(billed) < PUMP[3]:  # each bill uses a pump from the world's stock; no more bills than pumps
                billed.append(drive_to(uow, w, S.BILLED))
        elif kind in ("collect", "office"):
            job = billed[-1]
            inv = billing.get_invoice(uow, w.agent, invoice_ref=jobs.get_job(uow, w.agent, job_ref=job).invoice_number)
            amount = (inv.outstanding * op[-1]).quantize(D("0.01")) or D("0.01")
            try:
                if kind == "collect":
                    made.append(cash.record_collection(uow, getattr(w, op[1]), job_ref=job, amount=amount,
                                                       method=op[2], reference="UTR" if op[2] == "upi" else None))
                else:
                    payments.record_receipt(uow, w.agent, invoice_ref=inv.number, amount=amount, method=op[1])
                    office_bank += amount if op[1] != "cash" else 0
            except DomainError as exc:
                expected = {ErrorCode.OVERPAYMENT, ErrorCode.ALREADY_DONE, ErrorCode.INVALID_INPUT}
                if kind == "collect" and op[1] == "tech2":
                    expected = {ErrorCode.NOT_FOUND}
                assert exc.code in expected, exc.as_dict()
                assert op[-1] > 1 or inv.outstanding == 0 or op[1] == "tech2"
        else:
            chosen = [made[i].number for i in op[1] if i < len(made)]
            if not chosen:
                continue
            current = {c.number: c for c in cash.list_collections(uow, w.manager)}
            try:
                cash.record_deposit(uow, w.agent, collection_numbers=chosen, slip_reference="slip")
                assert all(current[n].method == "cash" and current[n].deposit_number is None for n in chosen)
            except DomainError as exc:
                assert exc.code in (ErrorCode.CONFLICT, ErrorCode.ALREADY_DONE), exc.as_dict()
                assert any(current[n].method == "upi" or current[n].deposit_number for n in chosen)
        _invariants(uow, w, office_bank)


def _invariants(uow, w, office_bank: D) -> None:
    with uow() as s:
        unbalanced = s.execute(select(LedgerEntry.voucher_id).group_by(LedgerEntry.voucher_id)
                               .having(func.sum(LedgerEntry.debit) != func.sum(LedgerEntry.credit))).all()
    assert unbalanced == []
    everything = cash.list_collections(uow, w.manager)
    undeposited = sum((c.amount for c in everything if c.method == "cash" and c.deposit_number is None), D("0.00"))
    rows = {r.technician_id: r.cash_in_hand for r in cash.cash_in_hand(uow, w.manager)}
    assert rows.get(w.tech.user_id, D("0.00")) == undeposited >= 0
    assert rows.get(w.tech2.user_id, D("0.00")) == 0
    invoices = billing.list_invoices(uow, w.agent, customer_id=w.alice.customer_id)
    statement = party_statement(uow, w.alice, party_type="customer", party_id=w.alice.customer_id)
    assert statement.closing == sum((i.outstanding for i in invoices), D("0.00"))
    assert statement.total_debit - statement.total_credit == \
        sum((i.total for i in invoices), D("0.00")) - sum((i.paid for i in invoices), D("0.00"))
    deposited = sum((c.amount for c in everything if c.deposit_number), D("0.00"))
    upi = sum((c.amount for c in everything if c.method == "upi"), D("0.00"))
    assert _sum(uow, chart.BANK) == office_bank + upi + deposited
    channels = sum((r.amount for r in reports.collections_by_channel(uow, w.manager)), D("0.00"))
    assert channels == sum((i.paid for i in invoices), D("0.00"))
