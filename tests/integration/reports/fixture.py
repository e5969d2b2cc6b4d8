"""A small March 2025 whose figures are worked out by hand in the tests.

Two customers (Asha, Ravi), two technicians (T1, T2), an AMC contract for
Asha's AC with four planned visits, and these jobs (times UTC):

| job | tech | customer / item | created | slot | arrived | resolved | state | billed (net) |
|---|---|---|---|---|---|---|---|---|
| J7 | T1 | Asha / washer | Feb 10 | Feb 11 10-12 | 10:00 | 11:00 | settled | 500 (Feb 12, paid Feb 20 cash) |
| J1 | T1 | Asha / washer | Mar 2 09:00 | Mar 3 10-12 | 10:10 | 11:40 | settled | 500 + part 1000 (Mar 4, paid Mar 10 bank) |
| J2 | T1 | Ravi / washer | Mar 5 | Mar 6 14-16 | 14:40 | 16:10 | billed | 500 + 2 parts x 200 (Mar 7, unpaid) |
| J3 | T2 | Asha / AC (AMC visit) | Mar 8 | Mar 10 09-11 | 09:05 | 10:05 | billed | part 200 (Mar 11, unpaid) |
| J4 | T2 | Ravi / washer (again) | Mar 20 10:00 | Mar 31 10-12 | - | - | scheduled | |
| J5 | - | Asha | Mar 28 08:00 | - | - | - | new | |
| J6 | T1 | Ravi | Mar 15 | Mar 16 09-11 | - | - | cancelled | |

Plus: the AMC's contract invoice (1200 + tax, two instalments, half paid Mar
15 by bank), a T1 advance of 300 in cash on Mar 2, T1's expense claim on J1
(travel 100 passed, food 50 rejected), T2's pending claim on J3 (travel 80),
feedback 5 on J1 and 2 on J2, an open and a closed ticket, a service order
invoiced for 500 + tax (unpaid) and a repair with an estimate of 354 sent.
All money goes through the real ``issue_invoice`` and ``post_voucher``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from backend.billing.invoicing import LineInput, issue_invoice
from backend.billing.models import Invoice, Receipt
from backend.catalog.models import Item, Part, Product
from backend.coverage.models import Contract, ContractOffer, CoveredItem, Instalment, PlannedVisit
from backend.customers.models import Customer, Site
from backend.db import UnitOfWork
from backend.history.models import StateChange
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.intake.models import ServiceRequest, Ticket
from backend.jobs.models import Advance, ExpenseClaim, ExpenseLine, Feedback, Job, JobPart
from backend.ledger import chart
from backend.ledger.models import VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.orders.models import ServiceOrder
from backend.repairs.models import RepairEstimate, RepairOrder

START, END = date(2025, 3, 1), date(2025, 3, 31)
PASSWORD = "report-pass-1"
TAX = Decimal("18.00")


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=timezone.utc)


@dataclass
class March:
    manager: Actor
    agent: Actor
    admin: Actor
    t1: Actor
    t2: Actor
    asha: Actor
    ravi: Actor
    customers: dict[str, int] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    parts: dict[str, int] = field(default_factory=dict)
    contract: int = 0
    emails: dict[str, str] = field(default_factory=dict)


def build(uow: UnitOfWork) -> March:
    from backend.identity.passwords import hash_password

    pw = hash_password(PASSWORD)
    with uow() as s:
        asha_c, ravi_c = Customer(code="C-ASHA", name="Asha"), Customer(code="C-RAVI", name="Ravi")
        s.add_all([asha_c, ravi_c])
        s.flush()
        a_site, r_site = Site(customer_id=asha_c.id, name="Home", address="1 Elm"), \
            Site(customer_id=ravi_c.id, name="Home", address="2 Oak")
        s.add_all([a_site, r_site])
        s.flush()
        actors = {}
        for key, role, cid in [("manager", Role.MANAGER, None), ("agent", Role.AGENT, None),
                               ("admin", Role.ADMIN, None), ("t1", Role.TECHNICIAN, None),
                               ("t2", Role.TECHNICIAN, None), ("asha", Role.CUSTOMER, asha_c.id),
                               ("ravi", Role.CUSTOMER, ravi_c.id)]:
            u = User(email=f"{key}@march.test", name=key.upper(), role=role, password_hash=pw, customer_id=cid)
            s.add(u)
            s.flush()
            actors[key] = Actor(role, u.id, cid, u.name, "portal")
        w = March(actors["manager"], actors["agent"], actors["admin"], actors["t1"], actors["t2"], actors["asha"],
                  actors["ravi"], {"asha": asha_c.id, "ravi": ravi_c.id})
        w.emails = {k: f"{k}@march.test" for k in actors}
        washer = Product(sku="WM", name="Washer", category="washing_machine")
        ac = Product(sku="AC", name="Air conditioner", category="air_conditioner")
        s.add_all([washer, ac])
        s.flush()
        items = {}
        for key, product, cust, site in [("i1", washer, asha_c, a_site), ("i2", ac, asha_c, a_site),
                                         ("i3", washer, ravi_c, r_site)]:
            items[key] = Item(product_id=product.id, serial=f"SN-{key}", customer_id=cust.id, site_id=site.id)
            s.add(items[key])
        p1 = Part(sku="P1", name="Pump", unit_price=Decimal("1000"), unit_cost=Decimal("600"), tax_rate=TAX,
                  stock_qty=Decimal("4"))
        p2 = Part(sku="P2", name="Belt", unit_price=Decimal("200"), unit_cost=Decimal("80"), tax_rate=TAX,
                  stock_qty=Decimal("7"))
        s.add_all([p1, p2])
        s.flush()
        w.parts = {"P1": p1.id, "P2": p2.id}

        # --- the AMC contract (C): offer accepted, invoice with two instalments, four visits ---
        k1 = Contract(number="CT-K1", customer_id=asha_c.id, type_code="AMC", starts_on=date(2025, 3, 3),
                      ends_on=date(2026, 3, 2), status="active", created_at=at(3, 1, 9), site_id=a_site.id,
                      value=Decimal("1200"), visits_per_year=4, instalments=2, accepted_at=at(3, 2, 10))
        s.add(k1)
        s.flush()
        w.contract = k1.id
        s.add(CoveredItem(contract_id=k1.id, item_id=items["i2"].id))
        s.add(ContractOffer(contract_id=k1.id, version=1, type_code="AMC", amount=Decimal("1200"), tax_rate=TAX,
                            starts_on=k1.starts_on, ends_on=k1.ends_on, visits_per_year=4, instalments=2,
                            valid_until=date(2025, 3, 31), state="accepted", sent_at=at(3, 1, 12),
                            answered_at=at(3, 2, 10)))
        k_inv = _invoice(s, w.agent, asha_c.id, "contract", k1.id, date(2025, 3, 2),
                         [LineInput("contract", "AMC cover", Decimal(1), Decimal("1200"), TAX)])
        s.add_all([Instalment(invoice_id=k_inv.id, seq=1, due_on=date(2025, 3, 2), amount=Decimal("708")),
                   Instalment(invoice_id=k_inv.id, seq=2, due_on=date(2025, 9, 1), amount=Decimal("708"))])
        _receipt(s, w.agent, k_inv, Decimal("708"), "bank", date(2025, 3, 15))

        # --- jobs (B) ---
        def job(key, tech, cust, item, created, slot, arrived, resolved, state, *, contract=None, request=True,
                estimate="none", estimate_amount="0"):
            req = None
            if request:
                req = ServiceRequest(customer_id=cust.id, kind="job" if contract else "order", channel="portal",
                                     problem="Broken", item_id=item.id if item else None, created_at=created)
                s.add(req)
                s.flush()
                req.number = f"SR-{req.id:06d}"
                w.requests[key] = req.number
                _hist(s, "request", req.id, req.id, None, "classified:order", created, w.asha)
            j = Job(number=None, request_id=req.id if req else None, customer_id=cust.id,
                    item_id=item.id if item else None, contract_id=contract, covers_labour=bool(contract),
                    covers_parts=False, problem="Broken", state=state, technician_id=tech.user_id if tech else None,
                    scheduled_start=slot[0] if slot else None, scheduled_end=slot[1] if slot else None,
                    arrived_at=arrived, resolved_at=resolved, visits=1 if arrived else 0,
                    estimate_state=estimate, estimate_amount=Decimal(estimate_amount), created_at=created)
            s.add(j)
            s.flush()
            j.number = f"JB-{j.id:06d}"
            w.jobs[key], w.numbers[key] = j.id, j.number
            return j, req

        j7, _ = job("J7", w.t1, asha_c, items["i1"], at(2, 10, 9), (at(2, 11, 10), at(2, 11, 12)), at(2, 11, 10),
                    at(2, 11, 11), "settled", estimate="accepted", estimate_amount="590")
        j7_inv = _invoice(s, w.agent, asha_c.id, "job", j7.id, date(2025, 2, 12),
                          [LineInput("labour", "Visit", Decimal(1), Decimal("500"), TAX)])
        _receipt(s, w.agent, j7_inv, Decimal("590"), "cash", date(2025, 2, 20))

        j1, r1 = job("J1", w.t1, asha_c, items["i1"], at(3, 2, 9), (at(3, 3, 10), at(3, 3, 12)), at(3, 3, 10, 10),
                     at(3, 3, 11, 40), "settled", estimate="accepted", estimate_amount="1770")
        s.add(JobPart(job_id=j1.id, part_id=p1.id, qty=Decimal(1), unit_price=Decimal("1000"),
                      unit_cost=Decimal("600"), tax_rate=TAX, covered=False, recorded_at=at(3, 3, 11)))
        j1_inv = _invoice(s, w.agent, asha_c.id, "job", j1.id, date(2025, 3, 4),
                          [LineInput("labour", "Visit", Decimal(1), Decimal("500"), TAX),
                           LineInput("part", "Pump", Decimal(1), Decimal("1000"), TAX)])
        _receipt(s, w.agent, j1_inv, Decimal("1770"), "bank", date(2025, 3, 10))
        for frm, to, when, who in [(None, "new", at(3, 2, 9), w.asha), ("new", "scheduled", at(3, 2, 10), w.agent),
                                   ("scheduled", "confirmed", at(3, 2, 11), w.t1),
                                   ("confirmed", "released", at(3, 2, 12), w.agent),
                                   ("released", "in_progress", at(3, 3, 10, 10), w.t1),
                                   ("in_progress", "resolved", at(3, 3, 11, 40), w.t1),
                                   ("resolved", "feedback", at(3, 3, 18), w.asha),
                                   ("feedback", "billed", at(3, 4, 9), w.agent),
                                   ("billed", "settled", at(3, 10, 12), w.agent)]:
            _hist(s, "job", j1.id, r1.id, frm, to, when, who)
        _hist(s, "invoice", j1_inv.id, None, "open", "paid", at(3, 10, 12), w.agent)  # linked via its source
        s.add(Feedback(job_id=j1.id, customer_id=asha_c.id, rating=5, created_at=at(3, 3, 18)))
        adv_v = post_voucher(s, kind=VoucherKind.ADVANCE, on=date(2025, 3, 2), narration="Advance J1",
                             lines=[Line(chart.TECH_ADVANCES, debit=Decimal("300"), party_type="technician",
                                         party_id=w.t1.user_id), Line(chart.CASH, credit=Decimal("300"))],
                             actor=w.agent, source_type="advance", source_id=1)
        s.add(Advance(job_id=j1.id, technician_id=w.t1.user_id, amount=Decimal("300"), purpose="Bus",
                      state="sanctioned", decided_by=w.agent.user_id, voucher_id=adv_v.id, created_at=at(3, 2, 11)))
        claim = ExpenseClaim(number="EC-1", job_id=j1.id, technician_id=w.t1.user_id, state="part_passed",
                             created_at=at(3, 4, 12))
        s.add(claim)
        s.flush()
        s.add_all([ExpenseLine(claim_id=claim.id, category="travel", description="Auto", amount=Decimal("100"),
                               state="passed"),
                   ExpenseLine(claim_id=claim.id, category="food", description="Lunch", amount=Decimal("50"),
                               state="rejected", reason="no bill")])
        exp_v = post_voucher(s, kind=VoucherKind.EXPENSE, on=date(2025, 3, 6), narration="Expenses EC-1",
                             lines=[Line(chart.JOB_EXPENSES, debit=Decimal("100")),
                                    Line(chart.TECH_ADVANCES, credit=Decimal("100"), party_type="technician",
                                         party_id=w.t1.user_id)],
                             actor=w.manager, source_type="expense_claim", source_id=claim.id)
        claim.voucher_id = exp_v.id
        _hist(s, "expense_claim", claim.id, None, None, "submitted", at(3, 4, 12), w.t1)
        _hist(s, "expense_claim", claim.id, None, "submitted", "part_passed", at(3, 6, 9), w.manager)

        j2, _ = job("J2", w.t1, ravi_c, items["i3"], at(3, 5, 9), (at(3, 6, 14), at(3, 6, 16)), at(3, 6, 14, 40),
                    at(3, 6, 16, 10), "billed", estimate="accepted", estimate_amount="1062")
        s.add(JobPart(job_id=j2.id, part_id=p2.id, qty=Decimal(2), unit_price=Decimal("200"), unit_cost=Decimal("80"),
                      tax_rate=TAX, covered=False, recorded_at=at(3, 6, 15)))
        _invoice(s, w.agent, ravi_c.id, "job", j2.id, date(2025, 3, 7),
                 [LineInput("labour", "Visit", Decimal(1), Decimal("500"), TAX),
                  LineInput("part", "Belt", Decimal(2), Decimal("200"), TAX)])
        s.add(Feedback(job_id=j2.id, customer_id=ravi_c.id, rating=2, created_at=at(3, 8, 9)))

        j3, _ = job("J3", w.t2, asha_c, items["i2"], at(3, 8, 2), (at(3, 10, 9), at(3, 10, 11)), at(3, 10, 9, 5),
                    at(3, 10, 10, 5), "billed", contract=k1.id, request=False, estimate="accepted",
                    estimate_amount="236")
        s.add(JobPart(job_id=j3.id, part_id=p2.id, qty=Decimal(1), unit_price=Decimal("200"), unit_cost=Decimal("80"),
                      tax_rate=TAX, covered=False, recorded_at=at(3, 10, 9, 30)))
        _invoice(s, w.agent, asha_c.id, "job", j3.id, date(2025, 3, 11),
                 [LineInput("part", "Belt", Decimal(1), Decimal("200"), TAX)])
        claim2 = ExpenseClaim(number="EC-2", job_id=j3.id, technician_id=w.t2.user_id, state="submitted",
                              created_at=at(3, 12, 9))
        s.add(claim2)
        s.flush()
        s.add(ExpenseLine(claim_id=claim2.id, category="travel", description="Taxi", amount=Decimal("80")))
        s.add_all([PlannedVisit(contract_id=k1.id, item_id=items["i2"].id, due_on=date(2025, 3, 10), state="done",
                                job_id=j3.id),
                   PlannedVisit(contract_id=k1.id, item_id=items["i2"].id, due_on=date(2025, 3, 29),
                                state="planned"),
                   PlannedVisit(contract_id=k1.id, item_id=items["i2"].id, due_on=date(2025, 9, 10),
                                state="planned"),
                   PlannedVisit(contract_id=k1.id, item_id=items["i2"].id, due_on=date(2025, 12, 10),
                                state="planned")])

        job("J4", w.t2, ravi_c, items["i3"], at(3, 20, 10), (at(3, 31, 10), at(3, 31, 12)), None, None, "scheduled")
        job("J5", None, asha_c, None, at(3, 28, 8), None, None, None, "new")
        job("J6", w.t1, ravi_c, None, at(3, 15, 9), (at(3, 16, 9), at(3, 16, 11)), None, None, "cancelled")

        # --- A, D, E ---
        for state, day in (("open", 3), ("closed", 4)):
            req = ServiceRequest(customer_id=asha_c.id, kind="ticket", channel="chat", problem="?",
                                 created_at=at(3, day, 9))
            s.add(req)
            s.flush()
            s.add(Ticket(request_id=req.id, customer_id=asha_c.id, subject="?", body="?", state=state,
                         created_at=at(3, day, 9)))
        so = ServiceOrder(number="SO-1", customer_id=ravi_c.id, description="Install", state="invoiced",
                          created_at=at(3, 12, 9))
        s.add(so)
        s.flush()
        so.invoice_id = _invoice(s, w.agent, ravi_c.id, "order", so.id, date(2025, 3, 12),
                                 [LineInput("labour", "Visit", Decimal(1), Decimal("500"), TAX)]).id
        ro = RepairOrder(number="RO-1", customer_id=asha_c.id, item_description="Microwave", fault="No heat",
                         state="estimate_sent", technician_id=w.t2.user_id, received_at=at(3, 14, 10))
        s.add(ro)
        s.flush()
        s.add(RepairEstimate(repair_id=ro.id, version=1, state="sent", total=Decimal("354"), created_at=at(3, 15, 9)))
    return w


def _invoice(s, actor, customer_id, source_type, source_id, on, lines) -> Invoice:
    return issue_invoice(s, customer_id=customer_id, source_type=source_type, source_id=source_id, lines=lines,
                         actor=actor, on=on)


def _receipt(s, actor, inv: Invoice, amount: Decimal, method: str, on: date) -> None:
    r = Receipt(invoice_id=inv.id, customer_id=inv.customer_id, amount=amount, method=method, received_on=on)
    s.add(r)
    s.flush()
    r.number = f"RC-{r.id:06d}"
    v = post_voucher(s, kind=VoucherKind.RECEIPT, on=on, narration=f"Receipt {r.number}",
                     lines=[Line(chart.CASH if method == "cash" else chart.BANK, debit=amount),
                            Line(chart.RECEIVABLE, credit=amount, party_type="customer", party_id=inv.customer_id)],
                     actor=actor, source_type="receipt", source_id=r.id, invoice=inv)
    r.voucher_id = v.id
    if amount == inv.total:
        inv.state = "paid"


def _hist(s, entity, entity_id, request_id, frm, to, when, who: Actor) -> None:
    s.add(StateChange(entity_type=entity, entity_id=entity_id, request_id=request_id, from_state=frm, to_state=to,
                      actor_id=who.user_id, actor_role=str(who.role), channel="portal", at=when))
