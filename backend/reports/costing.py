"""Job-wise costing and profitability (COPA): revenue - parts at cost -
passed expenses - labour, per job, rolled up by customer, contract,
technician or product."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.orm import aliased

from backend.catalog.models import Item, Product
from backend.coverage.models import Contract, PlannedVisit, VisitState
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.jobs.models import ExpenseClaim, ExpenseLine, Job, JobPart, JobState
from backend.reports.common import (
    LABOUR_COST_PER_HOUR, MANAGERS, Sql, begin, dec, one_of, range_filter, row_limit,
)
from backend.reports.technicians import billed_revenue

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


def _per_job(sql: Sql, p):
    """One row per job done in the range with its revenue and costs (correlated sums on indexed keys)."""
    j = aliased(Job)
    parts = (select(func.coalesce(func.sum(JobPart.qty * JobPart.unit_cost), 0))
             .where(JobPart.job_id == j.id).correlate(j).scalar_subquery())
    expenses = (select(func.coalesce(func.sum(ExpenseLine.amount), 0))
                .select_from(ExpenseClaim).join(ExpenseLine, ExpenseLine.claim_id == ExpenseClaim.id)
                .where(ExpenseClaim.job_id == j.id, ExpenseLine.state == "passed").correlate(j).scalar_subquery())
    pv, pv2 = aliased(PlannedVisit), aliased(PlannedVisit)
    visits_of_contract = (select(func.count()).where(pv2.contract_id == pv.contract_id,
                                                     pv2.state != VisitState.CARRIED_OVER)
                          .correlate(pv).scalar_subquery())
    share = (select(func.coalesce(func.sum(cast(Contract.value, Numeric(18, 6)) / visits_of_contract), 0))
             .select_from(pv).join(Contract, Contract.id == pv.contract_id)
             .where(pv.job_id == j.id).correlate(j).scalar_subquery())
    minutes = func.coalesce(sql.minutes(j.arrived_at, j.resolved_at), 0)
    return (select(j.id.label("job_id"), j.number.label("number"), j.customer_id.label("customer_id"),
                   j.contract_id.label("contract_id"), j.technician_id.label("technician_id"),
                   Item.product_id.label("product_id"), billed_revenue(j).label("billed"),
                   share.label("share"), parts.label("parts"), expenses.label("expenses"),
                   minutes.label("minutes"))
            .join(Item, Item.id == j.item_id, isouter=True)
            .where(range_filter(j.resolved_at, p), j.state != JobState.CANCELLED)
            .subquery())


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
        pj = _per_job(sql, p)
        key, name, join = {
            "job": (pj.c.job_id, pj.c.number, None),
            "customer": (pj.c.customer_id, Customer.name, (Customer, Customer.id == pj.c.customer_id)),
            "contract": (pj.c.contract_id, Contract.number, (Contract, Contract.id == pj.c.contract_id)),
            "technician": (pj.c.technician_id, User.name, (User, User.id == pj.c.technician_id)),
            "product": (pj.c.product_id, Product.name, (Product, Product.id == pj.c.product_id)),
        }[by]
        sums = [func.count(), func.sum(pj.c.billed), func.sum(pj.c.share), func.sum(pj.c.parts),
                func.sum(pj.c.expenses), func.sum(pj.c.minutes)]
        q = select(key.label("k"), name.label("n"), *[x.label(f"s{i}") for i, x in enumerate(sums)]).select_from(pj)
        if join is not None:
            q = q.join(*join, isouter=True)
        g = q.group_by(key, name).subquery()
        # the totals over every group ride along as window sums, so the jobs are costed once
        totals = [func.sum(g.c[f"s{i}"]).over() for i in range(len(sums))]
        groups = func.count().over()
        # profit = billed + share - parts - expenses - minutes/60 * rate, ordered in SQL (loss-makers first)
        profit = g.c.s1 + g.c.s2 - g.c.s3 - g.c.s4 - g.c.s5 / 60.0 * float(rate)
        rows = s.execute(select(g.c.k, g.c.n, *[g.c[f"s{i}"] for i in range(len(sums))], groups, *totals)
                         .order_by(profit, g.c.k).limit(limit)).all()
    width = 2 + len(sums)
    out = [_row(r[0], r[1], r[2:width], rate) for r in rows]
    total = _row("all", "all", rows[0][width + 1:] if rows else (0, 0, 0, 0, 0, 0), rate)
    return Pnl(by, rate, total, out, bool(rows) and rows[0][width] > len(out))


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

