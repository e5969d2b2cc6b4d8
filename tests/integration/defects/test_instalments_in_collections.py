"""Defect: collections, ageing and the dashboard treated a contract invoice
split into instalments as wholly due on the invoice's due date. Only the
part of the balance due by the day asked about is overdue, aged by each
instalment's own due date, receipts paying the oldest instalment first."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from backend.billing import service as billing
from backend.coverage import service as contracts
from backend.ledger import service as ledger
from backend.processes import payments
from backend.reports import dashboard as dashboards
from tests.factories import NOCOVER_SERIAL

D = Decimal
TODAY = date.today()
EACH = D("1180.00")  # 12000 + 18 % tax = 14160, in twelve instalments


def twelve_instalment_contract(uow, w) -> str:
    """Accepted today: the first instalment is due in 15 days, then one every 30 days."""
    ref = contracts.open_inquiry(uow, w.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    contracts.send_offer(uow, w.agent, contract_ref=ref, amount="12000", starts_on=TODAY,
                         ends_on=TODAY + timedelta(days=364), visits_per_year=4, instalments=12, type_code="AMC")
    return contracts.accept_offer(uow, w.agent, contract_ref=ref).invoice_number


def buckets(uow, w, as_of: date, *, one: bool = False) -> dict[str, Decimal]:
    rows = ledger.outstanding(uow, w.manager, as_of=as_of,
                              party_id=w.alice.customer_id if one else None)
    mine = [a for a in rows if a.party_id == w.alice.customer_id]
    assert len(mine) == 1
    return {k: v for k, v in mine[0].buckets.items() if v}


def collection_of(uow, w, invoice: str, as_of: date):
    rows = [r for r in billing.collections_due(uow, w.agent, as_of=as_of) if r.invoice_number == invoice]
    return rows[0] if rows else None


def test_twenty_days_after_acceptance_only_the_first_instalment_is_overdue(uow, world):
    invoice = twelve_instalment_contract(uow, world)
    day20 = TODAY + timedelta(days=20)

    due = collection_of(uow, world, invoice, day20)
    assert due is not None
    assert (due.outstanding, due.due_on, due.days_overdue) == (EACH, TODAY + timedelta(days=15), 5)
    assert due.balance == D("14160.00")  # the whole of it is still owed
    for one in (False, True):  # all customers, and one customer's own ageing
        assert buckets(uow, world, day20, one=one) == {"1-30": EACH, "current": D("12980.00")}

    c = dashboards.dashboard(uow, world.manager, start=TODAY, end=day20).collections
    assert (c.overdue_invoices, c.overdue_amount) == (1, EACH)


def test_before_the_first_instalment_falls_due_nothing_is_collected(uow, world):
    invoice = twelve_instalment_contract(uow, world)
    day10 = TODAY + timedelta(days=10)
    assert collection_of(uow, world, invoice, day10) is None
    assert buckets(uow, world, day10) == {"current": D("14160.00")}
    c = dashboards.dashboard(uow, world.manager, start=TODAY, end=day10).collections
    assert (c.overdue_invoices, c.overdue_amount) == (0, D("0.00"))


def test_receipts_pay_the_oldest_instalment_first_and_each_part_ages_from_its_own_date(uow, world):
    invoice = twelve_instalment_contract(uow, world)
    payments.record_receipt(uow, world.agent, invoice_ref=invoice, amount="1180", method="bank")
    day20, day50 = TODAY + timedelta(days=20), TODAY + timedelta(days=50)
    assert collection_of(uow, world, invoice, day20) is None  # the first instalment is paid
    assert buckets(uow, world, day20) == {"current": D("12980.00")}

    payments.record_receipt(uow, world.agent, invoice_ref=invoice, amount="500", method="bank")
    # day 50: instalment 2 (due day 45) has 680 left, 5 days late; instalment 3 (due day 75) is not due
    due = collection_of(uow, world, invoice, day50)
    assert (due.outstanding, due.due_on, due.days_overdue) == (D("680.00"), TODAY + timedelta(days=45), 5)
    assert due.balance == D("12480.00")
    assert buckets(uow, world, day50) == {"1-30": D("680.00"), "current": D("11800.00")}
    # day 80: instalment 2 is 35 days late, instalment 3 (due day 75) 5 days
    assert buckets(uow, world, TODAY + timedelta(days=80), one=True) == {
        "31-60": D("680.00"), "1-30": EACH, "current": D("10620.00")}
    c = dashboards.dashboard(uow, world.manager, start=TODAY, end=TODAY + timedelta(days=80)).collections
    assert (c.overdue_invoices, c.overdue_amount) == (1, D("1860.00"))


def test_an_invoice_without_instalments_is_still_due_whole_on_its_due_date(uow, world):
    from backend.billing.invoicing import LineInput, issue_invoice

    with uow() as s:
        inv = issue_invoice(s, customer_id=world.alice.customer_id, source_type="job", source_id=1,
                            actor=world.agent, lines=[LineInput("labour", "Visit", D(1), D("500"), D(18))])
        number = inv.number
    due = collection_of(uow, world, number, TODAY + timedelta(days=20))
    assert (due.outstanding, due.days_overdue) == (D("590.00"), 5)
    assert due.balance == D("590.00")
    assert buckets(uow, world, TODAY + timedelta(days=20)) == {"1-30": D("590.00")}
