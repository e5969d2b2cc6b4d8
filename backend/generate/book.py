"""The generator's bookkeeping: history rows, balanced vouchers, invoices with
their sales voucher, receipts with theirs — the same rows and postings the
services write (``backend.billing.invoicing``, ``billing.service``,
``jobs.expenses``), in whole cents so that every voucher balances exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.billing.invoicing import PAYMENT_TERMS_DAYS, REVENUE_ACCOUNT
from backend.billing.service import METHODS
from backend.generate.sink import Sink
from backend.ledger import chart

TAX_RATE = 18
TAX = "18.00"


def m(cents: int) -> str:
    """Cents as a decimal string (non-negative)."""
    return f"{cents // 100}.{cents % 100:02d}"


def tax_of(cents: int) -> int:
    """18 % rounded half up to the cent, as ``backend.db.money`` rounds."""
    return (cents * TAX_RATE + 50) // 100


@dataclass(frozen=True)
class Who:
    user_id: int | None
    role: str
    channel: str


@dataclass
class Line:
    kind: str  # labour | part | contract
    description: str
    qty: int
    unit_cents: int

    @property
    def amount(self) -> int:
        return self.qty * self.unit_cents

    @property
    def tax(self) -> int:
        return tax_of(self.amount)


@dataclass
class Payment:
    at: datetime
    cents: int
    method: str


@dataclass
class Totals:
    vouchers: int = 0
    debit: int = 0
    credit: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Book:
    def __init__(self, sink: Sink, accounts: dict[str, int]) -> None:
        self.sink = sink
        self.accounts = accounts
        self.totals = Totals()

    def history(self, entity: str, entity_id: int, request_id: int | None, from_state: str | None, to_state: str,
                who: Who, at: datetime, note: str | None = None) -> None:
        self.sink.add("state_changes", (self.sink.next_id("state_changes"), entity, entity_id, request_id, from_state,
                                        to_state, who.user_id, who.role, who.channel, note, at))

    def voucher(self, kind: str, on: date, narration: str, lines: list[tuple], *, by: int | None, at: datetime,
                source_type: str | None, source_id: int | None, invoice_id: int | None = None,
                then: Callable[[int], None] | None = None) -> int:
        """``lines``: (account code, debit cents, credit cents, party type, party id); must balance.
        ``invoice_id``: the invoice its receivable (1100) customer line raises or settles, as
        ``backend.ledger.posting`` ties it. ``then(voucher id)`` adds rows the entries refer to
        (the invoice) after the voucher row and before the entries, so every batch keeps its
        foreign keys in order."""
        lines = [l for l in lines if l[1] or l[2]]
        debit = sum(l[1] for l in lines)
        credit = sum(l[2] for l in lines)
        if debit != credit or debit <= 0 or len(lines) < 2:
            raise AssertionError(f"unbalanced voucher {kind}: {debit} != {credit}")
        vid = self.sink.next_id("vouchers")
        self.sink.add("vouchers", (vid, f"VO-{vid:06d}", kind, on, narration[:240], source_type, source_id, by, at))
        if then:
            then(vid)
        for code, dr, cr, ptype, pid in lines:
            tied = invoice_id if code == chart.RECEIVABLE and ptype == "customer" else None
            self.sink.add("ledger_entries", (self.sink.next_id("ledger_entries"), vid, self.accounts[code], ptype, pid,
                                             on, m(dr), m(cr), tied))
        t = self.totals
        t.vouchers += 1
        t.debit += debit
        t.credit += credit
        t.by_kind[kind] = t.by_kind.get(kind, 0) + 1
        return vid

    def invoice(self, *, customer_id: int, source_type: str, source_id: int, lines: list[Line], by: int | None,
                at: datetime, narration: str, payments: list[Payment], now: datetime, agents: list[int],
                rnd, instalments: int = 0) -> tuple[int, int, datetime | None]:
        """An invoice, its lines and sales voucher, the receipts of ``payments``
        (those already made by ``now``), follow-ups while it was overdue.
        Returns (invoice id, total cents, when it was fully paid or None)."""
        sink = self.sink
        iid = sink.next_id("invoices")
        on = at.date()
        due = on + timedelta(days=PAYMENT_TERMS_DAYS)
        subtotal = sum(l.amount for l in lines)
        tax = sum(l.tax for l in lines)
        total = subtotal + tax
        revenue: dict[str, int] = {}
        for l in lines:
            acc = REVENUE_ACCOUNT[l.kind]
            revenue[acc] = revenue.get(acc, 0) + l.amount
        kind = "contract_invoice" if source_type == "contract" else "sales"
        entries = [(chart.RECEIVABLE, total, 0, "customer", customer_id)]
        entries += [(acc, 0, amt, None, None) for acc, amt in revenue.items()]
        entries.append((chart.TAX_PAYABLE, 0, tax, None, None))
        made: list[tuple[Payment, int]] = []  # the payments made by now, capped at what is due
        paid, paid_at = 0, None
        for pay in payments:
            if pay.at > now or paid >= total:
                break
            cents = min(pay.cents, total - paid)
            made.append((pay, cents))
            paid += cents
            paid_at = pay.at
        state = "paid" if paid == total else "open"

        def invoice_row(vid: int) -> None:
            sink.add("invoices", (iid, f"INV-{iid:06d}", customer_id, source_type, source_id, on, due, m(subtotal),
                                  m(tax), m(total), state, vid, by, at))

        self.voucher(kind, on, narration or f"Invoice INV-{iid:06d}", entries, by=by, at=at,
                     source_type="invoice", source_id=iid, invoice_id=iid, then=invoice_row)
        # what backend.ledger.posting keeps per invoice: its receivable balance, latest entry's day, customer
        # and due date
        last_on = max([on] + [pay.at.date() for pay, _ in made])
        sink.add("invoice_balances", (iid, customer_id, due, m(total - paid), last_on))
        for l in lines:
            sink.add("invoice_lines", (sink.next_id("invoice_lines"), iid, l.kind, l.description[:200], str(l.qty),
                                       m(l.unit_cents), TAX, m(l.amount), m(l.tax)))
        for pay, cents in made:
            self.receipt(iid, customer_id, cents, pay.method, pay.at, by=rnd.choice(agents))
        if instalments:
            share, rest = divmod(total, instalments)
            period = max(1, 360 // instalments)
            for seq in range(1, instalments + 1):
                sink.add("instalments", (sink.next_id("instalments"), iid, seq, on + timedelta(days=period * (seq - 1)),
                                         m(share + (rest if seq == instalments else 0))))
        if state == "paid":
            self.history("invoice", iid, None, "open", "paid", Who(by, "agent", "portal"), paid_at)
        self._follow_ups(iid, due, paid_at if state == "paid" else now, agents, rnd)
        return iid, total, paid_at if state == "paid" else None

    def receipt(self, invoice_id: int, customer_id: int, cents: int, method: str, at: datetime, *, by: int) -> int:
        rid = self.sink.next_id("receipts")
        on = at.date()
        vid = self.voucher("receipt", on, f"Receipt RC-{rid:06d} against INV-{invoice_id:06d}",
                           [(METHODS[method], cents, 0, None, None), (chart.RECEIVABLE, 0, cents, "customer", customer_id)],
                           by=by, at=at, source_type="receipt", source_id=rid, invoice_id=invoice_id)
        self.sink.add("receipts", (rid, f"RC-{rid:06d}", invoice_id, customer_id, m(cents), method, None, on, vid, None,
                                   by, at))
        return rid

    def _follow_ups(self, invoice_id: int, due: date, until: datetime, agents: list[int], rnd) -> None:
        day = due + timedelta(days=5)
        n = 0
        while day < until.date() and n < 3:
            at = datetime.combine(day, datetime.min.time(), until.tzinfo) + timedelta(hours=10 + rnd.randrange(7))
            self.sink.add("collection_followups", (self.sink.next_id("collection_followups"), invoice_id,
                                                   rnd.choice(agents), "Called the customer; payment promised",
                                                   day + timedelta(days=7), at))
            day += timedelta(days=10)
            n += 1
