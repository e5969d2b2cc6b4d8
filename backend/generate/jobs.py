"""Process B in the generated world: a job's life decided step by step along
``JOB_MOVES`` (stopping at the first step that lies in the future), then
written with everything it leaves behind: history, parts from stock, the
advance and expense claim with their vouchers, feedback, the invoice with its
sales voucher, receipts and follow-ups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from backend.generate.book import Book, Line, Payment, Who, m, tax_of
from backend.generate.world import CATEGORIES, VISIT_CENTS, World
from backend.jobs.lifecycle import JOB_MOVES
from backend.jobs.models import JobState

SLOTS = (9, 11, 14, 16)  # two-hour appointment slots
RATINGS = (1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 2, 4, 5, 3, 5)
METHODS = ("cash", "bank", "bank", "upi", "upi", "upi", "card")
DONE = {"resolved", "feedback", "billed", "closed", "settled"}


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass
class PartUse:
    part_id: int
    qty: int
    price: int
    cost: int
    covered: bool
    at: datetime


@dataclass
class JobPlan:
    created: datetime
    customer_id: int
    site_id: int | None
    item_id: int | None
    request_id: int | None
    contract_id: int | None
    order_id: int | None
    covers_labour: bool
    covers_parts: bool
    problem: str
    moves: list[tuple] = field(default_factory=list)
    state: str = "new"
    technician: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    arrived: datetime | None = None
    resolved: datetime | None = None
    cancelled: datetime | None = None
    visits: int = 0
    parts: list[PartUse] = field(default_factory=list)
    estimate_state: str = "none"
    estimate_cents: int = 0
    bill_lines: list[Line] = field(default_factory=list)
    billed_at: datetime | None = None
    payments: list[Payment] = field(default_factory=list)
    rating: tuple[int, datetime] | None = None
    estimate_answer: tuple[str, datetime] | None = None
    advance: tuple[int, datetime, datetime | None, str] | None = None  # cents, asked, decided, state
    claim: list | None = None
    notes: str | None = None


class Jobs:
    def __init__(self, book: Book, world: World, rnd, now: datetime) -> None:
        self.book, self.w, self.rnd, self.now = book, world, rnd, now
        self.taken: dict[int, set[tuple[int, int]]] = {}
        self.count = 0
        self.by_state: dict[str, int] = {}

    # --- appointment slots: a technician is never booked twice for one slot ------------------------------
    def slot(self, day: date) -> tuple[int, datetime]:
        rnd, techs = self.rnd, self.w.technicians
        attempt = 0
        while True:
            d = day + timedelta(days=attempt // 6)
            booked = self.taken.setdefault(d.toordinal(), set())
            tech, hour = rnd.choice(techs), rnd.choice(SLOTS)
            if (tech, hour) not in booked:
                booked.add((tech, hour))
                return tech, datetime.combine(d, time(hour), timezone.utc)
            attempt += 1

    def forget_before(self, day: date) -> None:
        for k in [k for k in self.taken if k < day.toordinal() - 3]:
            del self.taken[k]

    # --- deciding a job's life -----------------------------------------------------------------------
    def simulate(self, plan: JobPlan, creator: Who, *, due: date | None = None, labour_paid: bool = False) -> JobPlan:
        rnd, now, w = self.rnd, self.now, self.w
        agent = Who(rnd.choice(w.agents), "agent", "portal")
        customer = Who(w.customer_login.get(plan.customer_id), "customer", rnd.choice(("chat", "portal")))

        def go(to: str, at: datetime, who: Who, note: str | None = None) -> None:
            if not JOB_MOVES.can(JobState(plan.state), JobState(to)):
                raise AssertionError(f"job move {plan.state} -> {to} is not in the lifecycle")
            plan.moves.append((plan.state, to, at, who, note))
            plan.state = to

        plan.moves.append((None, "new", plan.created, creator, None))
        cancel_from = rnd.choice(("new", "scheduled", "confirmed", "released")) if rnd.random() < 0.03 else None

        def cancelled(before: datetime) -> bool:
            if cancel_from != plan.state:
                return False
            at = plan.moves[-1][2] + minutes(rnd.randrange(30, 600))
            if at > min(before, now):
                return False
            go("cancelled", at, rnd.choice((agent, customer)), "customer withdrew")
            plan.cancelled = at
            return True

        late_plan = rnd.random() < 0.06
        t = plan.created + (minutes(rnd.randrange(25 * 60, 72 * 60)) if late_plan else
                            minutes(min(20 * 60, rnd.expovariate(1 / 240)) + 5))
        if cancelled(t) or t > now:
            return plan
        day = due or (t + timedelta(hours=rnd.choice((4, 10, 20, 30)))).date()
        tech, start = self.slot(max(day, t.date() + timedelta(days=1)))
        plan.technician, plan.start, plan.end = tech, start, start + timedelta(hours=2)
        techw = Who(tech, "technician", "mobile")
        go("scheduled", t, agent, f"slot {start:%Y-%m-%d %H:%M}")
        t += minutes(rnd.randrange(10, 360))
        if cancelled(t) or t > now:
            return plan
        go("confirmed", t, techw)
        if rnd.random() < 0.15:
            t += minutes(rnd.randrange(10, 120))
            if t > now:
                return plan
            cents = rnd.randrange(5, 30) * 10000
            go("advance_requested", t, techw, f"advance {m(cents)}")
            decided = t + minutes(rnd.randrange(10, 300))
            if decided > now:
                plan.advance = (cents, t, None, "requested")
                return plan
            approve = rnd.random() < 0.9
            plan.advance = (cents, t, decided, "sanctioned" if approve else "rejected")
            t = decided
            go("advance_sanctioned" if approve else "confirmed", t, agent,
               None if approve else "advance refused: not needed for a local visit")
        t = max(t + minutes(5), start - minutes(rnd.randrange(30, 600)))
        if cancelled(t) or t > now:
            return plan
        go("released", t, agent)
        lateness = rnd.randrange(-25, 15) if rnd.random() < 0.8 else rnd.randrange(16, 120)
        t = max(t + minutes(5), start + minutes(lateness))
        if cancelled(t) or t > now:
            return plan
        plan.arrived, plan.visits = t, 1
        go("in_progress", t, techw)
        self._parts(plan, t)
        if rnd.random() < 0.06:
            plan.visits = 2
            t += timedelta(days=rnd.randrange(1, 4), minutes=rnd.randrange(30, 120))
        else:
            t += minutes(rnd.randrange(30, 200))
        if t > now:
            return plan
        plan.resolved = t
        plan.notes = rnd.choice(("Replaced the faulty part and tested", "Cleaned and serviced; working normally",
                                 "Adjusted and recalibrated; customer satisfied", "Repaired wiring; tested OK"))
        go("resolved", t, techw)
        if not plan.covers_labour and not labour_paid:  # a service order's visit was invoiced with the order
            plan.bill_lines.append(Line("labour", "Service visit (labour)", plan.visits, VISIT_CENTS))
        plan.bill_lines += [Line("part", f"Part GP-{p.part_id:05d}", p.qty, p.price) for p in plan.parts
                            if not p.covered]
        subtotal = sum(l.amount for l in plan.bill_lines)
        if subtotal:
            plan.estimate_state = "pending"
            plan.estimate_cents = subtotal + sum(tax_of(l.amount) for l in plan.bill_lines)
        last = t
        if rnd.random() < 0.65:
            at = t + minutes(rnd.randrange(60, 72 * 60))
            if at <= now:
                plan.rating = (rnd.choice(RATINGS), at)
                go("feedback", at, customer, f"rating {plan.rating[0]}")
                last = at
        if plan.estimate_state == "pending":
            at = t + minutes(rnd.randrange(30, 24 * 60))
            if at > now:
                return plan
            plan.estimate_answer = ("accepted" if rnd.random() < 0.93 else "rejected", at)
            plan.estimate_state = plan.estimate_answer[0]
            last = max(last, at)
        t = last + minutes(rnd.randrange(120, 48 * 60))
        if t > now:
            return plan
        if plan.estimate_state == "accepted":
            plan.billed_at = t
            go("billed", t, agent)
            self._payments(plan, plan.estimate_cents, t)
        elif plan.estimate_state == "rejected":
            go("closed", t, agent, "estimate rejected; charge waived")
        else:
            go("closed", t, agent, "nothing billable: covered" if plan.order_id is None else "billed on the order")
        return plan

    def _parts(self, plan: JobPlan, t: datetime) -> None:
        rnd = self.rnd
        if plan.item_id is None or rnd.random() >= 0.4:
            return
        choices = self.w.parts_of[self.w.item_category[plan.item_id]]
        for part_id, price, cost in rnd.sample(choices, 2 if rnd.random() < 0.25 else 1):
            plan.parts.append(PartUse(part_id, 2 if rnd.random() < 0.15 else 1, price, cost, plan.covers_parts,
                                      t + minutes(rnd.randrange(10, 60))))

    def _payments(self, plan: JobPlan, total: int, billed: datetime) -> None:
        rnd = self.rnd
        r = rnd.random()
        days = rnd.uniform(0, 7) if r < 0.45 else rnd.uniform(7, 20) if r < 0.75 else \
            rnd.uniform(20, 60) if r < 0.9 else rnd.uniform(200, 400)
        first = billed + timedelta(days=days, hours=rnd.randrange(1, 8))
        method = rnd.choice(METHODS)
        if rnd.random() < 0.08 and total > 200:
            half = total // 2
            plan.payments = [Payment(first, half, method),
                             Payment(first + timedelta(days=rnd.randrange(5, 30)), total - half, method)]
        else:
            plan.payments = [Payment(first, total, method)]
        paid = [p for p in plan.payments if p.at <= self.now]
        if sum(p.cents for p in paid) == total:
            plan.moves.append(("billed", "settled", paid[-1].at, Who(rnd.choice(self.w.agents), "agent", "portal"),
                               None))
            plan.state = "settled"

    # --- writing it -------------------------------------------------------------------------------------
    def emit(self, plan: JobPlan) -> int:
        sink, book, rnd, w = self.book.sink, self.book, self.rnd, self.w
        jid = sink.next_id("jobs")
        number = f"JB-{jid:06d}"
        sink.add("jobs", (jid, number, plan.request_id, plan.customer_id, plan.site_id, plan.item_id, plan.contract_id,
                          plan.order_id, plan.covers_labour, plan.covers_parts, plan.problem, plan.state,
                          plan.technician, plan.start, plan.end, plan.arrived, plan.resolved, plan.notes,
                          plan.estimate_state, m(plan.estimate_cents), plan.visits, plan.created))
        self.count += 1
        self.by_state[plan.state] = self.by_state.get(plan.state, 0) + 1
        rid = plan.request_id
        for frm, to, at, who, note in plan.moves:
            if to == "settled":
                continue  # written with the receipt that settles it, below
            book.history("job", jid, rid, frm, to, who, at, note)
        techw = Who(plan.technician, "technician", "mobile")
        for p in plan.parts:
            sink.add("job_parts", (sink.next_id("job_parts"), jid, p.part_id, str(p.qty), m(p.price), m(p.cost),
                                   "18.00", p.covered, p.at))
            book.history("job", jid, rid, "in_progress", "in_progress", techw, p.at, f"part {p.part_id} x {p.qty}")
        if plan.advance:
            self._advance(plan, jid, number)
        if plan.rating:
            sink.add("feedback", (sink.next_id("feedback"), jid, plan.customer_id, plan.rating[0],
                                  "Good service" if plan.rating[0] >= 4 else "Could be better", plan.rating[1]))
        if plan.estimate_answer:
            book.history("estimate", jid, rid, "pending", plan.estimate_answer[0],
                         Who(w.customer_login.get(plan.customer_id), "customer", "portal"), plan.estimate_answer[1])
        if plan.billed_at:
            agent = rnd.choice(w.agents)
            _, _, paid_at = book.invoice(customer_id=plan.customer_id, source_type="job", source_id=jid,
                                         lines=plan.bill_lines, by=agent, at=plan.billed_at,
                                         narration=f"Service {number}", payments=plan.payments, now=self.now,
                                         agents=w.agents, rnd=rnd)
            settled = [mv for mv in plan.moves if mv[1] == "settled"]
            if (paid_at is None) != (not settled):
                raise AssertionError("the job's settlement and its invoice's payments disagree")
            if settled:
                frm, to, at, who, note = settled[0]
                book.history("job", jid, rid, frm, to, who, at, note)
        if plan.arrived and self.rnd.random() < 0.25:
            self._claim(plan, jid, number)
        return jid

    def _advance(self, plan: JobPlan, jid: int, number: str) -> None:
        sink, book = self.book.sink, self.book
        cents, asked, decided, state = plan.advance
        decider = self.rnd.choice(self.w.agents)
        aid, vid = sink.next_id("advances"), None
        if state == "sanctioned":
            vid = book.voucher("advance", decided.date(), f"Advance to technician for {number}",
                               [("1200", cents, 0, "technician", plan.technician), ("1000", 0, cents, None, None)],
                               by=decider, at=decided, source_type="advance", source_id=aid)
        sink.add("advances", (aid, jid, plan.technician, m(cents), "Travel and local conveyance", state,
                              decider if decided else None, vid, asked))

    def _claim(self, plan: JobPlan, jid: int, number: str) -> None:
        rnd, sink, book = self.rnd, self.book.sink, self.book
        at = (plan.resolved or plan.arrived) + minutes(rnd.randrange(120, 72 * 60))
        if at > self.now:
            return
        cid = sink.next_id("expense_claims")
        lines = [(rnd.choice(("travel", "travel", "food", "local_purchase", "lodging")), rnd.randrange(5, 150) * 1000)
                 for _ in range(rnd.choice((1, 1, 2, 3)))]
        decided = at + timedelta(days=rnd.randrange(1, 6), hours=rnd.randrange(0, 8))
        manager = rnd.choice(self.w.managers)
        states = ["pending"] * len(lines) if decided > self.now else \
            ["passed" if rnd.random() < 0.85 else "rejected" for _ in lines]
        passed = sum(c for (_, c), st in zip(lines, states) if st == "passed")
        claim_state = "submitted" if "pending" in states else \
            "passed" if set(states) == {"passed"} else "rejected" if passed == 0 else "part_passed"
        vid = None
        if claim_state != "submitted" and passed:
            vid = book.voucher("expense", decided.date(), f"Expenses EC-{cid:06d} for {number}",
                               [("5000", passed, 0, None, None), ("1200", 0, passed, "technician", plan.technician)],
                               by=manager, at=decided, source_type="expense_claim", source_id=cid)
        sink.add("expense_claims", (cid, f"EC-{cid:06d}", jid, plan.technician, claim_state, vid, at))
        for (category, cents), st in zip(lines, states):
            sink.add("expense_lines", (sink.next_id("expense_lines"), cid, category, f"{category} for {number}",
                                       m(cents), None, st, manager if st != "pending" else None,
                                       "no bill attached" if st == "rejected" else None))
        techw = Who(plan.technician, "technician", "mobile")
        book.history("expense_claim", cid, plan.request_id, None, "submitted", techw, at)
        if claim_state != "submitted":
            book.history("expense_claim", cid, plan.request_id, "submitted", claim_state,
                         Who(manager, "manager", "portal"), decided, f"passed {m(passed)}")


def problem_for(world: World, item_id: int | None, rnd) -> str:
    if item_id is None:
        return "Needs a service visit"
    return rnd.choice(CATEGORIES[world.item_category[item_id]][2])


__all__ = ["DONE", "JobPlan", "Jobs", "problem_for"]
