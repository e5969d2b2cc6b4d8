"""Technicians' collections at the door and the bank deposits of their cash
(issue 14 item 3), and the reports over them (item 6): on SQLite and on
PostgreSQL, through the real use cases."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from backend.banking.models import Collection, Deposit
from backend.billing import service as billing
from backend.billing.models import Receipt
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.ledger import chart
from backend.ledger.models import Account, LedgerEntry, Voucher
from backend.ledger.posting import Line, post_voucher
from backend.ledger.service import party_statement
from backend.models import metadata
from backend.processes import collections as cash
from backend.processes import payments
from backend.reports import collections as reports
from tests.support.delivery import told
from tests.unit.core.flows import drive_to, new_job, step

TODAY = date.today()


def billed(uow, w) -> tuple[str, str, D]:
    """A job of Alice's done by ``w.tech`` and invoiced: (job, invoice, amount due)."""
    job = drive_to(uow, w, S.BILLED)
    inv = billing.get_invoice(uow, w.agent, invoice_ref=jobs.get_job(uow, w.agent, job_ref=job).invoice_number)
    return job, inv.number, inv.outstanding


def held(uow, w, tech=None) -> D:
    rows = cash.cash_in_hand(uow, w.manager, technician_id=(tech or w.tech).user_id)
    return rows[0].cash_in_hand if rows else D("0.00")


def balance(uow, code: str, **party) -> D:
    with uow() as s:
        q = (select(func.coalesce(func.sum(LedgerEntry.debit - LedgerEntry.credit), 0))
             .join(Account, Account.id == LedgerEntry.account_id).where(Account.code == code))
        for k, v in party.items():
            q = q.where(getattr(LedgerEntry, k) == v)
        return D(s.scalar(q)).quantize(D("0.01"))


def snapshot(uow) -> dict[str, list[tuple]]:
    with uow() as s:
        return {t.name: [tuple(map(str, r)) for r in s.execute(select(t).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables}


def refused(code: ErrorCode, fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    return caught.value


def every_voucher_balances(uow) -> bool:
    with uow() as s:
        rows = s.execute(select(LedgerEntry.voucher_id, func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))
                         .group_by(LedgerEntry.voucher_id)).all()
    return all(d == c for _, d, c in rows)


# --- collections --------------------------------------------------------------------------------------

def test_cash_collected_at_the_door_is_the_technicians_cash_in_hand_and_the_customers_receipt(uow, world):
    job, inv, due = billed(uow, world)
    bank_before, office_cash_before = balance(uow, chart.BANK), balance(uow, chart.CASH)
    c = cash.record_collection(uow, world.tech, job_ref=job, amount=str(due), method="cash", reference="paid at door")
    assert c.number.startswith("CL-") and c.receipt_number.startswith("RC-") and c.created
    assert (c.job_number, c.invoice_number, c.amount, c.method, c.invoice_outstanding, c.deposit_number) == \
        (job, inv, due, "cash", D("0.00"), None)
    assert held(uow, world) == due == balance(uow, chart.TECH_CASH, party_type="technician",
                                               party_id=world.tech.user_id)
    assert balance(uow, chart.BANK) == bank_before and balance(uow, chart.CASH) == office_cash_before
    # the customer's receipt, their statement, the invoice paid and the job settled, and Alice told
    assert billing.get_invoice(uow, world.alice, invoice_ref=inv).state == "paid"
    assert jobs.get_job(uow, world.agent, job_ref=job).state == S.SETTLED
    statement = party_statement(uow, world.alice, party_type="customer", party_id=world.alice.customer_id)
    assert statement.lines[-1].credit == due and statement.lines[-1].kind == "receipt"
    assert told(uow, world.alice)[-1] == "payment_received"
    assert every_voucher_balances(uow)


def test_upi_at_the_door_goes_to_the_bank_and_keeps_its_reference_for_the_reconciliation(uow, world):
    job, inv, due = billed(uow, world)
    c = cash.record_collection(uow, world.tech, job_ref=job, amount=D("500.00"), method="upi",
                               reference="UTR 4123 9988 7766")
    assert c.invoice_outstanding == due - D("500.00") and c.reference == "UTR 4123 9988 7766"
    assert held(uow, world) == D("0.00") and balance(uow, chart.BANK) == D("500.00")
    with uow() as s:
        receipt = s.scalar(select(Receipt).where(Receipt.number == c.receipt_number))
        assert (receipt.method, receipt.reference, receipt.amount) == ("upi", "UTR 4123 9988 7766", D("500.00"))
    assert jobs.get_job(uow, world.agent, job_ref=job).state == S.BILLED  # part paid: not settled
    assert told(uow, world.alice)[-1] == "payment_received"


def test_a_retried_collection_with_the_same_key_records_once(uow, world):
    job, inv, due = billed(uow, world)
    first = cash.record_collection(uow, world.tech, job_ref=job, amount="1,000", method="cash",
                                   idempotency_key="chat-77:msg-3")
    again = cash.record_collection(uow, world.tech, job_ref=job, amount=D("1000"), method="cash",
                                   idempotency_key="chat-77:msg-3")
    assert first.created and not again.created and again.number == first.number
    assert again.receipt_number == first.receipt_number
    with uow() as s:
        assert s.scalar(select(func.count()).select_from(Collection)) == 1
        assert s.scalar(select(func.count()).select_from(Receipt)) == 1
    assert held(uow, world) == D("1000.00")
    refused(ErrorCode.IDEMPOTENCY_CONFLICT, cash.record_collection, uow, world.tech, job_ref=job, amount="999",
            method="cash", idempotency_key="chat-77:msg-3")
    assert told(uow, world.alice).count("payment_received") == 1


def test_another_technicians_job_is_refused_as_not_found_and_nothing_changes(uow, world):
    job, inv, due = billed(uow, world)
    before = snapshot(uow)
    refused(ErrorCode.NOT_FOUND, cash.record_collection, uow, world.tech2, job_ref=job, amount="10", method="cash")
    refused(ErrorCode.FORBIDDEN, cash.record_collection, uow, world.agent, job_ref=job, amount="10", method="cash")
    refused(ErrorCode.FORBIDDEN, cash.record_collection, uow, world.alice, job_ref=job, amount="10", method="cash")
    refused(ErrorCode.NOT_FOUND, cash.record_collection, uow, world.tech, job_ref="JB-999999", amount="10",
            method="cash")
    assert snapshot(uow) == before


def test_over_collection_a_paid_invoice_no_invoice_and_bad_input_are_refused_and_change_nothing(uow, world):
    job, inv, due = billed(uow, world)
    before = snapshot(uow)
    err = refused(ErrorCode.OVERPAYMENT, cash.record_collection, uow, world.tech, job_ref=job,
                  amount=due + D("0.01"), method="cash")
    assert err.details["outstanding"] == str(due) and err.details["field"] == "amount"
    for kwargs, field in [({"amount": "0"}, "amount"), ({"amount": "lots"}, "amount"),
                          ({"method": "cheque"}, "method"),
                          ({"collected_on": TODAY + timedelta(days=1)}, "collected_on"),
                          ({"collected_on": "yesterday"}, "collected_on")]:
        err = refused(ErrorCode.INVALID_INPUT, cash.record_collection, uow, world.tech, job_ref=job,
                      **{"amount": "10", "method": "cash", **kwargs})
        assert err.details["field"] == field
    assert snapshot(uow) == before
    # a job not billed yet has no invoice to collect against
    unbilled = new_job(uow, world)
    for target in (S.SCHEDULED, S.CONFIRMED):
        step(uow, world, unbilled, target)
    err = refused(ErrorCode.CONFLICT, cash.record_collection, uow, world.tech, job_ref=unbilled, amount="10",
                  method="cash")
    assert err.details["reason"] == "no_invoice"
    # paid by the office: nothing left to collect
    payments.record_receipt(uow, world.agent, invoice_ref=inv, amount=due, method="bank")
    refused(ErrorCode.ALREADY_DONE, cash.record_collection, uow, world.tech, job_ref=job, amount="10", method="cash")


def test_on_a_service_orders_job_the_technician_collects_the_order_invoiced_up_front(uow, world):
    from backend.orders import service as orders
    from backend.processes import service_orders

    o = orders.create_service_order(uow, world.agent, customer_id=world.alice.customer_id,
                                    description="Install a new washer", lines=[{"code": "VISIT", "qty": 1}])
    o = orders.invoice_service_order(uow, world.agent, order_ref=o.number)
    start, end = world.next_slot()
    o = service_orders.plan_service_order(uow, world.agent, order_ref=o.number, technician_id=world.tech.user_id,
                                          start=start, end=end)
    due = cash.collection_due(uow, world.tech, job_ref=o.job_number)
    assert (due.invoice_number, due.outstanding, due.reason) == (o.invoice_number, D("590.00"), None)
    c = cash.record_collection(uow, world.tech, job_ref=o.job_number, amount="590", method="cash")
    assert c.invoice_number == o.invoice_number and c.invoice_outstanding == 0
    assert cash.collection_due(uow, world.tech, job_ref=o.job_number).reason == "paid"
    refused(ErrorCode.NOT_FOUND, cash.collection_due, uow, world.tech2, job_ref=o.job_number)


# --- deposits -----------------------------------------------------------------------------------------

def two_cash_collections(uow, w) -> list:
    out = []
    for amount in ("700.00", "300.50"):
        job, _, _ = billed(uow, w)
        out.append(cash.record_collection(uow, w.tech, job_ref=job, amount=amount, method="cash"))
    return out


def test_a_deposit_moves_cash_in_hand_to_the_bank_once(uow, world):
    c1, c2 = two_cash_collections(uow, world)
    assert held(uow, world) == D("1000.50")
    dep = cash.record_deposit(uow, world.agent, collection_numbers=[c1.number, c2.number],
                              slip_reference="SBI slip 004512", idempotency_key="dep-1")
    assert dep.number.startswith("DP-") and dep.created and dep.amount == D("1000.50")
    assert (dep.slip_reference, dep.deposited_on, dep.collections) == ("SBI slip 004512", TODAY,
                                                                       [c1.number, c2.number])
    assert [(t.technician_id, t.amount) for t in dep.technicians] == [(world.tech.user_id, D("1000.50"))]
    assert held(uow, world) == D("0.00") and balance(uow, chart.BANK) == D("1000.50")
    with uow() as s:
        v = s.scalar(select(Voucher).where(Voucher.number == dep.voucher_number))
        assert (v.kind, v.source_type) == ("journal", "deposit")
    again = cash.record_deposit(uow, world.agent, collection_numbers=[c2.number, c1.number],
                                slip_reference="SBI slip 004512", idempotency_key="dep-1")
    assert not again.created and again.number == dep.number
    with uow() as s:
        assert s.scalar(select(func.count()).select_from(Deposit)) == 1
    assert held(uow, world) == D("0.00") and balance(uow, chart.BANK) == D("1000.50")
    assert [c.deposit_number for c in cash.list_collections(uow, world.tech)] == [dep.number, dep.number]
    assert cash.list_collections(uow, world.manager, undeposited=True) == []
    assert [d.number for d in cash.list_deposits(uow, world.manager)] == [dep.number]
    assert every_voucher_balances(uow)


def test_a_collection_cannot_be_deposited_twice_nor_upi_nor_unknown_nor_in_the_future(uow, world):
    c1, c2 = two_cash_collections(uow, world)
    job, _, _ = billed(uow, world)
    upi = cash.record_collection(uow, world.tech, job_ref=job, amount="100", method="upi", reference="UTR1")
    first = cash.record_deposit(uow, world.manager, collection_numbers=[c1.number], slip_reference="slip-1")
    before = snapshot(uow)
    err = refused(ErrorCode.ALREADY_DONE, cash.record_deposit, uow, world.agent,
                  collection_numbers=[c2.number, c1.number], slip_reference="slip-2")
    assert err.details["deposit"] == first.number
    err = refused(ErrorCode.CONFLICT, cash.record_deposit, uow, world.agent, collection_numbers=[upi.number],
                  slip_reference="slip-2")
    assert err.details["method"] == "upi"
    refused(ErrorCode.NOT_FOUND, cash.record_deposit, uow, world.agent, collection_numbers=["CL-999999"],
            slip_reference="slip-2")
    refused(ErrorCode.NOT_FOUND, cash.record_deposit, uow, world.agent, collection_numbers=["JB-000001"],
            slip_reference="slip-2")
    err = refused(ErrorCode.INVALID_INPUT, cash.record_deposit, uow, world.agent, collection_numbers=[c2.number],
                  slip_reference="slip-2", deposited_on=TODAY + timedelta(days=1))
    assert err.details["field"] == "deposited_on"
    err = refused(ErrorCode.INVALID_INPUT, cash.record_deposit, uow, world.agent, collection_numbers=[c2.number],
                  slip_reference="slip-2", deposited_on=TODAY - timedelta(days=1))
    assert err.details["field"] == "deposited_on"  # before the cash was collected
    err = refused(ErrorCode.INVALID_INPUT, cash.record_deposit, uow, world.agent, collection_numbers=[c2.number],
                  slip_reference="  ")
    assert err.details["field"] == "slip_reference"
    refused(ErrorCode.INVALID_INPUT, cash.record_deposit, uow, world.agent, collection_numbers=[],
            slip_reference="slip-2")
    refused(ErrorCode.FORBIDDEN, cash.record_deposit, uow, world.tech, collection_numbers=[c2.number],
            slip_reference="slip-2")
    assert snapshot(uow) == before


def test_cash_in_hand_never_goes_negative(uow, world):
    (c1, c2) = two_cash_collections(uow, world)
    # the technician handed 700.00 of it to the office cashier (a journal outside the collections)
    with uow() as s:
        post_voucher(s, kind="journal", on=TODAY, narration="Cash handed over at the office", actor=world.manager,
                     lines=[Line(chart.CASH, debit=D("700.00")),
                            Line(chart.TECH_CASH, credit=D("700.00"), party_type="technician",
                                 party_id=world.tech.user_id)])
    assert held(uow, world) == D("300.50")
    before = snapshot(uow)
    err = refused(ErrorCode.CONFLICT, cash.record_deposit, uow, world.agent, collection_numbers=[c1.number],
                  slip_reference="slip-3")
    assert err.details["cash_in_hand"] == "300.50" and err.details["amount"] == "700.00"
    assert snapshot(uow) == before
    cash.record_deposit(uow, world.agent, collection_numbers=[c2.number], slip_reference="slip-4")
    assert held(uow, world) == D("0.00")


def test_the_technician_sees_only_their_own_cash_and_collections(uow, world):
    c1, c2 = two_cash_collections(uow, world)
    assert [r.technician_id for r in cash.cash_in_hand(uow, world.tech2)] == [world.tech2.user_id]
    assert cash.cash_in_hand(uow, world.tech2)[0].cash_in_hand == D("0.00")
    assert cash.list_collections(uow, world.tech2) == []
    assert cash.list_collections(uow, world.tech2, technician_id=world.tech.user_id) == []
    mine = cash.cash_in_hand(uow, world.tech)
    assert (mine[0].cash_in_hand, mine[0].undeposited) == (D("1000.50"), 2)
    refused(ErrorCode.FORBIDDEN, cash.list_deposits, uow, world.tech)
    refused(ErrorCode.FORBIDDEN, cash.cash_in_hand, uow, world.alice)


# --- reports ------------------------------------------------------------------------------------------

def test_the_reports_equal_the_ledger(uow, world):
    c1, c2 = two_cash_collections(uow, world)  # technician cash 1000.50
    job, inv, due = billed(uow, world)
    cash.record_collection(uow, world.tech, job_ref=job, amount="250", method="upi",
                           reference="UTR-9")
    payments.record_receipt(uow, world.agent, invoice_ref=inv, amount="100", method="cash")
    payments.record_receipt(uow, world.agent, invoice_ref=inv, amount="60", method="card")
    payments.record_receipt(uow, world.agent, invoice_ref=inv, amount="40", method="cheque")
    payments.record_receipt(uow, world.agent, invoice_ref=inv, amount="30", method="bank")
    dep = cash.record_deposit(uow, world.agent, collection_numbers=[c1.number], slip_reference="slip-9")

    channels = {r.channel: (r.receipts, r.amount) for r in reports.collections_by_channel(uow, world.manager)}
    assert channels == {
        "office_cash": (1, D("100.00")), "technician_cash": (2, D("1000.50")), "technician_upi": (1, D("250.00")),
        "upi_bank_transfer": (1, D("30.00")), "card": (1, D("60.00")), "cheque": (1, D("40.00")),
        "gateway": (0, D("0.00")), "other": (0, D("0.00")),
    }
    with uow() as s:  # every receipt voucher's debits, by the account they went to
        debits = dict(s.execute(
            select(Account.code, func.sum(LedgerEntry.debit)).join(Account, Account.id == LedgerEntry.account_id)
            .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
            .where(Voucher.kind == "receipt", LedgerEntry.debit > 0).group_by(Account.code)).all())
    assert sum(a for _, a in channels.values()) == sum(debits.values())
    assert channels["technician_cash"][1] == debits[chart.TECH_CASH]
    assert channels["office_cash"][1] == debits[chart.CASH]
    assert reports.collections_by_channel(uow, world.manager, technician_id=world.tech2.user_id)[1].amount == 0

    rows = reports.cash_in_hand(uow, world.agent)
    assert [(r.technician_id, r.opening, r.collected, r.paid_in, r.closing) for r in rows] == \
        [(world.tech.user_id, D("0.00"), D("1000.50"), D("700.00"), D("300.50"))]
    assert rows[0].closing == held(uow, world) == balance(uow, chart.TECH_CASH, party_type="technician",
                                                          party_id=world.tech.user_id)
    later = reports.cash_in_hand(uow, world.agent, start=TODAY + timedelta(days=1), end=TODAY + timedelta(days=2))
    assert [(r.opening, r.collected, r.closing) for r in later] == [(D("300.50"), D("0.00"), D("300.50"))]

    deps = reports.deposits(uow, world.agent)
    assert [(d.number, d.slip_reference, d.amount, d.collections, d.technicians) for d in deps] == \
        [(dep.number, "slip-9", D("700.00"), 1, world.tech.name)]
    with uow() as s:
        banked = s.scalar(select(func.sum(LedgerEntry.debit)).join(Voucher, Voucher.id == LedgerEntry.voucher_id)
                          .join(Account, Account.id == LedgerEntry.account_id)
                          .where(Voucher.source_type == "deposit", Account.code == chart.BANK))
    assert sum(d.amount for d in deps) == banked
    refused(ErrorCode.FORBIDDEN, reports.collections_by_channel, uow, world.agent)
    refused(ErrorCode.FORBIDDEN, reports.cash_in_hand, uow, world.tech)


# --- concurrency ----------------------------------------------------------------------------------------

def test_concurrent_retries_collect_once_and_concurrent_deposits_of_one_collection_deposit_once(uow, world):
    from tests.integration.processes.test_idempotency import in_threads

    job, inv, due = billed(uow, world)
    results = in_threads(4, lambda: cash.record_collection(uow, world.tech, job_ref=job, amount="500", method="cash",
                                                           idempotency_key="race"))
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert held(uow, world) == D("500.00")
    number = results[0].number
    tries = iter(range(4))
    results = in_threads(4, lambda: cash.record_deposit(uow, world.agent, collection_numbers=[number],
                                                        slip_reference=f"slip-{next(tries)}"))
    done = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(done) == 1 and all(isinstance(r, DomainError) and r.code == ErrorCode.ALREADY_DONE for r in refusals)
    assert held(uow, world) == D("0.00") and balance(uow, chart.BANK) == D("500.00")
