"""The technician scoreboard: jobs done, on-time arrival, first-visit fix,
rating and billed revenue, per technician (definitions in ``common``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.reports import facts
from backend.reports.common import MANAGERS, Sql, an_id, begin, dec, pct, range_filter
from backend.reports.models import JobFact


@dataclass(frozen=True)
class TechnicianScore:
    technician_id: int
    name: str
    jobs_done: int
    arrivals_timed: int
    on_time: int
    on_time_pct: Decimal | None
    first_visit_fixes: int
    first_visit_fix_pct: Decimal | None
    ratings: int
    average_rating: Decimal | None
    revenue: Decimal


def scoreboard(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
               technician_id: int | None = None, **unknown: Any) -> list[TechnicianScore]:
    """Per technician, over the jobs done (resolved) in the range, from the job facts."""
    p = begin(actor, MANAGERS, start, end, unknown)
    technician_id = an_id(technician_id, "technician_id")
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        facts.refresh(s, sql)
        f = JobFact
        q = (select(f.technician_id, User.name, func.count(), func.sum(case((f.timed, 1), else_=0)),
                    func.sum(case((f.on_time, 1), else_=0)), func.sum(case((f.first_fix, 1), else_=0)),
                    func.count(f.rating), func.avg(f.rating), func.sum(f.billed))
             .join(User, User.id == f.technician_id)
             .where(range_filter(f.resolved_at, p))
             .group_by(f.technician_id, User.name)
             .order_by(User.name, f.technician_id))
        if technician_id is not None:
            q = q.where(f.technician_id == technician_id)
        rows = s.execute(q).all()
    return [
        TechnicianScore(tid, name, int(n), int(timed), int(ontime), pct(int(ontime), int(timed)), int(fixed),
                        pct(int(fixed), int(n)), int(rated),
                        None if avg is None else Decimal(str(avg)).quantize(Decimal("0.01")), dec(revenue))
        for tid, name, n, timed, ontime, fixed, rated, avg, revenue in rows
    ]
