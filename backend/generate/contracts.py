"""Process C in the generated world: inquiries, offers and re-offers,
acceptance with the contract invoice and its instalments, renewals and
expiries, and the delivery plan (planned visits) that becomes jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from backend.coverage.lifecycle import CONTRACT_MOVES
from backend.coverage.models import ContractState
from backend.generate.book import Book, Line, Payment, Who, m, tax_of
from backend.generate.world import World

TYPES = {"AMC": (True, False, (2500, 6000)), "CMC": (True, True, (5000, 12000)),
         "WARRANTY": (True, True, (3000, 8000))}
RENEWAL_NOTICE = timedelta(days=30)
SYSTEM = Who(None, "admin", "system")


@dataclass
class Cover:
    """An accepted contract's cover, for the jobs that run under it."""
    contract_id: int
    number: str
    customer_id: int
    site_id: int
    items: list[int]
    type_code: str
    covers_labour: bool
    covers_parts: bool
    starts_on: date
    ends_on: date
    value_cents: int
    until: date  # the last day it covers: its end, or the day its renewal was accepted


@dataclass(order=True)
class Visit:
    create_at: datetime  # when its job is raised (14 days before it is due)
    due_on: date = field(compare=False)
    contract: Cover = field(compare=False)
    item_id: int | None = field(compare=False)
    id: int = field(compare=False, default=0)
    carried_from: int | None = field(compare=False, default=None)


@dataclass
class Offer:
    version: int
    amount: int
    sent_at: datetime
    state: str
    answered_at: datetime | None


@dataclass
class Plan:
    created_at: datetime
    type_code: str
    offers: list[Offer]
    accepted_at: datetime | None
    starts_on: date
    ends_on: date
    visits_per_year: int
    instalments: int
    moves: list[tuple[str | None, str, datetime, Who]] = field(default_factory=list)
    status: str = ContractState.INQUIRY
    renewed_at: datetime | None = None


def _at(day: date, rnd, lo: int = 9, hi: int = 18) -> datetime:
    return datetime.combine(day, time(rnd.randrange(lo, hi), rnd.randrange(60)), timezone.utc)


class Contracts:
    def __init__(self, book: Book, world: World, rnd, now: datetime) -> None:
        self.book, self.w, self.rnd, self.now = book, world, rnd, now
        self.covers: list[Cover] = []
        self.visits: list[Visit] = []
        self.count = 0

    def chain(self, customer_id: int, first_at: datetime) -> None:
        """One customer's contracts: the first inquiry, then renewal after renewal."""
        rnd = self.rnd
        items = self.w.items_of[customer_id]
        site = self.w.item_site[items[0]]
        items = [i for i in items if self.w.item_site[i] == site][:2]
        type_code = rnd.choice(("AMC", "AMC", "CMC", "CMC", "WARRANTY"))
        plans: list[Plan] = []
        at = first_at
        while at <= self.now:
            plan = self._simulate(at, type_code, renewal=bool(plans), items=len(items),
                                  after=plans[-1].ends_on if plans else None)
            plans.append(plan)
            if plan.accepted_at is None or plan.accepted_at > self.now:
                break
            renew_at = _at(plan.ends_on - RENEWAL_NOTICE + timedelta(days=rnd.randrange(0, 6)), rnd)
            if renew_at > self.now or rnd.random() < 0.25:
                break
            at = renew_at
        self._statuses(plans)
        ids = [self.book.sink.next_id("contracts") for _ in plans]
        for i, plan in enumerate(plans):
            self._contract_row(ids[i], ids[i - 1] if i else None, customer_id, site, plan)
        self._inquiry_request(customer_id, items, plans[0], ids[0])
        for i, plan in enumerate(plans):
            self._emit(ids[i], customer_id, site, items, plan)

    # --- deciding what happened (no rows yet) ---------------------------------------------------------
    def _simulate(self, at: datetime, type_code: str, *, renewal: bool, items: int, after: date | None) -> Plan:
        rnd = self.rnd
        lo, hi = TYPES[type_code][2]
        amount = rnd.randrange(lo, hi) * 100 * max(1, items)
        plan = Plan(at, type_code, [], None, at.date(), at.date(), rnd.choice((2, 3, 4, 4)), rnd.choice((1, 1, 2, 4)))
        plan.moves.append((None, "inquiry", at, Who(rnd.choice(self.w.agents), "agent", "portal")))
        sent = at if renewal else at + timedelta(hours=rnd.randrange(20, 120))
        outcomes = (["accept"] * 70 + ["reject"] * 30) if renewal else \
            (["accept"] * 65 + ["reject"] * 15 + ["reoffer_accept"] * 12 + ["reject_reoffer_accept"] * 5
             + ["reoffer_reject"] * 3)
        outcome = rnd.choice(outcomes)
        steps = {"accept": ["accepted"], "reject": ["rejected"], "reoffer_accept": ["superseded", "accepted"],
                 "reject_reoffer_accept": ["rejected", "accepted"], "reoffer_reject": ["superseded", "rejected"]}[outcome]
        state = "inquiry"
        agent = Who(rnd.choice(self.w.agents), "agent", "portal")
        customer = Who(None, "customer", "portal")
        for version, answer in enumerate(steps, start=1):
            if sent > self.now:
                break
            plan.moves.append((state, "offer_sent", sent, agent))
            state = "offer_sent"
            answered = sent + timedelta(hours=rnd.randrange(12, 240))
            offer = Offer(version, amount, sent, "sent", None)
            plan.offers.append(offer)
            if answer == "superseded":
                offer.state, offer.answered_at = "superseded", answered
                amount = amount * 9 // 10 // 100 * 100
                sent = answered
                continue
            if answered > self.now:
                break
            offer.state, offer.answered_at = answer, answered
            if answer == "rejected":
                plan.moves.append((state, "rejected", answered, customer))
                state = "rejected"
                amount = amount * 9 // 10 // 100 * 100
                sent = answered + timedelta(hours=rnd.randrange(24, 96))
                continue
            plan.moves.append((state, "active", answered, customer))
            state = "active"
            plan.accepted_at = answered
            start = answered.date() + timedelta(days=1)
            if after is not None:
                start = max(start, after + timedelta(days=1))
            plan.starts_on, plan.ends_on = start, start + timedelta(days=364)
        plan.status = state
        return plan

    def _statuses(self, plans: list[Plan]) -> None:
        """Renewal notice, renewal or expiry of each accepted contract."""
        for i, plan in enumerate(plans):
            if plan.accepted_at is None:
                continue
            nxt = plans[i + 1] if i + 1 < len(plans) else None
            notice = datetime.combine(plan.ends_on - RENEWAL_NOTICE, time(6), timezone.utc)
            expiry = datetime.combine(plan.ends_on + timedelta(days=1), time(0, 5), timezone.utc)
            renewed_at = nxt.accepted_at if nxt and nxt.accepted_at and nxt.accepted_at < expiry else None
            if notice <= self.now and (renewed_at is None or renewed_at > notice):
                plan.moves.append(("active", "due_for_renewal", notice, SYSTEM))
                plan.status = "due_for_renewal"
            if renewed_at is not None:
                plan.moves.append((plan.status, "renewed", renewed_at, Who(None, "customer", "portal")))
                plan.status = "renewed"
                plan.renewed_at = renewed_at
            elif expiry <= self.now:
                plan.moves.append((plan.status, "expired", expiry, SYSTEM))
                plan.status = "expired"
        for plan in plans:
            for frm, to, _, _ in plan.moves:
                if frm is not None and not CONTRACT_MOVES.can(ContractState(frm), ContractState(to)):
                    raise AssertionError(f"contract move {frm} -> {to} is not in the lifecycle")

    # --- writing the rows ------------------------------------------------------------------------------
    def _inquiry_request(self, customer_id: int, items: list[int], plan: Plan, contract_id: int) -> int:
        rid = self.book.sink.next_id("service_requests")
        self.book.sink.add("service_requests", (
            rid, f"SR-{rid:06d}", customer_id, "contract", self.rnd.choice(("chat", "portal", "phone", "email")),
            f"I would like a {plan.type_code} contract for my appliances", items[0], self.w.item_site[items[0]],
            None, contract_id, None, False, False, self.w.customer_login.get(customer_id), None, plan.created_at))
        self.book.history("request", rid, rid, None, "classified:contract", Who(None, "customer", "chat"),
                          plan.created_at)
        return rid

    def _contract_row(self, cid: int, renewal_of: int | None, customer_id: int, site: int, plan: Plan) -> None:
        value = plan.offers[-1].amount if plan.accepted_at else None
        self.book.sink.add("contracts", (
            cid, f"CT-{cid:06d}", customer_id, plan.type_code, plan.starts_on, plan.ends_on, plan.status,
            plan.created_at, site, m(value) if value else None, plan.visits_per_year, plan.instalments, renewal_of,
            plan.accepted_at, "renewal" if renewal_of else None))
        self.count += 1

    def _emit(self, cid: int, customer_id: int, site: int, items: list[int], plan: Plan) -> None:
        sink, book = self.book.sink, self.book
        for item in items:
            sink.add("covered_items", (sink.next_id("covered_items"), cid, item))
        for o in plan.offers:
            oid = sink.next_id("contract_offers")
            sink.add("contract_offers", (oid, cid, o.version, plan.type_code, m(o.amount), "18.00", plan.starts_on,
                                         plan.ends_on, plan.visits_per_year, plan.instalments,
                                         o.sent_at.date() + timedelta(days=30), o.state, o.sent_at, o.answered_at,
                                         None))
        for frm, to, at, who in plan.moves:  # as backend.coverage.service records them: no request id
            book.history("contract", cid, None, frm, to, who, at)
        if not plan.accepted_at:
            return
        labour, parts, _ = TYPES[plan.type_code]
        until = min(plan.ends_on, plan.renewed_at.date()) if plan.renewed_at else plan.ends_on
        cover = Cover(cid, f"CT-{cid:06d}", customer_id, site, items, plan.type_code, labour, parts, plan.starts_on,
                      plan.ends_on, plan.offers[-1].amount, until)
        self.covers.append(cover)
        self._invoice(cover, plan)
        self._plan_visits(cover, plan)

    def _invoice(self, cover: Cover, plan: Plan) -> None:
        rnd = self.rnd
        n = plan.instalments
        total = cover.value_cents + tax_of(cover.value_cents)
        payments, period = [], max(1, 360 // n)
        for seq in range(n):
            due = plan.accepted_at.date() + timedelta(days=period * seq)
            payments.append(Payment(_at(due + timedelta(days=rnd.randrange(-2, 25)), rnd),
                                    total // n + (total % n if seq == n - 1 else 0),
                                    rnd.choice(("bank", "bank", "upi", "cheque"))))
        payments.sort(key=lambda p: p.at)
        payments = [p if p.at >= plan.accepted_at else Payment(plan.accepted_at, p.cents, p.method) for p in payments]
        line = Line("contract", f"{plan.type_code} cover {cover.starts_on} to {cover.ends_on}", 1, cover.value_cents)
        self.book.invoice(customer_id=cover.customer_id, source_type="contract", source_id=cover.contract_id,
                          lines=[line], by=rnd.choice(self.w.agents), at=plan.accepted_at,
                          narration=f"Contract invoice {cover.number}", payments=payments, now=self.now,
                          agents=self.w.agents, rnd=rnd, instalments=n)

    def _plan_visits(self, cover: Cover, plan: Plan) -> None:
        days = (cover.ends_on - cover.starts_on).days + 1
        count = round(plan.visits_per_year * days / 365)
        step = days / count
        for item in cover.items or [None]:
            for i in range(count):
                due = cover.starts_on + timedelta(days=int(step * i + step / 2))
                self.visits.append(Visit(datetime.combine(due - timedelta(days=14), time(2), timezone.utc), due,
                                         cover, item))
