"""Money: sales register, extra billing outside contracts, outstanding and
ageing, party statement (both from ``backend.ledger.service``) and cash flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from backend.billing.models import Invoice, InvoiceLine, Receipt
from backend.coverage.models import Contract, CoverageType
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.jobs.models import Job
from backend.ledger import chart
from backend.ledger import service as ledger
from backend.ledger.models import Account, InvoiceBalance, LedgerEntry
from backend.reports.common import (
    CUSTOMER_OR_OPERATIONS, MANAGERS, Sql, an_id, as_date, begin, dec, day_filter, one_of, row_limit,
)

SOURCES = ("job", "contract", "order", "repair")


@dataclass(frozen=True)
class SalesLine:
    """An invoice: its taxable value (``subtotal``) and its tax, split into CGST, SGST and IGST
    (an invoice issued before GST tax invoices has its tax undivided: place of supply None, splits 0)."""

    number: str
    issued_on: date
    due_on: date
    customer_id: int
    customer: str
    source_type: str
    source_id: int
    customer_gstin: str | None
    place_of_supply: str | None
    subtotal: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    state: str


@dataclass(frozen=True)
class SalesBySource:
    source_type: str
    invoices: int
    subtotal: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class SalesRegister:
    start: date
    end: date
    invoices: int
    subtotal: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    tax: Decimal
    total: Decimal
    by_source: list[SalesBySource]
    lines: list[SalesLine]
    truncated: bool


def _paid(invoice):
    return (select(func.coalesce(func.sum(Receipt.amount), 0)).where(Receipt.invoice_id == invoice.id)
            .correlate(invoice).scalar_subquery())


def sales_register(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                   customer_id: int | None = None, source_type: str | None = None, limit: int | None = None,
                   **unknown: Any) -> SalesRegister:
    """Invoices issued in the range (sales and contract invoices), with what
    has been received on each; totals per source. Each invoice shows its
    taxable value and its CGST, SGST and IGST (the GST summary by rate is the
    ``gst-summary`` report)."""
    p = begin(actor, MANAGERS, start, end, unknown)
    customer_id = an_id(customer_id, "customer_id")
    if source_type is not None:
        one_of(source_type, SOURCES, "source_type")
    limit = row_limit(limit)
    conds = [day_filter(Invoice.issued_on, p)]
    if customer_id is not None:
        conds.append(Invoice.customer_id == customer_id)
    if source_type is not None:
        conds.append(Invoice.source_type == source_type)
    with uow() as s:
        Sql(s).tune(s)
        groups = s.execute(select(Invoice.source_type, func.count(), func.sum(Invoice.subtotal), func.sum(Invoice.cgst),
                                  func.sum(Invoice.sgst), func.sum(Invoice.igst), func.sum(Invoice.tax),
                                  func.sum(Invoice.total)).where(*conds).group_by(Invoice.source_type)
                           .order_by(Invoice.source_type)).all()
        paid = _paid(Invoice)
        owed = (select(InvoiceBalance.balance).where(InvoiceBalance.invoice_id == Invoice.id)  # net of credit notes
                .correlate(Invoice).scalar_subquery())
        rows = s.execute(
            select(Invoice.number, Invoice.issued_on, Invoice.due_on, Invoice.customer_id, Customer.name,
                   Invoice.source_type, Invoice.source_id, Invoice.customer_gstin, Invoice.place_of_supply,
                   Invoice.subtotal, Invoice.cgst, Invoice.sgst, Invoice.igst, Invoice.tax, Invoice.total, paid,
                   owed, Invoice.state)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(*conds).order_by(Invoice.issued_on, Invoice.id).limit(limit)
        ).all()
    by_source = [SalesBySource(st, int(n), dec(a), dec(c), dec(sg), dec(ig), dec(t), dec(tot))
                 for st, n, a, c, sg, ig, t, tot in groups]
    lines = [SalesLine(num, iss, due, cid, cname, st, sid, gstin, pos, dec(sub), dec(c), dec(sg), dec(ig), dec(tax),
                       dec(tot), dec(pd), dec(ow), state)
             for num, iss, due, cid, cname, st, sid, gstin, pos, sub, c, sg, ig, tax, tot, pd, ow, state in rows]
    count = sum(b.invoices for b in by_source)

    def total(name: str) -> Decimal:
        return sum((getattr(b, name) for b in by_source), dec(0))

    return SalesRegister(p.start, p.end, count, total("subtotal"), total("cgst"), total("sgst"), total("igst"),
                         total("tax"), total("total"), by_source, lines, count > len(lines))


# --- extra billing outside contracts ------------------------------------------------------------------

@dataclass(frozen=True)
class ExtraBill:
    invoice: str
    issued_on: date
    job: str
    contract: str
    contract_type: str
    customer_id: int
    customer: str
    labour: Decimal
    parts: Decimal
    subtotal: Decimal
    total: Decimal


@dataclass(frozen=True)
class ExtraByType:
    contract_type: str
    invoices: int
    labour: Decimal
    parts: Decimal
    subtotal: Decimal


@dataclass(frozen=True)
class ExtraBilling:
    invoices: int
    subtotal: Decimal
    by_type: list[ExtraByType]
    bills: list[ExtraBill]
    truncated: bool


def extra_billing(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                  customer_id: int | None = None, contract_type: str | None = None, limit: int | None = None,
                  **unknown: Any) -> ExtraBilling:
    """Invoices issued in the range on jobs that ran under a contract (AMC,
    CMC, extended warranty): what the cover did not include (labour, parts)."""
    p = begin(actor, MANAGERS, start, end, unknown)
    customer_id = an_id(customer_id, "customer_id")
    limit = row_limit(limit)
    conds = [day_filter(Invoice.issued_on, p), Invoice.source_type == "job"]
    contract_conds = []
    if customer_id is not None:
        conds.append(Invoice.customer_id == customer_id)
    if contract_type is not None:
        if not isinstance(contract_type, str) or not 1 <= len(contract_type) <= 20:
            raise invalid("contract_type is a coverage type code such as AMC", field="contract_type")
        contract_conds.append(Contract.type_code == contract_type)
    def line_sum(kind: str):
        return (select(func.coalesce(func.sum(InvoiceLine.amount), 0))
                .where(InvoiceLine.invoice_id == Invoice.id, InvoiceLine.kind == kind)
                .correlate(Invoice).scalar_subquery())

    # the range's job invoices, each with its job's contract by primary key (a probe per invoice: the
    # planner would otherwise hash every job of the year to find a month's few thousand)
    job_of = (select(Job.contract_id).where(Job.id == Invoice.source_id).correlate(Invoice).scalar_subquery())
    job_no = (select(Job.number).where(Job.id == Invoice.source_id).correlate(Invoice).scalar_subquery())
    invoices = (select(Invoice.id.label("iid"), Invoice.number.label("invoice"), Invoice.issued_on.label("issued_on"),
                       Invoice.customer_id.label("customer_id"), Invoice.subtotal.label("subtotal"),
                       Invoice.total.label("total"), job_no.label("job"), job_of.label("contract_id"),
                       line_sum("labour").label("labour"), line_sum("part").label("parts"))
                .where(*conds).subquery())
    bills = (select(invoices, Contract.number.label("contract"), Contract.type_code.label("type_code"))
             .join(Contract, Contract.id == invoices.c.contract_id).where(*contract_conds).subquery())
    with uow() as s:
        Sql(s).tune(s)
        groups = s.execute(
            select(bills.c.type_code, func.count(), func.sum(bills.c.labour), func.sum(bills.c.parts),
                   func.sum(bills.c.subtotal))
            .group_by(bills.c.type_code).order_by(bills.c.type_code)
        ).all()
        rows = s.execute(
            select(bills.c.invoice, bills.c.issued_on, bills.c.job, bills.c.contract, CoverageType.name,
                   bills.c.customer_id, Customer.name, bills.c.labour, bills.c.parts, bills.c.subtotal, bills.c.total)
            .join(CoverageType, CoverageType.code == bills.c.type_code)
            .join(Customer, Customer.id == bills.c.customer_id)
            .order_by(bills.c.issued_on, bills.c.iid).limit(limit)
        ).all()
    by_type = [ExtraByType(t, int(n), dec(lab), dec(par), dec(sub)) for t, n, lab, par, sub in groups]
    bills = [ExtraBill(inv, iss, job, ct, ctype, cid, cname, dec(lab), dec(par), dec(sub), dec(tot))
             for inv, iss, job, ct, ctype, cid, cname, lab, par, sub, tot in rows]
    count = sum(t.invoices for t in by_type)
    return ExtraBilling(count, sum((t.subtotal for t in by_type), dec(0)), by_type, bills, count > len(bills))


# --- outstanding and statements: the ledger's own read side --------------------------------------------

@dataclass(frozen=True)
class OutstandingRow:
    customer_id: int
    customer: str
    total: Decimal
    current: Decimal
    d1_30: Decimal
    d31_60: Decimal
    d61_90: Decimal
    d90_plus: Decimal


@dataclass(frozen=True)
class Outstanding:
    as_of: date
    total: Decimal
    customers: int
    rows: list[OutstandingRow]
    truncated: bool


def outstanding(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                customer_id: int | None = None, limit: int | None = None, **unknown: Any) -> Outstanding:
    """What each customer owes at the end of the range, aged by invoice due
    date (``backend.ledger.service.outstanding``); largest debts first. A
    customer sees only their own."""
    p = begin(actor, CUSTOMER_OR_OPERATIONS, start, end, unknown)
    customer_id = an_id(customer_id, "customer_id")
    limit = row_limit(limit)
    if actor.role == Role.CUSTOMER and customer_id is None:
        customer_id = actor.customer_id  # their own; someone else's is refused by the ledger
    ageing = ledger.outstanding(uow, actor, party_type="customer", as_of=p.end, party_id=customer_id)
    ageing.sort(key=lambda a: (-a.total, a.party_id))
    shown = ageing[:limit]
    with uow() as s:
        names = dict(s.execute(select(Customer.id, Customer.name)
                               .where(Customer.id.in_([a.party_id for a in shown]))).all()) if shown else {}
    rows = [OutstandingRow(a.party_id, names.get(a.party_id, ""), a.total, a.buckets["current"], a.buckets["1-30"],
                           a.buckets["31-60"], a.buckets["61-90"], a.buckets["90+"]) for a in shown]
    return Outstanding(p.end, sum((a.total for a in ageing), dec(0)), len(ageing), rows, len(ageing) > len(rows))


def party_statement(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                    party_type: str = "customer", party_id: int | None = None,
                    **unknown: Any) -> ledger.Statement:
    """The party's account statement for the range, with opening and running
    balance (``backend.ledger.service.party_statement``). A customer sees
    their own; a technician their own advances account."""
    p = begin(actor, tuple(Role), start, end, unknown)
    one_of(party_type, ("customer", "technician"), "party_type")
    if party_id is None and actor.role == Role.CUSTOMER and party_type == "customer":
        party_id = actor.customer_id
    if party_id is None and actor.role == Role.TECHNICIAN and party_type == "technician":
        party_id = actor.user_id
    if party_id is None:
        raise invalid("say whose statement: party_id", field="party_id")
    party_id = an_id(party_id, "party_id")
    return ledger.party_statement(uow, actor, party_type=party_type, party_id=party_id, start=p.start, end=p.end)


# --- cash flow -------------------------------------------------------------------------------------------

CASH_ACCOUNTS = {"cash": (chart.CASH,), "bank": (chart.BANK,), "all": (chart.CASH, chart.BANK)}


@dataclass(frozen=True)
class CashFlowRow:
    period: date
    account: str
    inflow: Decimal
    outflow: Decimal
    net: Decimal
    closing: Decimal


@dataclass(frozen=True)
class CashFlow:
    by: str
    opening: dict[str, Decimal]
    inflow: Decimal
    outflow: Decimal
    closing: dict[str, Decimal]
    rows: list[CashFlowRow]


def cash_flow(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
              by: str = "day", account: str = "all", **unknown: Any) -> CashFlow:
    """Money in (debits) and out (credits) of cash (1000) and bank (1010) per
    day, week (from Monday) or month, from the ledger, with the running balance."""
    p = begin(actor, MANAGERS, start, end, unknown)
    one_of(by, ("day", "week", "month"), "by")
    one_of(account, tuple(CASH_ACCOUNTS), "account")
    codes = CASH_ACCOUNTS[account]
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        ids = dict(s.execute(select(Account.code, Account.id).where(Account.code.in_(codes))).all())
        code_of = {v: k for k, v in ids.items()}
        opening = dict(s.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.debit - LedgerEntry.credit))
            .where(LedgerEntry.account_id.in_(ids.values()), LedgerEntry.on < p.start)
            .group_by(LedgerEntry.account_id)).all())
        bucket = sql.bucket(LedgerEntry.on, by)
        per = (select(bucket.label("period"), LedgerEntry.account_id.label("acc"),
                      func.sum(LedgerEntry.debit).label("inflow"), func.sum(LedgerEntry.credit).label("outflow"))
               .where(LedgerEntry.account_id.in_(ids.values()), day_filter(LedgerEntry.on, p))
               .group_by(bucket, LedgerEntry.account_id).subquery())
        running = func.sum(per.c.inflow - per.c.outflow).over(partition_by=per.c.acc, order_by=per.c.period)
        rows = s.execute(select(per.c.period, per.c.acc, per.c.inflow, per.c.outflow, running)
                         .order_by(per.c.period, per.c.acc)).all()
    open_by_code = {code: dec(opening.get(ids[code])) for code in codes if code in ids}
    out = [CashFlowRow(as_date(d), code_of[acc], dec(i), dec(o), dec(i) - dec(o), open_by_code[code_of[acc]] + dec(r))
           for d, acc, i, o, r in rows]
    closing = dict(open_by_code)
    for r in out:
        closing[r.account] = r.closing
    return CashFlow(by, open_by_code, sum((r.inflow for r in out), dec(0)), sum((r.outflow for r in out), dec(0)),
                    closing, out)
