"""Offer pipeline (contract offers, repair estimates, extra-charge estimates
on jobs) and order pipeline (contracts, service orders, repair orders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import aliased

from backend.billing.models import Invoice
from backend.coverage.models import Contract, ContractOffer
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.jobs.models import Job
from backend.orders.models import ServiceOrder
from backend.repairs.models import RepairEstimate, RepairOrder
from backend.reports.common import MANAGERS, Sql, begin, dec, pct, range_filter

OFFER_STAGES = {
    "contract_offer": ("sent", "accepted", "rejected", "superseded"),
    "repair_estimate": ("sent", "approved", "declined"),
    "job_estimate": ("pending", "accepted", "rejected"),
}
WON = {"contract_offer": "accepted", "repair_estimate": "approved", "job_estimate": "accepted"}
ORDER_STAGES = {
    "contract": ("inquiry", "offer_sent", "rejected", "active", "due_for_renewal", "renewed", "expired"),
    "service_order": ("new", "invoiced", "planned", "done", "paid", "cancelled"),
    "repair_order": ("received", "estimating", "estimate_sent", "approved", "declined", "returned", "under_repair",
                     "repaired", "invoiced", "delivered", "closed"),
}
PROCESS = {"contract_offer": "C", "repair_estimate": "E", "job_estimate": "B",
           "contract": "C", "service_order": "D", "repair_order": "E"}


@dataclass(frozen=True)
class PipelineStage:
    process: str
    kind: str
    state: str
    count: int
    amount: Decimal
    share_pct: Decimal | None  # of this kind's count in the range


def _stages(rows, stages: dict[str, tuple[str, ...]]) -> list[PipelineStage]:
    found = {(k, st): (int(n), dec(a)) for k, st, n, a in rows}
    out = []
    for kind, states in stages.items():
        total = sum(n for (k, _), (n, _) in found.items() if k == kind)
        extra = sorted(st for (k, st) in found if k == kind and st not in states)
        for st in (*states, *extra):
            n, amount = found.get((kind, st), (0, dec(0)))
            out.append(PipelineStage(PROCESS[kind], kind, st, n, amount, pct(n, total)))
    return out


@dataclass(frozen=True)
class OfferPipeline:
    stages: list[PipelineStage]
    won_pct: dict[str, Decimal | None]  # of the offers answered in the range, share won, per kind


def offer_pipeline(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                   **unknown: Any) -> OfferPipeline:
    """Offers made in the range by answer: contract offers (sent), repair
    estimates (created), extra-charge estimates on jobs (job resolved)."""
    p = begin(actor, MANAGERS, start, end, unknown)
    q = union_all(
        select(literal("contract_offer"), ContractOffer.state, func.count(), func.sum(ContractOffer.amount))
        .where(range_filter(ContractOffer.sent_at, p)).group_by(ContractOffer.state),
        select(literal("repair_estimate"), RepairEstimate.state, func.count(), func.sum(RepairEstimate.total))
        .where(range_filter(RepairEstimate.created_at, p)).group_by(RepairEstimate.state),
        select(literal("job_estimate"), Job.estimate_state, func.count(), func.sum(Job.estimate_amount))
        .where(range_filter(Job.resolved_at, p), Job.estimate_state != "none").group_by(Job.estimate_state),
    )
    with uow() as s:
        Sql(s).tune(s)
        stages = _stages(s.execute(q).all(), OFFER_STAGES)
    won = {}
    for kind, states in OFFER_STAGES.items():
        counts = {st.state: st.count for st in stages if st.kind == kind}
        answered = sum(n for st, n in counts.items() if st not in ("sent", "pending", "superseded"))
        won[kind] = pct(counts.get(WON[kind], 0), answered)
    return OfferPipeline(stages, won)


def order_pipeline(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                   **unknown: Any) -> list[PipelineStage]:
    """Orders taken in the range by state: contracts (value), service orders
    (invoice total) and repair orders (invoice total, else latest estimate)."""
    p = begin(actor, MANAGERS, start, end, unknown)
    so_inv, ro_inv = aliased(Invoice), aliased(Invoice)
    latest = (select(RepairEstimate.total).where(RepairEstimate.repair_id == RepairOrder.id)
              .order_by(RepairEstimate.version.desc()).limit(1).correlate(RepairOrder).scalar_subquery())
    q = union_all(
        select(literal("contract"), Contract.status, func.count(), func.sum(Contract.value))
        .where(range_filter(Contract.created_at, p)).group_by(Contract.status),
        select(literal("service_order"), ServiceOrder.state, func.count(), func.sum(so_inv.total))
        .join(so_inv, so_inv.id == ServiceOrder.invoice_id, isouter=True)
        .where(range_filter(ServiceOrder.created_at, p)).group_by(ServiceOrder.state),
        select(literal("repair_order"), RepairOrder.state, func.count(),
               func.sum(func.coalesce(ro_inv.total, latest, 0)))
        .join(ro_inv, ro_inv.id == RepairOrder.invoice_id, isouter=True)
        .where(range_filter(RepairOrder.received_at, p)).group_by(RepairOrder.state),
    )
    with uow() as s:
        Sql(s).tune(s)
        return _stages(s.execute(q).all(), ORDER_STAGES)
