"""Correcting a billing mistake: credit notes, cancellation and refunds,
through the real use cases, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.billing.models import CreditNote, Refund
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.models import JobState
from backend.ledger import service as ledger
from backend.ledger.models import Account, LedgerEntry, Voucher
from backend.orders import service as orders
from backend.processes import invoice_corrections as corrections
from backend.processes import payments
from tests.support.delivery import deliver
from backend.notifications.inbox import inbox
from tests.unit.core.flows import drive_to

D = Decimal


def billed_invoice(uow, w) -> tuple[str, str]:
    job = drive_to(uow, w, JobState.BILLED)
    return job, jobs.get_job(uow, w.agent, job_ref=job).invoice_number


def account_totals(uow, voucher_number: str) -> dict[str, tuple[Decimal, Decimal]]:
    with uow() as s:
        rows = s.execute(select(Account.code, func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))
                         .join(LedgerEntry, LedgerEntry.account_id == Account.id)
                         .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
                         .where(Voucher.number == voucher_number).group_by(Account.code)).all()
    return {code: (D(dr), D(cr)) for code, dr, cr in rows}


def inbox_texts(uow, who) -> list[str]:
    deliver(uow)
    return [f"{i.event}: {i.text}" for i in inbox(uow, who, limit=200)]


def test_a_partial_credit_note_reverses_revenue_and_tax_in_proportion_and_the_customer_is_told(uow, world):
    _, inv_ref = billed_invoice(uow, world)
    before = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)

    note = corrections.credit_invoice(uow, world.agent, invoice_ref=inv_ref, amount="118.00",
                                      reason="labour charged twice")

    assert (note.amount, note.taxable + note.tax) == (D("118.00"), D("118.00"))
    assert note.tax == D("18.00")  # every line of the demo world's bill is taxed at 18 %
    after = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    assert after.outstanding == before.outstanding - D("118.00")
    assert (after.credited, after.state) == (D("118.00"), "open")
    statement = ledger.party_statement(uow, world.agent, party_type="customer", party_id=world.alice.customer_id)
    credit_line = next(l for l in statement.lines if l.kind == "credit_note")
    assert credit_line.credit == D("118.00") and note.number in credit_line.narration
    assert statement.closing == after.outstanding
    told = inbox_texts(uow, world.alice)
    assert any(t.startswith("credit_note:") and note.number in t and "labour charged twice" in t for t in told)


def test_the_last_credit_note_reverses_exactly_what_the_invoice_posted(uow, world):
    _, inv_ref = billed_invoice(uow, world)
    inv = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    first = corrections.credit_invoice(uow, world.agent, invoice_ref=inv_ref, amount="100.01", reason="discount")
    payments.record_receipt(uow, world.agent, invoice_ref=inv_ref, amount="10.00", method="cash")
    rest = inv.total - D("100.01")
    last = corrections.credit_invoice(uow, world.manager, invoice_ref=inv_ref, amount=rest, reason="goodwill")

    with uow() as s:
        sales_voucher = s.scalar(select(Voucher.number).where(Voucher.source_type == "invoice",
                                                               Voucher.narration.like(f"%{inv_ref}%")))
    posted = account_totals(uow, sales_voucher)
    reversed_ = {}
    for number in (first.number, last.number):
        with uow() as s:
            vno = s.scalar(select(Voucher.number).join(CreditNote, CreditNote.voucher_id == Voucher.id)
                           .where(CreditNote.number == number))
        for code, (dr, cr) in account_totals(uow, vno).items():
            d0, c0 = reversed_.get(code, (D(0), D(0)))
            reversed_[code] = (d0 + dr, c0 + cr)
    for code, (_, credit) in posted.items():
        if code != "1100":
            assert reversed_[code][0] == credit, code  # every revenue and tax account back to nil
    # The customer had paid 10 when the rest was credited: the invoice is settled, 10 in credit.
    view = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    assert (view.state, view.outstanding) == ("paid", D("-10.00"))
    with pytest.raises(DomainError) as e:
        corrections.credit_invoice(uow, world.agent, invoice_ref=inv_ref, amount="1", reason="more")
    assert e.value.code == ErrorCode.ALREADY_DONE


def test_a_credit_note_on_a_paid_invoice_leaves_the_customer_in_credit_and_a_refund_pays_it_back(uow, world):
    job, inv_ref = billed_invoice(uow, world)
    inv = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    payments.record_receipt(uow, world.agent, invoice_ref=inv_ref, amount=inv.outstanding, method="bank")
    assert jobs.get_job(uow, world.agent, job_ref=job).state == "settled"

    corrections.credit_invoice(uow, world.agent, invoice_ref=inv_ref, amount="236.00", reason="wrong part price")
    assert billing.get_invoice(uow, world.agent, invoice_ref=inv_ref).outstanding == D("-236.00")

    with pytest.raises(DomainError) as e:  # an agent cannot pay money out
        corrections.refund_overpayment(uow, world.agent, invoice_ref=inv_ref, amount="236.00", method="bank")
    assert e.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as e:
        corrections.refund_overpayment(uow, world.manager, invoice_ref=inv_ref, amount="236.01", method="bank")
    assert e.value.code == ErrorCode.INVALID_INPUT

    refund = corrections.refund_overpayment(uow, world.manager, invoice_ref=inv_ref, amount="236.00", method="upi",
                                            reference="UTR 411122223333", idempotency_key="rf-1")
    again = corrections.refund_overpayment(uow, world.manager, invoice_ref=inv_ref, amount="236.00", method="upi",
                                           reference="UTR 411122223333", idempotency_key="rf-1")
    assert (refund.number, refund.created, again.number, again.created) == (refund.number, True, refund.number, False)
    view = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    assert (view.outstanding, view.refunded) == (D("0.00"), D("236.00"))
    statement = ledger.party_statement(uow, world.alice, party_type="customer", party_id=world.alice.customer_id)
    assert statement.closing == D("0.00")
    assert [l.kind for l in statement.lines][-2:] == ["credit_note", "refund"]
    assert any(t.startswith("refund_paid:") and refund.number in t for t in inbox_texts(uow, world.alice))
    with pytest.raises(DomainError) as e:  # nothing left in credit
        corrections.refund_overpayment(uow, world.manager, invoice_ref=inv_ref, amount="1", method="bank")
    assert e.value.code == ErrorCode.CONFLICT


def test_cancelling_an_unpaid_job_invoice_puts_the_job_back_to_be_billed_again(uow, world):
    job, inv_ref = billed_invoice(uow, world)

    note = corrections.cancel_invoice(uow, world.agent, invoice_ref=inv_ref, reason="billed the wrong customer",
                                      idempotency_key="cancel-1")

    assert (note.cancels, note.invoice_state, note.invoice_outstanding) == (True, "cancelled", D("0.00"))
    assert jobs.get_job(uow, world.agent, job_ref=job).state == "resolved"
    assert corrections.cancel_invoice(uow, world.agent, invoice_ref=inv_ref, reason="billed the wrong customer",
                                      idempotency_key="cancel-1").created is False
    with pytest.raises(DomainError) as e:  # a cancelled invoice takes no money
        payments.record_receipt(uow, world.agent, invoice_ref=inv_ref, amount="10", method="cash")
    assert e.value.code == ErrorCode.ILLEGAL_TRANSITION
    rebilled = jobs.bill_job(uow, world.agent, job_ref=job)
    assert rebilled.state == "billed" and rebilled.invoice_number != inv_ref
    told = inbox_texts(uow, world.alice)
    assert any(t.startswith("invoice_cancelled:") and inv_ref in t for t in told)
    statement = ledger.party_statement(uow, world.agent, party_type="customer", party_id=world.alice.customer_id)
    assert statement.closing == billing.get_invoice(uow, world.agent, invoice_ref=rebilled.invoice_number).outstanding


def test_an_invoice_with_money_received_is_not_cancelled_and_nothing_changes(uow, world):
    job, inv_ref = billed_invoice(uow, world)
    payments.record_receipt(uow, world.agent, invoice_ref=inv_ref, amount="50", method="cash")
    with uow() as s:
        vouchers = s.scalar(select(func.count(Voucher.id)))

    with pytest.raises(DomainError) as e:
        corrections.cancel_invoice(uow, world.agent, invoice_ref=inv_ref, reason="mistake")

    assert e.value.code == ErrorCode.CONFLICT
    with uow() as s:
        assert s.scalar(select(func.count(Voucher.id))) == vouchers
        assert s.scalar(select(func.count(CreditNote.id))) == 0
    assert jobs.get_job(uow, world.agent, job_ref=job).state == "billed"


@pytest.mark.parametrize("who", ["tech", "alice"])
def test_only_the_desk_corrects_invoices(uow, world, who):
    _, inv_ref = billed_invoice(uow, world)
    with pytest.raises(DomainError) as e:
        corrections.credit_invoice(uow, getattr(world, who), invoice_ref=inv_ref, amount="10", reason="x")
    assert e.value.code == ErrorCode.FORBIDDEN


def test_credit_beyond_what_is_left_and_blank_reasons_are_refused(uow, world):
    _, inv_ref = billed_invoice(uow, world)
    total = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref).total
    for amount, reason, code in [(total + D("0.01"), "too much", ErrorCode.INVALID_INPUT),
                                 ("10", "   ", ErrorCode.INVALID_INPUT), ("-5", "negative", ErrorCode.INVALID_INPUT)]:
        with pytest.raises(DomainError) as e:
            corrections.credit_invoice(uow, world.agent, invoice_ref=inv_ref, amount=amount, reason=reason)
        assert e.value.code == code
    with uow() as s:
        assert s.scalar(select(func.count(CreditNote.id))) == 0
        assert s.scalar(select(func.count(Refund.id))) == 0


def test_an_order_invoice_cancelled_before_planning_is_invoiced_again_but_not_once_under_way(uow, world):
    from backend.processes import service_orders

    o = orders.create_service_order(uow, world.agent, customer_id=world.alice.customer_id,
                                    description="Install a geyser", lines=[{"code": "VISIT", "qty": 1}])
    o = orders.invoice_service_order(uow, world.agent, order_ref=o.number)
    note = corrections.cancel_invoice(uow, world.agent, invoice_ref=o.invoice_number, reason="wrong charge")
    assert note.invoice_state == "cancelled"
    assert orders.get_service_order(uow, world.agent, order_ref=o.number).state == "new"

    o = orders.invoice_service_order(uow, world.agent, order_ref=o.number)
    start, end = world.next_slot()
    service_orders.plan_service_order(uow, world.agent, order_ref=o.number, technician_id=world.tech.user_id,
                                      start=start, end=end)
    with pytest.raises(DomainError) as e:
        corrections.cancel_invoice(uow, world.agent, invoice_ref=o.invoice_number, reason="too late")
    assert e.value.code == ErrorCode.CONFLICT
    assert billing.get_invoice(uow, world.agent, invoice_ref=o.invoice_number).state == "open"


def test_the_job_profit_counts_a_bill_net_of_its_credit_notes_and_a_rebilled_job_once(uow, world):
    from backend.reports import costing

    day = {"start": world.today, "end": world.today}
    credited_job, credited = billed_invoice(uow, world)
    rebilled_job, cancelled = billed_invoice(uow, world)

    def billed() -> dict[str, Decimal]:
        return {r.name: r.billed for r in costing.job_pnl(uow, world.manager, **day).rows}

    first = billed()
    net = billing.get_invoice(uow, world.agent, invoice_ref=credited).subtotal
    assert first[credited_job] == first[rebilled_job] == net
    note = corrections.credit_invoice(uow, world.agent, invoice_ref=credited, amount="118.00", reason="discount")
    corrections.cancel_invoice(uow, world.agent, invoice_ref=cancelled, reason="wrong lines")
    jobs.bill_job(uow, world.agent, job_ref=rebilled_job)

    after = billed()
    assert after[credited_job] == net - note.taxable  # the partial note moved no state: the facts saw it all the same
    assert after[rebilled_job] == net  # the cancelled bill nets to nil, the new one counts
