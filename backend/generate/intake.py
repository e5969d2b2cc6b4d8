"""Processes A, D and E in the generated world: help-desk tickets, walk-in
service orders (invoiced up front, delivered as a job) and in-house repairs
(estimate, approval or decline, repair with parts, invoice, delivery)."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.generate.book import Book, Line, Payment, Who, m
from backend.generate.jobs import DONE, METHODS, JobPlan, Jobs, minutes, problem_for
from backend.generate.world import BENCH_CENTS, CATEGORIES, VISIT_CENTS, World
from backend.orders.models import OrderState
from backend.orders.service import ORDER_MOVES
from backend.repairs.models import RepairState
from backend.repairs.service import REPAIR_MOVES

QUESTIONS = ["How often should the filter be cleaned?", "What does error E21 mean?", "Is my product under warranty?",
             "How do I book a service visit?", "Can I change my appointment?", "Where can I pay my invoice?"]
CHANNELS = ("chat", "chat", "portal", "phone", "email", "website")


def _check(lifecycle, enum, moves) -> None:
    for frm, to, _, _ in moves[1:]:
        if not lifecycle.can(enum(frm), enum(to)):
            raise AssertionError(f"{lifecycle.name} move {frm} -> {to} is not in the lifecycle")


class Intake:
    def __init__(self, book: Book, world: World, jobs: Jobs, rnd, now: datetime) -> None:
        self.book, self.w, self.jobs, self.rnd, self.now = book, world, jobs, rnd, now
        self.counts = {"tickets": 0, "orders": 0, "repairs": 0}

    def customer(self, cid: int) -> Who:
        return Who(self.w.customer_login.get(cid), "customer", self.rnd.choice(CHANNELS))

    def request(self, cid: int, kind: str, problem: str, at: datetime, *, item: int | None = None,
                contract: int | None = None, cover: str | None = None, labour: bool = False,
                parts: bool = False) -> tuple[int, Who]:
        sink = self.book.sink
        rid = sink.next_id("service_requests")
        who = self.customer(cid)
        sink.add("service_requests", (rid, f"SR-{rid:06d}", cid, kind, who.channel, problem, item,
                                      self.w.item_site.get(item) if item else self.w.sites_of[cid][0], None, contract,
                                      cover, labour, parts, who.user_id, None, at))
        self.book.history("request", rid, rid, None, f"classified:{kind}", who, at,
                          f"cover {cover}" if cover else None)
        return rid, who

    # --- A1: a help-desk ticket -------------------------------------------------------------------------
    def ticket(self, cid: int, at: datetime) -> None:
        rnd, sink, book = self.rnd, self.book.sink, self.book
        question = rnd.choice(QUESTIONS)
        rid, who = self.request(cid, "ticket", question, at)
        tid = sink.next_id("tickets")
        moves = [(None, "open", at, who)]
        agent = rnd.choice(self.w.agents)
        answered = at + minutes(rnd.randrange(5, 600))
        if answered <= self.now:
            moves.append(("open", "answered", answered, Who(agent, "agent", "portal")))
            closed = answered + minutes(rnd.randrange(30, 4000))
            if closed <= self.now and rnd.random() < 0.9:
                moves.append(("answered", "closed", closed, who))
        state = moves[-1][1]
        sink.add("tickets", (tid, f"TK-{tid:06d}", rid, cid, question, question,
                             "See the answer in our knowledge base" if state != "open" else None, state,
                             agent if state != "open" else None, at))
        for frm, to, t, actor in moves:
            book.history("ticket", tid, rid, frm, to, actor, t)
        self.counts["tickets"] += 1

    # --- D: a one-time service order, invoiced first, delivered as a job ----------------------------------
    def order(self, cid: int, item: int, at: datetime) -> int:
        rnd, sink, book, w = self.rnd, self.book.sink, self.book, self.w
        problem = problem_for(w, item, rnd)
        rid, who = self.request(cid, "order", problem, at, item=item)
        agent = Who(rnd.choice(w.agents), "agent", "portal")
        oid = sink.next_id("service_orders")
        moves = [(None, "new", at, agent)]
        lines = [Line("labour", "Service visit (labour)", 1, VISIT_CENTS)]
        if rnd.random() < 0.3:
            part_id, price, _ = rnd.choice(w.parts_of[w.item_category[item]])
            lines.append(Line("part", f"Part GP-{part_id:05d}", 1, price))
        invoiced = at + minutes(rnd.randrange(10, 60))
        plan = None
        if rnd.random() < 0.02 or invoiced > self.now:
            if invoiced <= self.now:
                moves.append(("new", "cancelled", invoiced, agent))
        else:
            moves.append(("new", "invoiced", invoiced, agent))
            planned = invoiced + minutes(rnd.randrange(10, 120))
            if planned <= self.now:
                moves.append(("invoiced", "planned", planned, agent))
                plan = JobPlan(planned, cid, w.item_site[item], item, rid, None, oid, False, False, problem)
                self.jobs.simulate(plan, agent, labour_paid=True)
                if plan.state in DONE:
                    moves.append(("planned", "done", plan.resolved, Who(plan.technician, "technician", "mobile")))
        state = moves[-1][1]
        invoice_id = None
        if state not in ("new", "cancelled"):
            total = sum(l.amount + l.tax for l in lines)
            upfront = rnd.random() < 0.5
            pay_at = invoiced + minutes(rnd.randrange(2, 30)) if upfront else \
                (plan.resolved if plan and plan.resolved else self.now + timedelta(days=1)) + \
                timedelta(days=rnd.choice((0, 1, 3, 7, 15, 30, 90)), hours=rnd.randrange(1, 6))
            invoice_id, _, paid_at = book.invoice(
                customer_id=cid, source_type="order", source_id=oid, lines=lines, by=agent.user_id, at=invoiced,
                narration=f"Service order SO-{oid:06d}", payments=[Payment(pay_at, total, rnd.choice(METHODS))],
                now=self.now, agents=w.agents, rnd=rnd)
            if state == "done" and paid_at is not None:
                moves.append(("done", "paid", max(paid_at, moves[-1][2]), agent))
        state = moves[-1][1]
        _check(ORDER_MOVES, OrderState, moves)
        sink.add("service_orders", (oid, f"SO-{oid:06d}", cid, rid, w.item_site[item], item, problem, state,
                                    invoice_id, agent.user_id, at))
        for l in lines:
            sink.add("service_order_lines", (sink.next_id("service_order_lines"), oid, l.kind,
                                             "VISIT" if l.kind == "labour" else l.description[5:], l.description,
                                             str(l.qty), m(l.unit_cents), "18.00"))
        for frm, to, t, actor in moves:
            book.history("order", oid, rid, frm, to, actor, t)
        self.counts["orders"] += 1
        if plan is not None:
            self.jobs.emit(plan)
        return oid

    # --- E: an in-house repair ----------------------------------------------------------------------------
    def repair(self, cid: int, item: int, at: datetime) -> None:
        rnd, sink, book, w = self.rnd, self.book.sink, self.book, self.w
        fault = problem_for(w, item, rnd)
        rid, who = self.request(cid, "repair", fault, at, item=item)
        agent = Who(rnd.choice(w.agents), "agent", "portal")
        tech = rnd.choice(w.technicians)
        techw = Who(tech, "technician", "portal")
        parts = rnd.sample(w.parts_of[w.item_category[item]], rnd.choice((1, 1, 2)))
        estimates = [[Line("labour", "Workshop bench fee", 1, BENCH_CENTS)]
                     + [Line("part", f"Part GP-{p:05d}", 1, price) for p, price, _ in parts]]
        moves, t = [(None, "received", at, agent)], at
        answers: list[tuple[str, datetime | None, datetime]] = []
        steps = [("estimating", agent, 30, 240), ("estimate_sent", techw, 240, 2880)]
        approve = rnd.random() < 0.82
        steps += [("approved", who, 60, 2880), ("under_repair", techw, 60, 1440), ("repaired", techw, 240, 4320),
                  ("invoiced", agent, 30, 600), ("delivered", agent, 60, 2880), ("closed", agent, 60, 1440)] \
            if approve else [("declined", who, 60, 2880), ("returned", agent, 120, 2880)]
        revised = approve and rnd.random() < 0.1
        repaired_at = delivered_at = None
        for state, actor, lo, hi in steps:
            t = t + minutes(rnd.randrange(lo, hi))
            if t > self.now:
                break
            moves.append((moves[-1][1], state, t, actor))
            if state == "estimate_sent":
                answers.append(("sent", None, t))
            elif state in ("approved", "declined"):
                answers[-1] = (state, t, answers[-1][2])
            elif state == "under_repair" and revised and len(estimates) == 1:
                # the technician finds another fault: a revised estimate, approved, then on with the repair
                extra = rnd.choice(w.parts_of[w.item_category[item]])
                parts = parts + [extra]
                estimates.append(estimates[0] + [Line("part", f"Part GP-{extra[0]:05d}", 1, extra[1])])
                for again, actor2 in (("estimate_sent", techw), ("approved", who), ("under_repair", techw)):
                    t = t + minutes(rnd.randrange(60, 1440))
                    if t > self.now:
                        break
                    moves.append((moves[-1][1], again, t, actor2))
                    if again == "estimate_sent":
                        answers.append(("sent", None, t))
                    elif again == "approved":
                        answers[-1] = ("approved", t, answers[-1][2])
                if t > self.now:
                    break
            elif state == "repaired":
                repaired_at = t
            elif state in ("delivered", "returned"):
                delivered_at = t
        state = moves[-1][1]
        _check(REPAIR_MOVES, RepairState, moves)
        roid = sink.next_id("repair_orders")
        invoice_id = None
        if state in ("invoiced", "delivered", "closed"):
            lines = estimates[len(answers) - 1]
            total = sum(l.amount + l.tax for l in lines)
            invoiced_at = next(mt for _, to, mt, _ in moves if to == "invoiced")
            pay_at = delivered_at or self.now + timedelta(days=1)
            invoice_id, _, _ = book.invoice(
                customer_id=cid, source_type="repair", source_id=roid, lines=lines,
                by=agent.user_id, at=invoiced_at, narration=f"Repair RO-{roid:06d}",
                payments=[Payment(pay_at, total, rnd.choice(METHODS))], now=self.now, agents=w.agents, rnd=rnd)
        sink.add("repair_orders", (roid, f"RO-{roid:06d}", cid, rid, item, CATEGORIES[w.item_category[item]][0], fault,
                                   state, tech if len(moves) > 1 else None, False, False,
                                   "Checked OK" if repaired_at else None, invoice_id, at, repaired_at, delivered_at))
        for version, (answer, answered, created) in enumerate(answers, start=1):
            lines = estimates[version - 1]
            eid = sink.next_id("repair_estimates")
            sink.add("repair_estimates", (eid, roid, version, answer, m(sum(l.amount + l.tax for l in lines)),
                                          "revised: another part needed" if version > 1 else None, created, answered))
            for l in lines:
                sink.add("repair_estimate_lines", (sink.next_id("repair_estimate_lines"), eid, l.kind,
                                                   "BENCH" if l.kind == "labour" else l.description[5:],
                                                   l.description, str(l.qty), m(l.unit_cents), "18.00"))
        if state in ("repaired", "invoiced", "delivered", "closed"):
            for part_id, _, cost in parts:
                sink.add("repair_parts", (sink.next_id("repair_parts"), roid, part_id, "1", m(cost), repaired_at))
        for frm, to, mt, actor in moves:
            book.history("repair", roid, rid, frm, to, actor, mt)
        self.counts["repairs"] += 1
