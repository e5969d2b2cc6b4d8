"""Billing and the ledger, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.catalog.models import Part
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.expenses import list_advances, pay_technician
from backend.jobs.models import JobState as S
from backend.ledger import service as ledger
from backend.ledger.models import LedgerEntry, Voucher
from backend.processes import payments
from tests.factories import AMC_SERIAL, CMC_SERIAL, PUMP
from tests.unit.core.flows import drive_to

D = Decimal


def test_uncovered_job_bills_visit_and_parts_with_tax(uow, world):
    ref = drive_to(uow, world, S.BILLED)
    inv = billing.get_invoice(uow, world.alice, invoice_ref=jobs.get_job(uow, world.alice, job_ref=ref).invoice_number)
    # visit 500.00 + pump 1000.00 = 1500.00; tax 18% = 270.00; total 1770.00
    assert (inv.subtotal, inv.tax, inv.total, inv.outstanding) == (D("1500.00"), D("270.00"), D("1770.00"), D("1770.00"))
    assert [(l.kind, l.amount) for l in inv.lines] == [("labour", D("500.00")), ("part", D("1000.00"))]


def test_amc_covers_labour_only_so_only_the_part_is_billed(uow, world):
    ref = drive_to(uow, world, S.RESOLVED, serial=AMC_SERIAL)
    assert jobs.get_job(uow, world.alice, job_ref=ref).estimate_amount == D("1180.00")
    jobs.accept_estimate(uow, world.alice, job_ref=ref)
    job = jobs.bill_job(uow, world.agent, job_ref=ref)
    assert job.state == S.BILLED
    assert billing.get_invoice(uow, world.agent, invoice_ref=job.invoice_number).total == D("1180.00")


def test_cmc_covers_everything_so_billing_closes_the_job(uow, world):
    ref = drive_to(uow, world, S.RESOLVED, serial=CMC_SERIAL)
    job = jobs.bill_job(uow, world.agent, job_ref=ref)
    assert job.state == S.CLOSED and job.invoice_number is None and job.estimate_state == "none"


def test_a_rejected_estimate_blocks_billing_until_closed_with_a_waiver(uow, world):
    ref = drive_to(uow, world, S.RESOLVED)
    jobs.reject_estimate(uow, world.alice, job_ref=ref)
    with pytest.raises(DomainError) as err:
        jobs.bill_job(uow, world.agent, job_ref=ref)
    assert err.value.code == ErrorCode.CONFLICT
    assert jobs.close_job(uow, world.agent, job_ref=ref, note="goodwill waiver").state == S.CLOSED


def test_part_payments_then_settlement_and_the_party_statement(uow, world):
    ref = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    first = payments.record_receipt(uow, world.agent, invoice_ref=number, amount="770", method="cash")
    assert first.invoice_outstanding == D("1000.00")
    [age] = ledger.outstanding(uow, world.agent, party_id=world.alice.customer_id, as_of=world.today)
    assert age.total == D("1000.00") and age.buckets["current"] == D("1000.00")
    late = ledger.outstanding(uow, world.agent, party_id=world.alice.customer_id, as_of=world.today + timedelta(days=50))
    assert late[0].buckets["31-60"] == D("1000.00")
    with pytest.raises(DomainError) as err:
        payments.record_receipt(uow, world.agent, invoice_ref=number, amount="1000.01", method="bank")
    assert err.value.code == ErrorCode.OVERPAYMENT
    payments.record_receipt(uow, world.agent, invoice_ref=number, amount="1000", method="bank")
    assert jobs.get_job(uow, world.agent, job_ref=ref).state == S.SETTLED
    st = ledger.party_statement(uow, world.alice, party_type="customer", party_id=world.alice.customer_id)
    assert [(l.debit, l.credit, l.balance) for l in st.lines] == [
        (D("1770.00"), D("0.00"), D("1770.00")),
        (D("0.00"), D("770.00"), D("1000.00")),
        (D("0.00"), D("1000.00"), D("0.00")),
    ]
    assert ledger.outstanding(uow, world.agent, party_id=world.alice.customer_id) == []


def test_a_retried_payment_is_recorded_once(uow, world):
    ref = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    a = payments.record_receipt(uow, world.agent, invoice_ref=number, amount="100", method="upi", idempotency_key="pay-1")
    b = payments.record_receipt(uow, world.agent, invoice_ref=number, amount="100", method="upi", idempotency_key="pay-1")
    assert (a.created, b.created, a.number) == (True, False, b.number)
    assert b.invoice_outstanding == D("1670.00")
    with pytest.raises(DomainError) as err:
        payments.record_receipt(uow, world.agent, invoice_ref=number, amount="200", method="upi", idempotency_key="pay-1")
    assert err.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1e12", "NaN", None])
def test_absurd_payment_amounts_are_refused(uow, world, amount):
    ref = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    with pytest.raises(DomainError) as err:
        payments.record_receipt(uow, world.agent, invoice_ref=number, amount=amount, method="cash")
    assert err.value.code == ErrorCode.INVALID_INPUT


@pytest.mark.parametrize("days", [1, 366, 3650 * 3])
def test_a_payment_dated_in_the_future_or_before_the_open_year_is_refused_and_changes_nothing(uow, world, days):
    ref = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    on = date.today() + timedelta(days=days) if days < 366 or days > 3000 else date.today() - timedelta(days=days)
    with uow() as s:
        entries = s.scalar(select(func.count(LedgerEntry.id)))
    with pytest.raises(DomainError) as err:
        payments.record_receipt(uow, world.agent, invoice_ref=number, amount="10", method="cash", received_on=on)
    assert (err.value.code, err.value.details["field"]) == (ErrorCode.INVALID_INPUT, "received_on")
    with uow() as s:
        assert s.scalar(select(func.count(LedgerEntry.id))) == entries
    invoice = billing.get_invoice(uow, world.agent, invoice_ref=number)
    ageing = ledger.outstanding(uow, world.agent, party_id=world.alice.customer_id, as_of=date(9999, 12, 31))
    assert invoice.outstanding == invoice.total == sum(a.total for a in ageing)  # the invoice and the ageing agree


def test_parts_leave_stock_and_stock_never_goes_negative(uow, world):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty="4")
    with pytest.raises(DomainError) as err:
        jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty="2")
    assert err.value.code == ErrorCode.OUT_OF_STOCK
    assert jobs.stock_of(uow, sku=PUMP[0]) == D("1")
    for qty in ("0", "-1", "5000", "x"):
        with pytest.raises(DomainError) as err:
            jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=qty)
        assert err.value.code == ErrorCode.INVALID_INPUT


def test_advance_and_claims_settle_on_the_technicians_account(uow, world):
    ref = drive_to(uow, world, S.RESOLVED)  # includes a sanctioned advance of 1000
    claim = jobs.submit_expense_claim(uow, world.tech, job_ref=ref, lines=[
        {"category": "travel", "description": "Train", "amount": "600"},
        {"category": "food", "description": "Lunch", "amount": "300"},
    ])
    with pytest.raises(DomainError) as err:
        jobs.decide_expense_line(uow, world.agent, line_id=claim.lines[0].id, passed=True)
    assert err.value.code == ErrorCode.FORBIDDEN  # bill passing is the manager's
    jobs.decide_expense_line(uow, world.manager, line_id=claim.lines[0].id, passed=True)
    done = jobs.decide_expense_line(uow, world.manager, line_id=claim.lines[1].id, passed=False, reason="no bill")
    assert (done.state, done.passed_total) == ("part_passed", D("600.00"))
    st = ledger.party_statement(uow, world.tech, party_type="technician", party_id=world.tech.user_id)
    assert st.closing == D("400.00")  # holds 1000 advanced less 600 passed
    pay_technician(uow, world.manager, technician_id=world.tech.user_id, amount="400", direction="recover")
    st = ledger.party_statement(uow, world.tech, party_type="technician", party_id=world.tech.user_id)
    assert st.closing == D("0.00")
    assert list_advances(uow, world.tech)[0].voucher is not None


def test_every_voucher_balances_and_the_trial_balance_nets_to_zero(uow, world):
    drive_to(uow, world, S.SETTLED)
    with uow() as s:
        per_voucher = s.execute(select(Voucher.number, func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))
                                .join(LedgerEntry, LedgerEntry.voucher_id == Voucher.id).group_by(Voucher.number)).all()
    assert per_voucher and all(d == c for _, d, c in per_voucher)
    rows = ledger.trial_balance(uow, world.manager)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_the_stock_check_constraint_backs_up_the_service(uow, world):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with uow() as s:
            s.scalars(select(Part)).first().stock_qty = D("-1")
