"""The outbox dispatcher: notices become deliveries, deliveries are sent.

At least once to the transport, once as the person sees it:

- a delivery is claimed with a compare-and-set on its state and a lease
  (``LEASE``), so two workers never hold the same one, on SQLite or on
  PostgreSQL; a worker that dies mid-send leaves the lease to lapse and
  another worker sends again;
- every attempt carries the delivery's fixed ``message_id``, so the resend
  after a crash is the same message to the recipient (an e-mail client, the
  hub and a webhook receiver drop a repeat by that id) and is recorded in
  ``delivery_attempts``;
- a transient failure is tried again after an exponential backoff; after
  ``MAX_ATTEMPTS`` tries, or at once for a permanent failure, the delivery
  is dead and waits for an admin to send it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from backend.customers.models import Customer
from backend.db import UnitOfWork, utcnow
from backend.delivery.channels import (
    INBOX, Channel, NotApplicable, Outgoing, PermanentFailure, TransientFailure,
)
from backend.delivery.recipients import targets
from backend.identity.models import User
from backend.notifications.lifecycle import DELIVERY_MOVES, set_state
from backend.notifications.models import Delivery, DeliveryAttempt, DeliveryState as D, Notification

log = logging.getLogger("backend.delivery")

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=15)
LONGEST_WAIT = timedelta(hours=1)
MESSAGE_DOMAIN = "fieldserv.local"
CLAIMABLE = [state for state in D if DELIVERY_MOVES.can(state, D.SENDING)]


@dataclass(frozen=True)
class DispatchResult:
    fanned_out: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0

    @property
    def busy(self) -> bool:
        return any((self.fanned_out, self.sent, self.failed, self.dead, self.skipped))


def message_id(notification_id: int, channel: str, recipient: str) -> str:
    return f"<notice-{notification_id}.{channel}.{recipient.replace(':', '-')}@{MESSAGE_DOMAIN}>"


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min, … at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def dispatch_once(uow: UnitOfWork, channels: Mapping[str, Channel], *, worker: str, batch: int = 50,
                  now: datetime | None = None, lease: timedelta = LEASE) -> DispatchResult:
    """One round: fan out new notices, claim what is due, send it, settle each."""
    fanned = fan_out(uow, set(channels) | {INBOX}, batch=batch, now=now)
    counts = {D.SENT: 0, D.FAILED: 0, D.DEAD: 0, D.SKIPPED: 0}
    for out in claim(uow, set(channels), worker=worker, batch=batch, now=now, lease=lease):
        outcome, error = _send(channels[out.channel], out)
        counts[settle(uow, out.delivery_id, outcome, error=error, worker=worker)] += 1
    return DispatchResult(fanned, counts[D.SENT], counts[D.FAILED], counts[D.DEAD], counts[D.SKIPPED])


def fan_out(uow: UnitOfWork, channels: set[str], *, batch: int = 50, now: datetime | None = None) -> int:
    """Turn up to ``batch`` new notices into their deliveries (one transaction).
    The inbox's are there at once; the others wait for a worker to send them."""
    now = now or utcnow()
    with uow() as s:
        notices = s.scalars(select(Notification).where(Notification.fanned_out_at.is_(None))
                            .order_by(Notification.id).limit(batch).with_for_update(skip_locked=True)).all()
        for notice in notices:
            for t in targets(s, notice, channels):
                d = Delivery(notification_id=notice.id, channel=t.channel, recipient=t.recipient, user_id=t.user_id,
                             address=t.address, message_id=message_id(notice.id, t.channel, t.recipient),
                             state=D.PENDING, attempts=0, next_attempt_at=now)
                if t.channel == INBOX:
                    set_state(d, D.SENT)
                    d.sent_at = notice.sent_at = notice.sent_at or now
                s.add(d)
            notice.fanned_out_at = now
        return len(notices)


def claim(uow: UnitOfWork, channels: set[str], *, worker: str, batch: int = 50,
          now: datetime | None = None, lease: timedelta = LEASE) -> list[Outgoing]:
    """Take up to ``batch`` due deliveries for this worker: each by a
    compare-and-set on its state, so a delivery has one holder at a time."""
    now = now or utcnow()
    due = or_(and_(Delivery.state.in_([str(x) for x in CLAIMABLE if x != D.SENDING]), Delivery.next_attempt_at <= now),
              and_(Delivery.state == D.SENDING, Delivery.lease_until < now))
    taken: list[Outgoing] = []
    with uow() as s:
        ids = s.scalars(select(Delivery.id).where(due, Delivery.channel.in_(sorted(channels - {INBOX})))
                        .order_by(Delivery.next_attempt_at, Delivery.id).limit(batch)).all()
        for delivery_id in ids:
            won = s.execute(
                update(Delivery).where(Delivery.id == delivery_id, due)
                .values(state=str(D.SENDING), attempts=Delivery.attempts + 1, lease_until=now + lease, worker=worker)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won:
                taken.append(_outgoing(s, s.get(Delivery, delivery_id, populate_existing=True)))
    return taken


def settle(uow: UnitOfWork, delivery_id: int, outcome: D, *, error: str | None = None, worker: str,
           now: datetime | None = None) -> D:
    """Record the attempt and move the delivery, if this worker still holds it."""
    now = now or utcnow()
    with uow() as s:
        d = s.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())
        if outcome == D.FAILED and d.attempts >= MAX_ATTEMPTS:
            outcome = D.DEAD
        s.add(DeliveryAttempt(delivery_id=d.id, worker=worker, message_id=d.message_id, outcome=str(outcome),
                              error=error))
        if d.state != D.SENDING or d.worker != worker:
            return outcome  # our lease lapsed and another worker holds it now: it decides
        set_state(d, outcome)
        d.lease_until, d.last_error = None, error
        if outcome == D.SENT:
            d.sent_at = now
            notice = s.get(Notification, d.notification_id)
            notice.sent_at = notice.sent_at or now
        elif outcome == D.FAILED:
            d.next_attempt_at = now + backoff(d.attempts)
        if outcome == D.DEAD:
            log.warning("delivery %s (%s to %s) is dead after %s attempts: %s", d.id, d.channel, d.recipient,
                        d.attempts, error)
        return outcome


def _send(channel: Channel, out: Outgoing) -> tuple[D, str | None]:
    try:
        channel.send(out)
        return D.SENT, None
    except NotApplicable as exc:
        return D.SKIPPED, str(exc) or None
    except PermanentFailure as exc:
        return D.DEAD, str(exc) or exc.__class__.__name__
    except TransientFailure as exc:
        return D.FAILED, (str(exc) or exc.__class__.__name__)[:2000]
    except Exception as exc:  # unforeseen: logged with its traceback, tried again later
        log.exception("channel %s failed on delivery %s", out.channel, out.delivery_id)
        return D.FAILED, f"{exc.__class__.__name__}: {exc}"[:2000]


def _outgoing(s, d: Delivery) -> Outgoing:
    notice = s.get(Notification, d.notification_id)
    user = s.get(User, d.user_id) if d.user_id else None
    customer_id = notice.customer_id or (user.customer_id if user else None)
    customer = s.get(Customer, customer_id) if customer_id else None
    return Outgoing(
        delivery_id=d.id, notification_id=notice.id, channel=d.channel, event=notice.event,
        subject_type=notice.subject_type, subject_id=notice.subject_id, payload=dict(notice.payload or {}),
        message_id=d.message_id, attempt=d.attempts, user_id=d.user_id, customer_id=customer_id,
        address=d.address, name=user.name if user else (customer.name if customer else None),
        language=(customer.language if customer else "en") or "en",
        extra={"email": user.email if user else (customer.email if customer else None),
               "phone": (user.phone if user else None) or (customer.phone if customer else None)},
    )
