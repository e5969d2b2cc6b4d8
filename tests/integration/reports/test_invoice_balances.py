"""Outstanding by invoice (migration 0008): each receivable entry names its
invoice and ``invoice_balances`` keeps each invoice's sum, both written by
posting. Checked here against a full recomputation from the ledger that does
not use either (the voucher's source: the invoice, or the receipt's
invoice), after a mix of invoices, part and full receipts (some dated before
others, one after the day asked about) and a receivable entry tied to no
invoice; and the migration's backfill of rows written before it. (There are
no credit notes in the system: a receipt is the only thing that settles.)
On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import and_, func, select, text

from backend.billing.invoicing import LineInput, issue_invoice
from backend.billing.models import Invoice, Receipt
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.ledger import chart
from backend.ledger import service as ledger
from backend.ledger.models import (
    Account,
    InvoiceBalance,
    LedgerEntry,
    Voucher,
    VoucherKind,
)
from backend.ledger.posting import Line, post_voucher
from backend.migrate import upgrade
from backend.processes import payments
from backend.reports import money as money_reports
from tests.factories import build_world

DAY0 = date.today() - timedelta(days=300)  # receipts are entered within the open year
CENT = D("0.01")


def _receivable_entries(s) -> list[tuple]:
    """(entry id, party id, day, debit - credit, invoice by the voucher's source, invoice_id as stored)."""
    rows = s.execute(
        select(LedgerEntry.id, LedgerEntry.party_id, LedgerEntry.on, LedgerEntry.debit - LedgerEntry.credit,
               Voucher.source_type, Voucher.source_id, Receipt.invoice_id, LedgerEntry.invoice_id)
        .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .outerjoin(Receipt, and_(Voucher.source_type == "receipt", Receipt.id == Voucher.source_id))
        .where(Account.code == chart.RECEIVABLE, LedgerEntry.party_type == "customer")
        .order_by(LedgerEntry.id)
    ).all()
    out = []
    for eid, pid, on, signed, stype, sid, receipt_invoice, stored in rows:
        by_source = sid if stype == "invoice" else receipt_invoice if stype == "receipt" else None
        out.append((eid, pid, on, D(str(signed)).quantize(CENT), by_source, stored))
    return out


def recomputed_balances(s) -> dict[int, tuple[D, date]]:
    sums: dict[int, D] = defaultdict(lambda: D("0.00"))
    last: dict[int, date] = {}
    for _, _, on, signed, invoice, _ in _receivable_entries(s):
        if invoice is not None:
            sums[invoice] += signed
            last[invoice] = max(on, last.get(invoice, on))
    return {i: (sums[i], last[i]) for i in sums}


def stored_balances(s) -> dict[int, tuple[D, date]]:
    return {i: (D(str(b)).quantize(CENT), on)
            for i, b, on in s.execute(select(InvoiceBalance.invoice_id, InvoiceBalance.balance,
                                             InvoiceBalance.last_on))}


def recomputed_outstanding(s, as_of: date) -> dict[int, dict[str, D]]:
    """The ageing a full pass over the ledger gives (what ledger.outstanding computed before 0008)."""
    due_on = dict(s.execute(select(Invoice.id, Invoice.due_on)).all())
    owed: dict[tuple[int, int | None], D] = defaultdict(lambda: D("0.00"))
    for _, pid, on, signed, invoice, _ in _receivable_entries(s):
        if on <= as_of:
            owed[(pid, invoice)] += signed
    out: dict[int, dict[str, D]] = {}
    for (pid, invoice), amount in owed.items():
        if amount == 0:
            continue
        days = (as_of - due_on[invoice]).days if invoice is not None else 0
        bucket = ("current" if days <= 0 else "1-30" if days <= 30 else "31-60" if days <= 60
                  else "61-90" if days <= 90 else "90+")
        b = out.setdefault(pid, {name: D("0.00") for name, _, _ in ledger.BUCKETS})
        b[bucket] += amount
    return out


def as_dict(ageing: list[ledger.Ageing]) -> dict[int, dict[str, D]]:
    for a in ageing:
        assert a.total == sum(a.buckets.values(), D("0.00"))
    return {a.party_id: dict(a.buckets) for a in ageing}


def _issue(uow, actor, customer_id: int, on: date, price: str, qty: str = "1") -> str:
    with uow() as s:
        inv = issue_invoice(s, customer_id=customer_id, source_type="contract", source_id=1, actor=actor, on=on,
                            lines=[LineInput("contract", "Cover", D(qty), D(price), D(18))])
        return inv.number


def test_per_invoice_balances_and_ageing_equal_a_full_recomputation(any_uow):
    w = build_world(any_uow)
    alice, bob = w.alice.customer_id, w.bob.customer_id
    a1 = _issue(any_uow, w.agent, alice, DAY0, "1000")                          # 1180.00
    # 250.50 + CGST 9 % 22.545 -> 22.55 + SGST 22.55 (each half rounded on its own: GST tax invoices)
    a2 = _issue(any_uow, w.agent, alice, DAY0 + timedelta(days=20), "250.50")   # 295.60
    a3 = _issue(any_uow, w.agent, alice, DAY0 + timedelta(days=75), "99.99")    # 117.99
    b1 = _issue(any_uow, w.agent, bob, DAY0 + timedelta(days=3), "400", "3")    # 1416.00
    b2 = _issue(any_uow, w.agent, bob, DAY0 + timedelta(days=40), "10")         # 11.80

    def pay(ref, amount, day):
        payments.record_receipt(any_uow, w.agent, invoice_ref=ref, amount=amount, method="bank",
                               received_on=DAY0 + timedelta(days=day))

    pay(a1, "500", 30)
    pay(a1, "80", 10)          # dated before the first receipt
    pay(a1, "600", 95)         # a1 paid in full, on day 95
    pay(b1, "416", 12)
    pay(b1, "1000", 50)        # b1 paid in full, on day 50
    pay(a2, "95.59", 60)       # a2 part paid
    pay(a2, "50", 25)          # and part paid again, dated before: a2's latest entry stays on day 60
    pay(b2, "11.80", 41)       # b2 paid in full
    with any_uow() as s:       # a receivable entry tied to no invoice (a journal), as outstanding always allowed
        post_voucher(s, kind=VoucherKind.JOURNAL, on=DAY0 + timedelta(days=5), narration="Opening balance",
                     lines=[Line(chart.RECEIVABLE, debit=D("42.00"), party_type="customer", party_id=bob),
                            Line(chart.LABOUR_REVENUE, credit=D("42.00"))], actor=w.agent)

    with any_uow() as s:
        entries = _receivable_entries(s)
        assert len(entries) == 14
        assert all(stored == by_source for *_, by_source, stored in entries)  # posting tied each entry
        assert s.scalar(select(LedgerEntry.id).where(LedgerEntry.invoice_id.is_not(None),
                                                     LedgerEntry.party_type.is_distinct_from("customer"))) is None
        balances = stored_balances(s)
        assert balances == recomputed_balances(s)
        assert [] == s.execute(select(InvoiceBalance.invoice_id).join(Invoice, Invoice.id == InvoiceBalance.invoice_id)
                               .where((InvoiceBalance.customer_id != Invoice.customer_id)
                                      | (InvoiceBalance.due_on != Invoice.due_on))).all()
        ids = {n: s.scalar(select(Invoice.id).where(Invoice.number == n)) for n in (a1, a2, a3, b1, b2)}
        assert balances[ids[a1]] == (D("0.00"), DAY0 + timedelta(days=95))
        assert balances[ids[a2]] == (D("150.01"), DAY0 + timedelta(days=60))
        assert balances[ids[a3]] == (D("117.99"), DAY0 + timedelta(days=75))
        assert balances[ids[b1]] == (D("0.00"), DAY0 + timedelta(days=50))
        assert balances[ids[b2]] == (D("0.00"), DAY0 + timedelta(days=41))

    for day in (-1, 0, 4, 11, 24, 25, 45, 50, 59, 60, 61, 80, 94, 95, 96, 200):
        as_of = DAY0 + timedelta(days=day)
        with any_uow() as s:
            expected = recomputed_outstanding(s, as_of)
        got = as_dict(ledger.outstanding(any_uow, w.manager, as_of=as_of))
        assert got == expected, day
        for pid in (alice, bob):  # one customer's figures by the other path agree
            mine = as_dict(ledger.outstanding(any_uow, w.manager, as_of=as_of, party_id=pid))
            assert mine == {k: v for k, v in expected.items() if k == pid}, (day, pid)

    # hand-worked: on day 45 alice owes a1 1180 - 80 - 500 = 600 (due day 15: 30 days, "1-30") and a2
    # 295.60 - 50 = 245.60 (due day 35: "1-30"); bob owes b1 1416 - 416 = 1000 (due day 18: "1-30") and the untied 42.00
    # ("current"); b2 was paid on day 41
    day45 = as_dict(ledger.outstanding(any_uow, w.manager, as_of=DAY0 + timedelta(days=45)))
    assert day45[alice] == {"current": D("0.00"), "1-30": D("845.60"), "31-60": D("0.00"), "61-90": D("0.00"),
                            "90+": D("0.00")}
    assert day45[bob] == {"current": D("42.00"), "1-30": D("1000.00"), "31-60": D("0.00"), "61-90": D("0.00"),
                          "90+": D("0.00")}
    report = money_reports.outstanding(any_uow, w.manager, start=DAY0, end=DAY0 + timedelta(days=200))
    assert (report.total, [(r.customer_id, r.total, r.d61_90, r.d90_plus) for r in report.rows]) == (
        D("310.00"), [(alice, D("268.00"), D("0.00"), D("268.00")), (bob, D("42.00"), D("0.00"), D("0.00"))])


def test_posting_refuses_an_invoice_on_another_line_or_another_invoice(any_uow):
    w = build_world(any_uow)
    ref = _issue(any_uow, w.agent, w.alice.customer_id, DAY0, "100")
    with any_uow() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == ref))
        with pytest.raises(DomainError):  # a cash line names no invoice
            post_voucher(s, kind=VoucherKind.JOURNAL, on=DAY0, narration="x", actor=w.agent,
                         lines=[Line(chart.CASH, debit=D(1), invoice_id=inv.id),
                                Line(chart.RECEIVABLE, credit=D(1), party_type="customer", party_id=inv.customer_id)])
        with pytest.raises(DomainError):  # a receipt's line names the receipt's invoice, not another
            r = Receipt(invoice_id=inv.id, customer_id=inv.customer_id, amount=D(1), method="cash", received_on=DAY0)
            s.add(r)
            s.flush()
            post_voucher(s, kind=VoucherKind.RECEIPT, on=DAY0, narration="x", actor=w.agent,
                         source_type="receipt", source_id=r.id, invoice=inv,
                         lines=[Line(chart.CASH, debit=D(1)),
                                Line(chart.RECEIVABLE, credit=D(1), party_type="customer", party_id=inv.customer_id,
                                     invoice_id=inv.id + 1000)])


# --- the migration's backfill -----------------------------------------------------------------------------

PRE_0008 = "0007_idempotency_keys"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'backfill.sqlite3'}")
        yield engine
        engine.dispose()
        return
    import os

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests need it (bash .ci/run sets it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_the_migration_ties_existing_entries_and_fills_the_balances(empty_engine):
    upgrade(empty_engine, PRE_0008)
    with empty_engine.begin() as conn:
        q = lambda sql, **kw: conn.execute(text(sql), kw)
        acc = dict(q("SELECT code, id FROM accounts").all())
        q("INSERT INTO customers (id, code, name, created_at) VALUES (1, 'C1', 'One', :t), (2, 'C2', 'Two', :t)",
          t="2025-01-01 00:00:00")
        vid, eid = iter(range(1, 100)), iter(range(1, 100))

        def voucher(kind, on, stype, sid, lines):
            v = next(vid)
            q('INSERT INTO vouchers (id, number, kind, "on", narration, source_type, source_id, created_at) '
              "VALUES (:id, :n, :k, :on, 'x', :st, :sid, :t)", id=v, n=f"VO-{v}", k=kind, on=on, st=stype, sid=sid,
              t="2025-01-01 00:00:00")
            for code, dr, cr, party in lines:
                q('INSERT INTO ledger_entries (id, voucher_id, account_id, party_type, party_id, "on", debit, credit) '
                  "VALUES (:id, :v, :a, :pt, :pid, :on, :dr, :cr)", id=next(eid), v=v, a=acc[code],
                  pt="customer" if party else None, pid=party, on=on, dr=dr, cr=cr)
            return v

        def invoice(iid, cust, on, total):
            v = voucher("sales", on, "invoice", iid, [(chart.RECEIVABLE, total, "0", cust),
                                                       (chart.LABOUR_REVENUE, "0", total, None)])
            q("INSERT INTO invoices (id, number, customer_id, source_type, source_id, issued_on, due_on, subtotal, "
              "tax, total, state, voucher_id, created_at) VALUES (:id, :n, :c, 'contract', 1, :on, :due, :tot, 0, "
              ":tot, 'open', :v, :t)", id=iid, n=f"INV-{iid}", c=cust, on=on, due=on, tot=total, v=v,
              t="2025-01-01 00:00:00")

        def receipt(rid, iid, cust, on, amount):
            q("INSERT INTO receipts (id, number, invoice_id, customer_id, amount, method, received_on, created_at) "
              "VALUES (:id, :n, :i, :c, :a, 'cash', :on, :t)", id=rid, n=f"RC-{rid}", i=iid, c=cust, a=amount, on=on,
              t="2025-01-01 00:00:00")
            voucher("receipt", on, "receipt", rid, [(chart.CASH, amount, "0", None),
                                                     (chart.RECEIVABLE, "0", amount, cust)])

        invoice(1, 1, "2025-01-02", "100.10")
        invoice(2, 1, "2025-01-05", "50.00")
        invoice(3, 2, "2025-01-03", "70.00")
        receipt(1, 1, 1, "2025-01-09", "60.10")
        receipt(2, 1, 1, "2025-01-07", "40.00")
        receipt(3, 3, 2, "2025-01-04", "20.00")
        voucher("journal", "2025-01-04", None, None, [(chart.RECEIVABLE, "5.00", "0", 2),
                                                      (chart.LABOUR_REVENUE, "0", "5.00", None)])
    upgrade(empty_engine)
    uow = UnitOfWork(make_session_factory(empty_engine))
    with uow() as s:
        entries = _receivable_entries(s)
        assert [(eid, stored) for eid, *_, stored in entries] == [(1, 1), (3, 2), (5, 3), (8, 1), (10, 1), (12, 3),
                                                                   (13, None)]
        assert all(stored == by_source for *_, by_source, stored in entries)
        assert s.scalar(select(LedgerEntry.id).where(LedgerEntry.invoice_id.is_not(None),
                                                     LedgerEntry.party_type.is_(None))) is None
        assert stored_balances(s) == recomputed_balances(s) == {
            1: (D("0.00"), date(2025, 1, 9)), 2: (D("50.00"), date(2025, 1, 5)), 3: (D("50.00"), date(2025, 1, 4))}
    for day in range(1, 12):
        as_of = date(2025, 1, day)
        with uow() as s:
            expected = recomputed_outstanding(s, as_of)
        assert as_dict(ledger.outstanding(uow, Actor(Role.MANAGER, None), as_of=as_of)) == expected, day


# --- the generator's bulk rows -------------------------------------------------------------------------------

def test_the_generator_ties_entries_and_keeps_balances_as_posting_does(engine):
    from datetime import datetime

    from backend.generate import generate

    generate(engine, jobs=150, seed=11, now=datetime(2025, 6, 1, 12, tzinfo=UTC), progress=False)
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as s:
        entries = _receivable_entries(s)
        assert entries and all(stored == by_source for *_, by_source, stored in entries)
        balances = stored_balances(s)
        assert balances == recomputed_balances(s) and any(b for b, _ in balances.values())
        assert [] == s.execute(select(InvoiceBalance.invoice_id).join(Invoice, Invoice.id == InvoiceBalance.invoice_id)
                               .where((InvoiceBalance.customer_id != Invoice.customer_id)
                                      | (InvoiceBalance.due_on != Invoice.due_on))).all()
        assert len(balances) == s.scalar(select(func.count()).select_from(Invoice))
        days = sorted(set(s.scalars(select(LedgerEntry.on).where(LedgerEntry.invoice_id.is_not(None)))))
    owing = 0
    for as_of in (days[len(days) // 4], days[len(days) // 2], days[-3], days[-1]):  # before receipts dated after
        with uow() as s:
            expected = recomputed_outstanding(s, as_of)
        assert as_dict(ledger.outstanding(uow, Actor(Role.MANAGER, None), as_of=as_of)) == expected, as_of
        owing += len(expected)
    assert owing
