"""When an invoice's balance falls due: whole on the invoice's due date, or
part by part on a due schedule (a contract invoice in instalments,
``InvoiceDuePart``). The amounts always come from the ledger: the schedule
only says which part of what is still owed was due when. Money received
(or credited) pays the oldest part first, so what is still owed sits in the
latest parts. Collections, ageing and the manager's dashboard all split a
balance here, so they agree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import money
from backend.errors import invalid
from backend.ledger.models import InvoiceDuePart
from backend.ledger.posting import Receivable

ZERO = Decimal("0.00")
CHUNK = 5000

Part = tuple[date, Decimal]  # (due on, amount)


def set_schedule(s: Session, invoice: Receivable, parts: list[Part], *, total: Decimal) -> None:
    """Record when ``invoice``'s ``total`` falls due, in the caller's transaction:
    the parts in date order, adding up to the total."""
    if not parts or any(amount <= 0 for _, amount in parts) or sum((a for _, a in parts), ZERO) != total:
        raise invalid("a due schedule has positive parts that add up to the invoice's total", field="instalments")
    if s.scalar(select(InvoiceDuePart.seq).where(InvoiceDuePart.invoice_id == invoice.id).limit(1)) is not None:
        raise invalid("the invoice already has a due schedule", field="instalments")
    for seq, (due_on, amount) in enumerate(sorted(parts, key=lambda p: p[0]), start=1):
        s.add(InvoiceDuePart(invoice_id=invoice.id, seq=seq, due_on=due_on, amount=money(amount)))
    s.flush()


def schedules(s: Session, invoice_ids: Iterable[int]) -> dict[int, list[Part]]:
    """The due schedules of those invoices that have one, each in date order."""
    ids = sorted(set(i for i in invoice_ids if i is not None))
    out: dict[int, list[Part]] = defaultdict(list)
    for i in range(0, len(ids), CHUNK):
        for invoice_id, due_on, amount in s.connection().execute(
                select(InvoiceDuePart.invoice_id, InvoiceDuePart.due_on, InvoiceDuePart.amount)
                .where(InvoiceDuePart.invoice_id.in_(ids[i:i + CHUNK]))
                .order_by(InvoiceDuePart.invoice_id, InvoiceDuePart.seq)):
            out[invoice_id].append((due_on, money(amount)))
    return dict(out)


def owed_parts(balance: Decimal, due_on: date | None, schedule: list[Part] | None) -> list[Part]:
    """What is still owed of ``balance``, by the day each part fell (or falls) due.

    Without a schedule: the whole balance on the invoice's due date. With one:
    the oldest parts are paid first, so the balance fills the latest parts
    (anything beyond the schedule's total, say after a refund, stays with
    the last part). A balance of nil or less (in credit) is one part."""
    if not schedule or balance <= 0:
        return [(due_on, balance)] if balance else []
    left = balance
    out: list[Part] = []
    for on, amount in reversed(schedule):
        take = min(amount, left)
        if take > 0:
            out.append((on, take))
            left -= take
    if left > 0:  # more than the schedule asked for: due with its last part (out[0], taken first)
        out[0] = (out[0][0], out[0][1] + left)
    return sorted(out, key=lambda p: p[0])


def due_by(parts: list[Part], as_of: date) -> tuple[Decimal, date | None]:
    """Of what is owed, the part due on or before ``as_of`` and the oldest due date among it."""
    due = [(on, a) for on, a in parts if on is not None and on <= as_of]
    return money(sum((a for _, a in due), ZERO)), (min(on for on, _ in due) if due else None)
