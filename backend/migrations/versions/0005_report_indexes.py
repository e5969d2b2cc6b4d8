"""report indexes and the job-facts pre-aggregation of the manager's reports

Revision ID: 0005_report_indexes
Revises: 0004_processes
Create Date: 2026-11-28 05:00:00

Declared in backend/reports/models.py (which says which report each index
serves, and how report_job_facts is kept current by backend/reports/facts.py).
"""
import sqlalchemy as sa
from alembic import op


revision = "0005_report_indexes"
down_revision = "0004_processes"
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_rpt_jobs_created_state', 'jobs', ['created_at', 'state']),
    ('ix_rpt_jobs_state_created', 'jobs', ['state', 'created_at']),
    ('ix_rpt_jobs_resolved_at', 'jobs', ['resolved_at', 'scheduled_end']),
    ('ix_rpt_jobs_arrived_at', 'jobs', ['arrived_at', 'scheduled_start']),
    ('ix_rpt_jobs_scheduled_start', 'jobs', ['scheduled_start']),
    ('ix_rpt_jobs_item_created', 'jobs', ['item_id', 'created_at']),
    ('ix_rpt_tickets_created_state', 'tickets', ['created_at', 'state']),
    ('ix_rpt_contracts_created_at', 'contracts', ['created_at']),
    ('ix_rpt_contract_offers_sent_at', 'contract_offers', ['sent_at']),
    ('ix_rpt_service_orders_created_at', 'service_orders', ['created_at']),
    ('ix_rpt_service_orders_request_id', 'service_orders', ['request_id']),
    ('ix_rpt_repair_orders_received_at', 'repair_orders', ['received_at']),
    ('ix_rpt_repair_orders_request_id', 'repair_orders', ['request_id']),
    ('ix_rpt_repair_estimates_created_at', 'repair_estimates', ['created_at']),
    ('ix_rpt_invoices_state_due', 'invoices', ['state', 'due_on']),
    ('ix_rpt_ledger_entries_account_on', 'ledger_entries', ['account_id', 'on', 'debit', 'credit']),
    ('ix_rpt_feedback_created_at', 'feedback', ['created_at']),
    ('ix_rpt_job_parts_recorded_at', 'job_parts', ['recorded_at']),
    ('ix_rpt_repair_parts_recorded_at', 'repair_parts', ['recorded_at']),
    ('ix_rpt_expense_claims_created_at', 'expense_claims', ['created_at']),
    ('ix_rpt_advances_created_at', 'advances', ['created_at']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_table(
        "report_job_facts",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("timed", sa.Boolean(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("first_fix", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("billed", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("share", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("parts", sa.Numeric(precision=18, scale=5), nullable=False),
        sa.Column("expenses", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("minutes", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_report_job_facts_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_report_job_facts")),
    )
    op.create_index(op.f("ix_report_job_facts_resolved_at"), "report_job_facts", ["resolved_at"], unique=False)
    op.create_table(
        "report_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("report_watermarks")
    op.drop_index(op.f("ix_report_job_facts_resolved_at"), table_name="report_job_facts")
    op.drop_table("report_job_facts")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
