"""Job-wise costing and profitability (COPA): revenue - parts at cost -
passed expenses - labour, per job, rolled up by customer, contract,
technician or product."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, literal, select

from backend.catalog.models import Product
from backend.coverage.models import Contract
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.jobs.models import Job
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
    labour_rate: Decimal
    total: PnlRow
    rows: list[PnlRow]
    truncated: bool


def _rate(value: Any) -> Decimal:
    if value is None:
        return LABOUR_COST_PER_HOUR
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid("labour_rate is an amount per hour such as 250.00", field="labour_rate") from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise invalid(f"labour_rate is an amount per hour from 0 to {MAX_RATE}", field="labour_rate")
    return rate


def job_pnl(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
            by: str = "job", labour_rate: Any = None, limit: int | None = None, **unknown: Any) -> Pnl:
    """Profit of the jobs done (resolved) in the range: revenue (billed net of
    tax plus the contract share of planned visits) minus parts at cost, passed
    expense bills and labour (hours on site x ``labour_rate``), grouped by
    ``by``; loss-makers first."""
    p = begin(actor, MANAGERS, start, end, unknown)
    one_of(by, GROUPS, "by")
    rate = _rate(labour_rate)
    limit = row_limit(limit)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        facts.refresh(s, sql)
        f = JobFact
        key = {"job": f.job_id, "customer": f.customer_id, "contract": f.contract_id, "technician": f.technician_id,
               "product": f.product_id}[by]
        sums = [func.count(), func.sum(f.billed), func.sum(f.share), func.sum(f.parts), func.sum(f.expenses),
                func.sum(f.minutes)]
        in_range = range_filter(f.resolved_at, p)
        total = s.execute(select(*sums).where(in_range)).one()
        if by == "job":  # a fact is a job: no grouping, only the worst ``limit`` of them sorted
            g = select(f.job_id.label("k"), literal(1).label("s0"), f.billed.label("s1"), f.share.label("s2"),
                       f.parts.label("s3"), f.expenses.label("s4"), f.minutes.label("s5")).where(in_range).subquery()
        else:
            g = (select(key.label("k"), *[x.label(f"s{i}") for i, x in enumerate(sums)])
                 .where(in_range).group_by(key).subquery())
        # loss-makers first, ordered in SQL: profit = billed + share - parts - expenses - minutes / 60 * rate
        profit = g.c.s1 + g.c.s2 - g.c.s3 - g.c.s4 - g.c.s5 / 60.0 * float(rate)
        top = select(g, profit.label("profit")).order_by(profit, g.c.k).limit(limit + 1).subquery()
        model, name = {"job": (Job, Job.number), "customer": (Customer, Customer.name),
                       "contract": (Contract, Contract.number), "technician": (User, User.name),
                       "product": (Product, Product.name)}[by]
        rows = s.execute(select(top.c.k, name, *[top.c[f"s{i}"] for i in range(len(sums))])
                         .join(model, model.id == top.c.k, isouter=True)
                         .order_by(top.c.profit, top.c.k)).all()
    out = [_row(r[0], r[1], r[2:], rate) for r in rows[:limit]]
    return Pnl(by, rate, _row("all", "all", total, rate), out, len(rows) > limit)


def _row(key: Any, name: Any, values, rate: Decimal) -> PnlRow:
    n, billed, share, parts, expenses, minutes = values
    billed, share, parts, expenses = dec(billed), dec(share), dec(parts), dec(expenses)
    hours = (Decimal(str(minutes or 0)) / 60).quantize(Decimal("0.01"))
    labour = dec(hours * rate)
    revenue = billed + share
    profit = revenue - parts - expenses - labour
    margin = None if revenue == 0 else (profit * 100 / revenue).quantize(Decimal("0.1"))
    return PnlRow("(none)" if key is None else str(key), "(none)" if name is None else str(name), int(n), billed,
                  share, revenue, parts, expenses, hours, labour, profit, margin)

