"""E8: the customer's feedback on a repair: a rating from 1 to 5 and a
comment, given once, after the item is handed back (as for a job's
feedback, ``backend.jobs.service.give_feedback``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backend import fields
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import record
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role
from backend.repairs.models import RepairFeedback, RepairOrder, RepairState as S
from backend.repairs.service import load_repair

# A repair may be rated once the customer has it back.
RATEABLE = (S.DELIVERED, S.CLOSED)


@dataclass(frozen=True)
class RepairFeedbackView:
    repair_number: str
    rating: int
    comment: str | None
    at: datetime


def give_repair_feedback(uow: UnitOfWork, actor: Actor, *, repair_ref: str, rating: int,
                         comment: str | None = None) -> RepairFeedbackView:
    """The customer rates their repair (1-5, with an optional comment), once,
    after it was handed back; the history keeps the rating."""
    require_role(actor, Role.CUSTOMER)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise invalid("the rating is a whole number from 1 to 5", field="rating")
    comment = fields.text(comment, "comment", max_len=2000, required=False, multiline=True)
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        if r.state not in RATEABLE:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION,
                              f"{r.number} can be rated once it is handed back to you", current=r.state)
        if s.scalar(select(RepairFeedback.id).where(RepairFeedback.repair_id == r.id)):
            raise DomainError(ErrorCode.ALREADY_DONE, f"feedback on {r.number} was already given")
        fb = RepairFeedback(repair_id=r.id, customer_id=r.customer_id, rating=rating, comment=comment)
        s.add(fb)
        s.flush()
        record(s, entity_type="repair_feedback", entity_id=r.id, request_id=r.request_id, to_state="given",
               actor=actor, note=f"rating {rating}")
        return RepairFeedbackView(r.number, fb.rating, fb.comment, fb.created_at)


def get_repair_feedback(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairFeedbackView:
    """The feedback on a repair (its customer, the technician on it, or staff); ``not_found`` if none yet."""
    with uow() as s:
        r = load_repair(s, actor, repair_ref)
        fb = s.scalar(select(RepairFeedback).where(RepairFeedback.repair_id == r.id))
        if fb is None:
            raise not_found("feedback on repair", r.number)
        return RepairFeedbackView(r.number, fb.rating, fb.comment, fb.created_at)


def rated_repairs(uow: UnitOfWork, actor: Actor) -> dict[str, RepairFeedbackView]:
    """The feedback given on the actor's repairs (a customer: their own; staff: all), by repair number."""
    if actor.role != Role.CUSTOMER:
        require_role(actor, *STAFF)
    with uow() as s:
        q = (select(RepairOrder.number, RepairFeedback)
             .join(RepairFeedback, RepairFeedback.repair_id == RepairOrder.id).order_by(RepairOrder.id.desc()))
        if actor.role == Role.CUSTOMER:
            q = q.where(RepairOrder.customer_id == actor.customer_id)
        return {n: RepairFeedbackView(n, fb.rating, fb.comment, fb.created_at)
                for n, fb in s.execute(q.limit(1000)).all()}
