"""Each report against figures worked out by hand from the March fixture
(see fixture.py for the table of jobs and money), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from backend.reports import calendars, costing, dashboard, journey, money, operations, pipelines, technicians

from .fixture import END, START, March

R = {"start": START, "end": END}


def test_dashboard_counts_open_work_sla_today_and_collections(any_uow, march: March):
    d = dashboard.dashboard(any_uow, march.manager, **R)
    got = {(r.process, r.entity, r.state): r.count for r in d.open_requests}
    # raised in March and not finished: TK open; J2, J3 billed, J4 scheduled, J5 new; K1 active; SO1; RO1
    assert got == {("A", "ticket", "open"): 1, ("B", "job", "new"): 1, ("B", "job", "scheduled"): 1,
                   ("B", "job", "billed"): 2, ("C", "contract", "active"): 1, ("D", "order", "invoiced"): 1,
                   ("E", "repair", "estimate_sent"): 1}
    assert d.open_total == 8
    # J5 new for over 24 h; J4's slot (Mar 31 10-12) ended before the range's end; J2 arrived 40 min late
    # and was resolved at 16:10 after its 16:00 slot end
    assert (d.sla.unscheduled, d.sla.past_slot, d.sla.late_arrivals, d.sla.resolved_after_slot) == (1, 1, 1, 1)
    assert d.today == END and [(r.state, r.count) for r in d.todays_jobs] == [("scheduled", 1)]
    c = d.collections
    # open invoices due by Mar 31: J2 1062, J3 236, SO1 590, contract 1416 - 708 paid
    assert (c.overdue_invoices, c.overdue_amount) == (4, D("2596.00"))
    assert (c.due_in_range_invoices, c.due_in_range_amount) == (4, D("2596.00"))
    assert (c.instalments_due, c.instalments_amount) == (1, D("708.00"))


def test_scoreboard_per_technician(any_uow, march: March):
    rows = {r.name: r for r in technicians.scoreboard(any_uow, march.manager, **R)}
    t1, t2 = rows["T1"], rows["T2"]
    # T1 did J1 (10 min late: on time; fixed first time) and J2 (40 min late; the washer came back as J4)
    assert (t1.jobs_done, t1.arrivals_timed, t1.on_time, t1.on_time_pct) == (2, 2, 1, D("50.0"))
    assert (t1.first_visit_fixes, t1.first_visit_fix_pct) == (1, D("50.0"))
    assert (t1.ratings, t1.average_rating, t1.revenue) == (2, D("3.50"), D("2400.00"))
    assert (t2.jobs_done, t2.on_time_pct, t2.first_visit_fix_pct, t2.ratings, t2.average_rating, t2.revenue) == \
        (1, D("100.0"), D("100.0"), 0, None, D("200.00"))
    only = technicians.scoreboard(any_uow, march.manager, technician_id=march.t2.user_id, **R)
    assert [r.name for r in only] == ["T2"]


def test_kanban_counts_every_state_and_filters(any_uow, march: March):
    cols = dashboard.kanban(any_uow, march.agent, **R)
    assert [c.state for c in cols][:3] == ["new", "scheduled", "confirmed"] and len(cols) == 13
    counts = {c.state: c.count for c in cols if c.count}
    assert counts == {"new": 1, "scheduled": 1, "billed": 2, "settled": 1, "cancelled": 1}
    billed = next(c for c in cols if c.state == "billed")
    assert [card.number for card in billed.cards] == [march.numbers["J2"], march.numbers["J3"]]  # by appointment
    assert billed.next_states == ["resolved", "settled"]  # resolved: its invoice cancelled, to bill again
    mine = {c.state: c.count for c in dashboard.kanban(any_uow, march.agent, technician_id=march.t1.user_id, **R)
            if c.count}
    assert mine == {"billed": 1, "settled": 1, "cancelled": 1}
    one = dashboard.kanban(any_uow, march.agent, cards=1, **R)
    assert all(len(c.cards) <= 1 for c in one)


def test_journey_gathers_every_history_row_of_the_request(any_uow, march: March):
    j = journey.journey(any_uow, march.asha, request=march.requests["J1"])
    # the request, nine job moves, the invoice paid (linked by its source), the claim submitted and decided
    assert len(j.steps) == 13
    assert [s.at for s in j.steps] == sorted(s.at for s in j.steps)
    entities = [s.entity for s in j.steps]
    assert entities.count("job") == 9 and entities.count("invoice") == 1 and entities.count("expense_claim") == 2
    assert {s.process for s in j.steps} == {"A", "B"}
    assert j.steps[0].to_state == "classified:order" and j.steps[-1].to_state == "paid"
    assert next(s for s in j.steps if s.entity == "job").reference == march.numbers["J1"]
    by_job_ref = journey.journey(any_uow, march.manager, request=march.numbers["J1"])
    assert by_job_ref.steps == j.steps
    inside = journey.journey(any_uow, march.manager, request=march.requests["J1"], start=date(2025, 3, 3),
                             end=date(2025, 3, 3))
    assert [s.to_state for s in inside.steps] == ["in_progress", "resolved", "feedback"]


def test_calendars(any_uow, march: March):
    cal = calendars.appointment_calendar(any_uow, march.agent, **R)
    # J1, J2, J3, J4 booked in March (J6 cancelled is left out) and the visit due Mar 29 with no job yet
    assert [(e.day.day, e.kind) for e in cal] == [(3, "appointment"), (6, "appointment"), (10, "appointment"),
                                                  (29, "planned_visit"), (31, "appointment")]
    assert cal[3].contract == "CT-K1" and cal[3].customer == "Asha" and cal[3].reference is None
    assert [e.reference for e in calendars.appointment_calendar(any_uow, march.agent, limit=2, **R)] == \
        [march.numbers["J1"], march.numbers["J2"]]
    days = {(d.day.day, d.technician): (d.jobs, d.open, d.done, d.cancelled, d.hours_booked)
            for d in calendars.jobs_calendar(any_uow, march.agent, **R)}
    assert days == {(3, "T1"): (1, 0, 1, 0, D("2.00")), (6, "T1"): (1, 0, 1, 0, D("2.00")),
                    (10, "T2"): (1, 0, 1, 0, D("2.00")), (16, "T1"): (1, 0, 0, 1, D("0.00")),
                    (31, "T2"): (1, 1, 0, 0, D("2.00"))}
    repairs = calendars.repair_calendar(any_uow, march.agent, **R)
    assert [(r.day.day, r.event, r.number, r.technician) for r in repairs] == [(14, "received", "RO-1", "T2")]


def test_offer_and_order_pipelines(any_uow, march: March):
    offers = pipelines.offer_pipeline(any_uow, march.manager, **R)
    got = {(s.kind, s.state): (s.count, s.amount) for s in offers.stages if s.count}
    assert got == {("contract_offer", "accepted"): (1, D("1200.00")), ("repair_estimate", "sent"): (1, D("354.00")),
                   ("job_estimate", "accepted"): (3, D("3068.00"))}  # J1 1770 + J2 1062 + J3 236
    assert offers.won_pct == {"contract_offer": D("100.0"), "repair_estimate": None, "job_estimate": D("100.0")}
    orders = {(s.kind, s.state): (s.count, s.amount) for s in pipelines.order_pipeline(any_uow, march.manager, **R)
              if s.count}
    assert orders == {("contract", "active"): (1, D("1200.00")), ("service_order", "invoiced"): (1, D("590.00")),
                      ("repair_order", "estimate_sent"): (1, D("354.00"))}


def test_sales_register(any_uow, march: March):
    reg = money.sales_register(any_uow, march.manager, **R)
    assert (reg.invoices, reg.subtotal, reg.tax, reg.total) == (5, D("4300.00"), D("774.00"), D("5074.00"))
    assert {b.source_type: (b.invoices, b.total) for b in reg.by_source} == \
        {"contract": (1, D("1416.00")), "job": (3, D("3068.00")), "order": (1, D("590.00"))}
    assert [(l.issued_on.day, l.total, l.paid, l.outstanding) for l in reg.lines] == [
        (2, D("1416.00"), D("708.00"), D("708.00")), (4, D("1770.00"), D("1770.00"), D("0.00")),
        (7, D("1062.00"), D("0.00"), D("1062.00")), (11, D("236.00"), D("0.00"), D("236.00")),
        (12, D("590.00"), D("0.00"), D("590.00"))]
    jobs_only = money.sales_register(any_uow, march.manager, source_type="job", limit=2, **R)
    assert jobs_only.invoices == 3 and len(jobs_only.lines) == 2 and jobs_only.truncated


def test_outstanding_and_ageing_at_the_end_of_the_range(any_uow, march: March):
    out = money.outstanding(any_uow, march.manager, **R)
    assert out.as_of == END and out.total == D("2596.00") and out.customers == 2
    assert [(r.customer, r.total, r.d1_30) for r in out.rows] == [("Ravi", D("1652.00"), D("1652.00")),
                                                                  ("Asha", D("944.00"), D("944.00"))]
    mine = money.outstanding(any_uow, march.asha, **R)
    assert [r.customer for r in mine.rows] == ["Asha"]


def test_party_statement(any_uow, march: March):
    st = money.party_statement(any_uow, march.manager, party_id=march.customers["asha"], **R)
    # February's invoice and its receipt cancel out; March: +1416 +1770 -1770 +236 -708
    assert st.opening == D("0.00") and st.closing == D("944.00")
    assert [(l.on.day, l.debit, l.credit) for l in st.lines] == [
        (2, D("1416.00"), D("0.00")), (4, D("1770.00"), D("0.00")), (10, D("0.00"), D("1770.00")),
        (11, D("236.00"), D("0.00")), (15, D("0.00"), D("708.00"))]
    own = money.party_statement(any_uow, march.asha, **R)  # a customer's own, by default
    assert own.closing == st.closing
    tech = money.party_statement(any_uow, march.t1, party_type="technician", **R)
    assert tech.closing == D("200.00")  # advance 300 less the 100 passed


def test_cash_flow(any_uow, march: March):
    cf = money.cash_flow(any_uow, march.manager, **R)
    assert cf.opening == {"1000": D("590.00"), "1010": D("0.00")}  # February's cash receipt
    assert [(r.period.day, r.account, r.inflow, r.outflow, r.closing) for r in cf.rows] == [
        (2, "1000", D("0.00"), D("300.00"), D("290.00")),  # the advance
        (10, "1010", D("1770.00"), D("0.00"), D("1770.00")),
        (15, "1010", D("708.00"), D("0.00"), D("2478.00"))]
    assert (cf.inflow, cf.outflow, cf.closing) == (D("2478.00"), D("300.00"), {"1000": D("290.00"),
                                                                               "1010": D("2478.00")})
    month = money.cash_flow(any_uow, march.manager, by="month", **R)
    assert [(r.period, r.account, r.net) for r in month.rows] == [(date(2025, 3, 1), "1000", D("-300.00")),
                                                                 (date(2025, 3, 1), "1010", D("2478.00"))]
    week = money.cash_flow(any_uow, march.manager, by="week", account="bank", **R)
    # Mar 10 and Mar 15 fall in the week that starts on Monday Mar 10
    assert [(r.period, r.inflow) for r in week.rows] == [(date(2025, 3, 10), D("2478.00"))]


def test_job_execution_expense(any_uow, march: March):
    by_tech = {r.name: r for r in operations.job_expense(any_uow, march.manager, **R)}
    t1, t2 = by_tech["T1"], by_tech["T2"]
    assert (t1.advances, t1.claims, t1.claimed, t1.passed, t1.rejected, t1.pending) == \
        (D("300.00"), 1, D("150.00"), D("100.00"), D("50.00"), D("0.00"))
    assert (t2.advances, t2.claims, t2.claimed, t2.pending) == (D("0.00"), 1, D("80.00"), D("80.00"))
    cats = {r.key: (r.claimed, r.passed, r.rejected, r.pending)
            for r in operations.job_expense(any_uow, march.manager, by="category", **R)}
    assert cats == {"food": (D("50.00"), D("0.00"), D("50.00"), D("0.00")),
                    "travel": (D("180.00"), D("100.00"), D("0.00"), D("80.00"))}
    jobs = {r.name: r.advances for r in operations.job_expense(any_uow, march.manager, by="job", **R)}
    assert jobs == {march.numbers["J1"]: D("300.00"), march.numbers["J3"]: D("0.00")}


def test_visit_reports(any_uow, march: March):
    visits = operations.visit_reports(any_uow, march.manager, **R)
    assert [(v.job, v.minutes_late, v.on_time, v.minutes_on_site, v.parts_used) for v in visits] == [
        (march.numbers["J1"], 10, True, 90, 1), (march.numbers["J2"], 40, False, 90, 1),
        (march.numbers["J3"], 5, True, 60, 1)]
    assert visits[0].product == "Washer" and visits[0].serial == "SN-i1" and visits[0].technician == "T1"
    ravi = operations.visit_reports(any_uow, march.manager, customer_id=march.customers["ravi"], **R)
    assert [v.job for v in ravi] == [march.numbers["J2"]]


def test_parts_used(any_uow, march: March):
    rows = operations.parts_used(any_uow, march.manager, **R)
    assert [(p.sku, p.qty, p.jobs, p.billed_qty, p.revenue, p.cost, p.margin, p.in_stock) for p in rows] == [
        ("P1", D("1.000"), 1, D("1.000"), D("1000.00"), D("600.00"), D("400.00"), D("4")),
        ("P2", D("3.000"), 2, D("3.000"), D("600.00"), D("240.00"), D("360.00"), D("7"))]
    t2 = operations.parts_used(any_uow, march.manager, technician_id=march.t2.user_id, **R)
    assert [(p.sku, p.qty) for p in t2] == [("P2", D("1.000"))]
    assert [p.sku for p in operations.parts_used(any_uow, march.manager, part="P1", **R)] == ["P1"]


def test_feedback_analysis(any_uow, march: March):
    fa = operations.feedback_analysis(any_uow, march.manager, **R)
    o = fa.overall
    assert (o.responses, o.average, o.r1, o.r2, o.r3, o.r4, o.r5, o.low_pct) == (2, D("3.50"), 0, 1, 0, 0, 1,
                                                                                D("50.0"))
    assert [(g.name, g.responses) for g in fa.groups] == [("T1", 2)]
    by_product = operations.feedback_analysis(any_uow, march.manager, by="product", **R)
    assert [(g.name, g.average) for g in by_product.groups] == [("Washer", D("3.50"))]
    by_month = operations.feedback_analysis(any_uow, march.manager, by="month", **R)
    assert [g.key for g in by_month.groups] == ["2025-03-01"]


def test_extra_billing_outside_contracts(any_uow, march: March):
    eb = money.extra_billing(any_uow, march.manager, **R)
    assert (eb.invoices, eb.subtotal) == (1, D("200.00"))
    assert [(b.job, b.contract, b.labour, b.parts, b.total) for b in eb.bills] == [
        (march.numbers["J3"], "CT-K1", D("0.00"), D("200.00"), D("236.00"))]
    assert [(t.contract_type, t.parts) for t in eb.by_type] == [("AMC", D("200.00"))]
    assert money.extra_billing(any_uow, march.manager, contract_type="CMC", **R).invoices == 0


def test_job_pnl_by_every_grouping(any_uow, march: March):
    pnl = costing.job_pnl(any_uow, march.manager, **R)
    # J1: 1500 - 600 parts - 100 passed - 1.5 h x 250; J2: 900 - 160 - 375; J3: 200 + 1200/4 - 80 - 250
    assert [(r.name, r.revenue, r.parts_cost, r.expenses, r.hours, r.labour_cost, r.profit) for r in pnl.rows] == [
        (march.numbers["J3"], D("500.00"), D("80.00"), D("0.00"), D("1.00"), D("250.00"), D("170.00")),
        (march.numbers["J2"], D("900.00"), D("160.00"), D("0.00"), D("1.50"), D("375.00"), D("365.00")),
        (march.numbers["J1"], D("1500.00"), D("600.00"), D("100.00"), D("1.50"), D("375.00"), D("425.00"))]
    assert pnl.rows[0].contract_share == D("300.00") and pnl.rows[0].margin_pct == D("34.0")
    t = pnl.total
    assert (t.jobs, t.billed, t.contract_share, t.revenue, t.parts_cost, t.expenses, t.hours, t.labour_cost,
            t.profit) == (3, D("2600.00"), D("300.00"), D("2900.00"), D("840.00"), D("100.00"), D("4.00"),
                          D("1000.00"), D("960.00"))
    assert not pnl.truncated
    by = {g: {r.name: r.profit for r in costing.job_pnl(any_uow, march.manager, by=g, **R).rows}
          for g in ("technician", "customer", "contract", "product")}
    assert by["technician"] == {"T1": D("790.00"), "T2": D("170.00")}
    assert by["customer"] == {"Asha": D("595.00"), "Ravi": D("365.00")}
    assert by["contract"] == {"CT-K1": D("170.00"), "(none)": D("790.00")}
    assert by["product"] == {"Washer": D("790.00"), "Air conditioner": D("170.00")}
    free_labour = costing.job_pnl(any_uow, march.manager, labour_rate="0", **R)
    assert free_labour.total.profit == D("1960.00")
    top = costing.job_pnl(any_uow, march.manager, limit=1, **R)
    assert len(top.rows) == 1 and top.truncated and top.total.profit == D("960.00")
