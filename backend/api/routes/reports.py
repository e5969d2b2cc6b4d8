"""The manager's reports: one GET per report under ``/api/reports/...``, a date
range (``start``, ``end``: ISO dates, both included), the report's filters,
and ``format=json`` (default) or ``format=csv`` (a header row, ``text/csv``).

Each handler is one call to ``backend.reports``; what a report means is said
there (``backend/reports/common.py`` holds the definitions)."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
from collections.abc import Callable
from typing import Any

from aiohttp import web

from backend.api.responses import returns, to_json
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF
from backend.api.routing import Call, RouteTable
from backend.api.schema import Date, Enum, Int, Num, Str
from backend.reports import calendars, costing, dashboard, journey, money, operations, pipelines, technicians
from backend.reports import bank as banked
from backend.reports import collections as collected
from backend.reports import gst
from backend.reports.common import LABOUR_COST_PER_HOUR, MAX_ROWS

routes = RouteTable("reports", "The manager's read models: SQL aggregations over the live tables")

MANAGERS = ("manager", "admin")
RANGE = {
    "start": Date(nullable=True, description="First day (UTC) of the range; default: 29 days before the end"),
    "end": Date(nullable=True, description="Last day (UTC) of the range, included; default: today"),
    "format": Enum("json", "csv", default="json", description="json (default) or csv with a header row"),
}
TECH = Int(nullable=True, description="Only this technician (user id)")
CUSTOMER = Int(nullable=True, description="Only this customer")
LIMIT = Int(nullable=True, maximum=MAX_ROWS, description=f"At most this many rows (default 1000, up to {MAX_ROWS})")


# --- CSV: each report's table ---------------------------------------------------------------------------

def _cells(row: Any) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)
            if not isinstance(getattr(row, f.name), (list, dict))}


def _rows(items: list[Any], **prefix: Any) -> list[dict[str, Any]]:
    return [{**prefix, **_cells(r)} for r in items]


def _dashboard(d: dashboard.Dashboard) -> list[dict[str, Any]]:
    out = [{"section": "open", "process": r.process, "entity": r.entity, "name": r.state, "value": r.count}
           for r in d.open_requests]
    out += [{"section": "sla", "process": "B", "entity": "job", "name": k, "value": v} for k, v in _cells(d.sla).items()]
    out += [{"section": f"jobs on {d.today}", "process": "B", "entity": "job", "name": r.state, "value": r.count}
            for r in d.todays_jobs]
    out += [{"section": "collections", "process": "", "entity": "invoice", "name": k, "value": v}
            for k, v in _cells(d.collections).items()]
    return out


TABLES: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
    "dashboard": _dashboard,
    "kanban": lambda cols: [row for c in cols for row in _rows(c.cards, state=c.state)],
    "journey": lambda j: _rows(j.steps, request=j.request),
    "offer-pipeline": lambda p: _rows(p.stages),
    "sales-register": lambda r: _rows(r.lines),
    "gst-summary": lambda g: _gst_rows(g),
    "unreconciled": lambda u: _rows(u.rows),
    "outstanding": lambda o: _rows(o.rows),
    "statement": lambda st: _rows(st.lines),
    "cash-flow": lambda cf: _rows(cf.rows),
    "feedback": lambda f: _rows([f.overall, *f.groups]),
    "extra-billing": lambda e: _rows(e.bills),
    "pnl": lambda p: _rows([*p.rows, p.total]),
}


# The GST summary's sections in one CSV table: a section column and the union of their columns.
GstCsvRow = dataclasses.make_dataclass("GstCsvRow", [(c, Any) for c in (
    "section", "recipient_gstin", "customer", "invoice", "issued_on", "invoice_value", "supply", "place_of_supply",
    "recipients", "hsn_sac", "kind", "uqc", "rate", "qty", "invoices", "taxable", "cgst", "sgst", "igst", "tax",
    "total_value", "nature", "first", "last", "issued", "cancelled", "number", "invoice_number", "value")])


def _gst_rows(g: gst.GstSummary) -> list[dict[str, Any]]:
    columns = [f.name for f in dataclasses.fields(GstCsvRow)]
    return [{c: row.get(c) for c in columns}
            for section in ("b2b", "b2cl", "b2cs", "by_rate", "hsn", "documents", "credit_notes")
            for row in _rows(getattr(g, section), section=section)]


def to_csv(name: str, result: Any) -> web.Response:
    rows = TABLES[name](result) if name in TABLES else _rows(result)
    buffer = io.StringIO()
    header = list(rows[0]) if rows else [f.name for f in dataclasses.fields(_row_type(name))]
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(k) is None else _text(to_json(row.get(k))) for k in header])
    return web.Response(text=buffer.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _row_type(name: str) -> type:
    """The row dataclass of a report, for the header of an empty CSV."""
    import typing

    hint = typing.get_type_hints(REPORTS[name][0])["return"]
    row = {"dashboard": dashboard.StateCount, "kanban": dashboard.KanbanCard, "journey": journey.JourneyStep,
           "offer-pipeline": pipelines.PipelineStage, "sales-register": money.SalesLine,
           "outstanding": money.OutstandingRow, "cash-flow": money.CashFlowRow,
           "feedback": operations.FeedbackGroup, "extra-billing": money.ExtraBill, "pnl": costing.PnlRow,
           "gst-summary": GstCsvRow, "unreconciled": banked.UnreconciledRow}.get(name)
    if row is not None:
        return row
    if name == "statement":
        from backend.ledger.service import StatementLine

        return StatementLine
    return typing.get_args(hint)[0]


# --- the routes --------------------------------------------------------------------------------------------

REPORTS: dict[str, tuple[Callable[..., Any], str, tuple[str, ...], dict[str, Any]]] = {
    "dashboard": (dashboard.dashboard, "Dashboard: open work by process and state, SLA breaches, today's jobs, "
                  "collections due", STAFF, {}),
    "scoreboard": (technicians.scoreboard, "Technician scoreboard: jobs done, on-time %, first-visit fix %, "
                   "rating, revenue", MANAGERS, {"technician_id": TECH}),
    "kanban": (dashboard.kanban, "Kanban of the jobs raised in the range, by state", STAFF,
               {"technician_id": TECH, "customer_id": CUSTOMER,
                "cards": Int(nullable=True, maximum=200, description="Cards per column (default 20)")}),
    "journey": (journey.journey, "A request's journey: every history row across A-E (a customer: their own)",
                CUSTOMER_AND_STAFF,
                {"request": Str(max_len=16, pattern=r"^(SR|JB|TK)-?[0-9]{1,9}$", nullable=True,
                                description="The request (SR-...), or the job (JB-...) or ticket (TK-...) it became; "
                                            "required")}),
    "appointment-calendar": (calendars.appointment_calendar, "Appointment calendar: booked slots and contract "
                             "visits due", STAFF, {"technician_id": TECH, "customer_id": CUSTOMER, "limit": LIMIT}),
    "jobs-calendar": (calendars.jobs_calendar, "Jobs calendar: per day and technician, jobs booked, open, done, "
                      "hours", STAFF, {"technician_id": TECH}),
    "repair-calendar": (calendars.repair_calendar, "Repair calendar: repairs received, repaired, delivered", STAFF,
                        {"technician_id": TECH, "limit": LIMIT}),
    "offer-pipeline": (pipelines.offer_pipeline, "Offer pipeline: contract offers, repair estimates, job estimates "
                       "by answer", MANAGERS, {}),
    "order-pipeline": (pipelines.order_pipeline, "Order pipeline: contracts, service orders, repair orders by state",
                       MANAGERS, {}),
    "sales-register": (money.sales_register, "Sales register: invoices issued, with receipts, totals by source",
                       MANAGERS, {"customer_id": CUSTOMER, "source_type": Enum(*money.SOURCES, nullable=True),
                                  "limit": LIMIT}),
    "gst-summary": (gst.gst_summary, "GST summary of outward supplies (the GSTR-1 shape): B2B by recipient GSTIN, "
                    "B2C large and small, per rate, HSN/SAC summary, documents issued", MANAGERS, {}),
    "outstanding": (money.outstanding, "Outstanding and ageing by customer at the end of the range (a customer: "
                    "their own)", CUSTOMER_AND_STAFF, {"customer_id": CUSTOMER, "limit": LIMIT}),
    "statement": (money.party_statement, "Party account statement for the range (a customer or technician: "
                  "their own)", ALL_ROLES,
                  {"party_type": Enum("customer", "technician", default="customer"),
                   "party_id": Int(nullable=True, description="Customer id or technician's user id (default: "
                                                              "yourself)")}),
    "cash-flow": (money.cash_flow, "Cash flow: cash and bank in and out by day, week or month", MANAGERS,
                  {"by": Enum("day", "week", "month", default="day"),
                   "account": Enum("all", "cash", "bank", default="all")}),
    "job-expense": (operations.job_expense, "Job execution expense: advances and claims passed, rejected, pending",
                    MANAGERS, {"by": Enum("technician", "job", "category", default="technician"),
                               "technician_id": TECH, "limit": LIMIT}),
    "visit-reports": (operations.visit_reports, "Visit reports: arrivals, punctuality, time on site, parts, notes",
                      MANAGERS, {"technician_id": TECH, "customer_id": CUSTOMER, "limit": LIMIT}),
    "parts-used": (operations.parts_used, "Parts-used analysis: quantity, covered vs billed, revenue, cost, stock",
                   MANAGERS, {"technician_id": TECH, "part": Str(max_len=40, nullable=True, description="A part SKU")}),
    "feedback": (operations.feedback_analysis, "Feedback analysis: ratings overall and by technician, product, "
                 "customer or month", MANAGERS,
                 {"by": Enum("technician", "product", "customer", "month", default="technician")}),
    "extra-billing": (money.extra_billing, "Extra billing outside contracts: invoices on jobs under a contract",
                      MANAGERS, {"customer_id": CUSTOMER, "contract_type": Str(max_len=20, nullable=True),
                                 "limit": LIMIT}),
    "pnl": (costing.job_pnl, "Job-wise costing and P&L by job, customer, contract, technician or product",
            MANAGERS, {"by": Enum(*costing.GROUPS, default="job"),
                       "labour_rate": Num(minimum=LABOUR_COST_PER_HOUR * 0, maximum=costing.MAX_RATE, places=2,
                                          exclusive_min=False, nullable=True,
                                          description=f"Labour cost per hour on site (default "
                                                      f"{LABOUR_COST_PER_HOUR})"),
                       "limit": LIMIT}),
    "collections-by-channel": (collected.collections_by_channel, "Collections by channel: office cash, technician "
                               "cash and UPI, UPI/bank transfer, card, cheque, gateway", MANAGERS,
                               {"technician_id": TECH}),
    "cash-in-hand": (collected.cash_in_hand, "Cash in hand per technician from the ledger: opening, collected, "
                     "paid in, closing", STAFF, {"technician_id": TECH}),
    "deposits": (collected.deposits, "Bank deposits of technicians' cash: slip, amount, collections", STAFF,
                 {"limit": LIMIT}),
    "unreconciled": (banked.unreconciled, "Unreconciled items: statement lines unmatched or only proposed, bank "
                     "receipts and deposits on no statement, UPI payment reports waiting", STAFF, {"limit": LIMIT}),
}


def _register(name: str, fn: Callable[..., Any], summary: str, roles: tuple[str, ...],
              filters: dict[str, Any]) -> None:
    async def handler(call: Call) -> Any:
        query = dict(call.query)
        fmt = query.pop("format")
        result = await call(fn, **query)
        return to_csv(name, result) if fmt == "csv" else result

    handler.__name__ = handler.__qualname__ = "report_" + name.replace("-", "_")
    routes.get(f"/api/reports/{name}", summary, query={**RANGE, **filters}, response=returns(fn), roles=roles,
               description=inspect.cleandoc(fn.__doc__ or "") or None)(handler)


for _name, (_fn, _summary, _roles, _filters) in REPORTS.items():
    _register(_name, _fn, _summary, _roles, _filters)
