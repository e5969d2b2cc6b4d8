"""Job-wise costing and profitability (COPA): revenue - parts at cost -
passed expenses - labour, per job and per repair, rolled up by customer,
contract, technician or product; labour at each technician's own cost rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Integer, Numeric, and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from backend.billing.models import CreditNote, Invoice
from backend.catalog.models import Item, Product
from backend.coverage.models import Contract
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.jobs.models import Job
from backend.repairs.models import RepairEstimate, RepairEstimateLine, RepairOrder, RepairPart
from backend.reports.common import (
    LABOUR_COST_PER_HOUR, MANAGERS, Sql, begin, dec, one_of, range_filter, row_limit,
)
from backend.reports import facts
from backend.reports.models import JobFact

GROUPS = ("job", "customer", "contract", "technician", "product")
MAX_RATE = Decimal("100000")


@dataclass(frozen=True)
class PnlRow:
    key: str
    name: str
    jobs: int
    billed: Decimal
    contract_share: Decimal
    revenue: Decimal
    parts_cost: Decimal
    expenses: Decimal
    hours: Decimal
    labour_cost: Decimal
    profit: Decimal
    margin_pct: Decimal | None


@dataclass(frozen=True)
class Pnl:
    by: str
    labour_rate: Decimal  # the flat rate asked for; with per_technician, the standard rate of a user not yet set
    total: PnlRow
    rows: list[PnlRow]
    truncated: bool
    per_technician: bool = True  # labour at each technician's own cost rate


def _rate(value: Any) -> Decimal | None:
    """The flat labour rate asked for, or None: each technician's own rate."""
    if value is None:
        return None
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid("labour_rate is an amount per hour such as 250.00", field="labour_rate") from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise invalid(f"labour_rate is an amount per hour from 0 to {MAX_RATE}", field="labour_rate")
    return rate


def _repairs(p):
    """A repair as a P&L row, like a job's fact: done when repaired (checked
    OK); revenue its invoice net of tax and of credit notes; parts at cost;
    labour the hours of the labour lines on the estimate it was invoiced on
    (the last approved), as minutes."""
    r = RepairOrder
    parts = (select(RepairPart.repair_id, func.sum(RepairPart.qty * RepairPart.unit_cost).label("v"))
             .group_by(RepairPart.repair_id).subquery())
    last = (select(RepairEstimate.repair_id, func.max(RepairEstimate.version).label("version"))
            .where(RepairEstimate.state == "approved").group_by(RepairEstimate.repair_id).subquery())
    hours = (select(RepairEstimate.repair_id, func.sum(RepairEstimateLine.qty).label("v"))
             .join(last, and_(last.c.repair_id == RepairEstimate.repair_id,
                              last.c.version == RepairEstimate.version))
             .join(RepairEstimateLine, RepairEstimateLine.estimate_id == RepairEstimate.id)
             .where(RepairEstimateLine.kind == "labour").group_by(RepairEstimate.repair_id).subquery())
    credited = (select(func.coalesce(func.sum(CreditNote.taxable), 0)).where(CreditNote.invoice_id == Invoice.id)
                .correlate(Invoice).scalar_subquery())
    return (select(literal("repair").label("kind"), r.id.label("id"), r.technician_id.label("technician_id"),
                   r.customer_id.label("customer_id"), literal(None, Integer).label("contract_id"),
                   Item.product_id.label("product_id"),
                   func.coalesce(Invoice.subtotal - credited, 0).label("billed"),
                   literal(0, Numeric(18, 6)).label("share"), func.coalesce(parts.c.v, 0).label("parts"),
                   literal(0, Numeric(14, 2)).label("expenses"),
                   (func.coalesce(hours.c.v, 0) * 60).label("minutes"))
            .select_from(r)
            .join(Invoice, Invoice.id == r.invoice_id, isouter=True)
            .join(parts, parts.c.repair_id == r.id, isouter=True)
            .join(hours, hours.c.repair_id == r.id, isouter=True)
            .join(Item, Item.id == r.item_id, isouter=True)
            .where(range_filter(r.repaired_at, p), r.state.not_in(("declined", "returned"))))


def job_pnl(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
            by: str = "job", labour_rate: Any = None, limit: int | None = None, **unknown: Any) -> Pnl:
    """Profit of the jobs done (resolved) and the repairs done (repaired) in
    the range: revenue (billed net of tax and credit notes, plus the contract
    share of planned visits) minus parts at cost, passed expense bills and
    labour (hours x the technician's own cost rate, ``users.cost_rate_per_hour``,
    or x ``labour_rate`` for everyone when one is asked for), grouped by ``by``;
    loss-makers first."""
    p = begin(actor, MANAGERS, start, end, unknown)
    one_of(by, GROUPS, "by")
    flat = _rate(labour_rate)
    limit = row_limit(limit)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        facts.refresh(s, sql)
        f = JobFact
        jobs = (select(literal("job").label("kind"), f.job_id.label("id"), f.technician_id, f.customer_id,
                       f.contract_id, f.product_id, f.billed, f.share, f.parts, f.expenses, f.minutes)
                .where(range_filter(f.resolved_at, p)))
        done = union_all(jobs, _repairs(p)).subquery()
        tech = aliased(User)
        rate = literal(flat, Numeric(14, 2)) if flat is not None else \
            func.coalesce(tech.cost_rate_per_hour, LABOUR_COST_PER_HOUR)
        rows_q = (select(done, (done.c.minutes * rate / 60).label("labour"))
                  .join(tech, tech.id == done.c.technician_id, isouter=True)).subquery()
        u = rows_q.c
        key = {"job": u.id, "customer": u.customer_id, "contract": u.contract_id, "technician": u.technician_id,
               "product": u.product_id}[by]
        sums = [func.count(), func.sum(u.billed), func.sum(u.share), func.sum(u.parts), func.sum(u.expenses),
                func.sum(u.minutes), func.sum(u.labour)]
        total = s.execute(select(*sums)).one()
        if by == "job":  # a row is a job or a repair: no grouping, only the worst ``limit`` of them sorted
            g = select(u.kind.label("kind"), u.id.label("k"), literal(1).label("s0"), u.billed.label("s1"),
                       u.share.label("s2"), u.parts.label("s3"), u.expenses.label("s4"), u.minutes.label("s5"),
                       u.labour.label("s6")).subquery()
        else:
            g = (select(literal("all").label("kind"), key.label("k"), *[x.label(f"s{i}") for i, x in enumerate(sums)])
                 .group_by(key).subquery())
        # loss-makers first, ordered in SQL: profit = billed + share - parts - expenses - labour
        profit = g.c.s1 + g.c.s2 - g.c.s3 - g.c.s4 - g.c.s6
        top = select(g, profit.label("profit")).order_by(profit, g.c.kind, g.c.k).limit(limit + 1).subquery()
        if by == "job":
            name = func.coalesce(case((top.c.kind == "job", Job.number)), RepairOrder.number)
            joined = (select(top.c.kind, top.c.k, name, *[top.c[f"s{i}"] for i in range(len(sums))])
                      .join(Job, and_(top.c.kind == "job", Job.id == top.c.k), isouter=True)
                      .join(RepairOrder, and_(top.c.kind == "repair", RepairOrder.id == top.c.k), isouter=True))
        else:
            model, name = {"customer": (Customer, Customer.name), "contract": (Contract, Contract.number),
                           "technician": (User, User.name), "product": (Product, Product.name)}[by]
            joined = (select(top.c.kind, top.c.k, name, *[top.c[f"s{i}"] for i in range(len(sums))])
                      .join(model, model.id == top.c.k, isouter=True))
        rows = s.execute(joined.order_by(top.c.profit, top.c.kind, top.c.k)).all()
    out = [_row(f"repair-{r[1]}" if r[0] == "repair" else r[1], r[2], r[3:]) for r in rows[:limit]]
    return Pnl(by, flat if flat is not None else LABOUR_COST_PER_HOUR, _row("all", "all", total),
               out, len(rows) > limit, per_technician=flat is None)


def _row(key: Any, name: Any, values) -> PnlRow:
    n, billed, share, parts, expenses, minutes, labour = values
    billed, share, parts, expenses, labour = dec(billed), dec(share), dec(parts), dec(expenses), dec(labour)
    hours = (Decimal(str(minutes or 0)) / 60).quantize(Decimal("0.01"))
    revenue = billed + share
    profit = revenue - parts - expenses - labour
    margin = None if revenue == 0 else (profit * 100 / revenue).quantize(Decimal("0.1"))
    return PnlRow("(none)" if key is None else str(key), "(none)" if name is None else str(name), int(n), billed,
                  share, revenue, parts, expenses, hours, labour, profit, margin)
