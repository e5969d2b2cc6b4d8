"""Every report by the name its endpoint carries (``/api/reports/<name>``)."""

from backend.reports.bank import unreconciled
from backend.reports.calendars import appointment_calendar, jobs_calendar, repair_calendar
from backend.reports.collections import cash_in_hand, collections_by_channel, deposits
from backend.reports.costing import job_pnl
from backend.reports.dashboard import dashboard, kanban
from backend.reports.gst import gst_summary
from backend.reports.journey import journey
from backend.reports.money import cash_flow, extra_billing, outstanding, party_statement, sales_register
from backend.reports.operations import feedback_analysis, job_expense, parts_used, visit_reports
from backend.reports.pipelines import offer_pipeline, order_pipeline
from backend.reports.technicians import scoreboard

REPORTS = {
    "dashboard": dashboard,
    "scoreboard": scoreboard,
    "kanban": kanban,
    "journey": journey,
    "appointment-calendar": appointment_calendar,
    "jobs-calendar": jobs_calendar,
    "repair-calendar": repair_calendar,
    "offer-pipeline": offer_pipeline,
    "order-pipeline": order_pipeline,
    "sales-register": sales_register,
    "gst-summary": gst_summary,
    "outstanding": outstanding,
    "statement": party_statement,
    "cash-flow": cash_flow,
    "job-expense": job_expense,
    "visit-reports": visit_reports,
    "parts-used": parts_used,
    "feedback": feedback_analysis,
    "extra-billing": extra_billing,
    "pnl": job_pnl,
    "collections-by-channel": collections_by_channel,
    "cash-in-hand": cash_in_hand,
    "deposits": deposits,
    "unreconciled": unreconciled,
}
