"""customers' payment reports (UPI) and bank statement reconciliation

Revision ID: 0017_payment_reports_bank
Revises: 0016_collections_deposits
Create Date: 2026-12-04 21:00:00

- ``payment_reports``: a customer's "I have paid" from the invoice's payment
  page: the UPI transaction reference (UTR, unique), the amount, the day, its
  state (reported → confirmed | rejected), the receipt its confirmation posted
  and the reason of a rejection.
- ``bank_formats``: a saved CSV column mapping per bank.
- ``bank_statements``: each imported file (unique by its SHA-256).
- ``statement_lines``: its transactions (unique fingerprint), each with its
  reconciliation state (unmatched, proposed, matched; outgoing for debits)
  and the receipt, deposit or payment report it was matched with (each
  unique: matched once).
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_payment_reports_bank"
down_revision = "0016_collections_deposits"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "payment_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("utr", sa.String(length=12), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("reported_at", TS, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_reports_amount_positive")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_payment_reports_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_payment_reports_customer_id_customers")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name=op.f("fk_payment_reports_receipt_id_receipts")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_payment_reports_decided_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_reports")),
        sa.UniqueConstraint("utr", name=op.f("uq_payment_reports_utr")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_payment_reports_receipt_id")),
    )
    op.create_index(op.f("ix_payment_reports_invoice_id"), "payment_reports", ["invoice_id"])
    op.create_index(op.f("ix_payment_reports_customer_id"), "payment_reports", ["customer_id"])
    op.create_index(op.f("ix_payment_reports_state"), "payment_reports", ["state"])

    op.create_table(
        "bank_formats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("delimiter", sa.String(length=1), nullable=False),
        sa.Column("skip_rows", sa.Integer(), nullable=False),
        sa.Column("date_column", sa.String(length=60), nullable=False),
        sa.Column("date_format", sa.String(length=30), nullable=False),
        sa.Column("amount_column", sa.String(length=60), nullable=True),
        sa.Column("credit_column", sa.String(length=60), nullable=True),
        sa.Column("debit_column", sa.String(length=60), nullable=True),
        sa.Column("reference_column", sa.String(length=60), nullable=True),
        sa.Column("narration_column", sa.String(length=60), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_bank_formats_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_formats")),
        sa.UniqueConstraint("name", name=op.f("uq_bank_formats_name")),
    )

    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("format_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=True),
        sa.Column("first_on", sa.Date(), nullable=True),
        sa.Column("last_on", sa.Date(), nullable=True),
        sa.Column("lines_read", sa.Integer(), nullable=False),
        sa.Column("lines_new", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("imported_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["format_id"], ["bank_formats.id"],
                                name=op.f("fk_bank_statements_format_id_bank_formats")),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"], name=op.f("fk_bank_statements_imported_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statements")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_bank_statements_file_sha256")),
    )

    op.create_table(
        "statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("narration", sa.String(length=400), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=12), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("deposit_id", sa.Integer(), nullable=True),
        sa.Column("payment_report_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.Integer(), nullable=True),
        sa.Column("matched_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statements.id"],
                                name=op.f("fk_statement_lines_statement_id_bank_statements")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name=op.f("fk_statement_lines_receipt_id_receipts")),
        sa.ForeignKeyConstraint(["deposit_id"], ["deposits.id"], name=op.f("fk_statement_lines_deposit_id_deposits")),
        sa.ForeignKeyConstraint(["payment_report_id"], ["payment_reports.id"],
                                name=op.f("fk_statement_lines_payment_report_id_payment_reports")),
        sa.ForeignKeyConstraint(["matched_by"], ["users.id"], name=op.f("fk_statement_lines_matched_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_lines")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_statement_lines_fingerprint")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_statement_lines_receipt_id")),
        sa.UniqueConstraint("deposit_id", name=op.f("uq_statement_lines_deposit_id")),
        sa.UniqueConstraint("payment_report_id", name=op.f("uq_statement_lines_payment_report_id")),
    )
    op.create_index(op.f("ix_statement_lines_statement_id"), "statement_lines", ["statement_id"])
    op.create_index(op.f("ix_statement_lines_posted_on"), "statement_lines", ["posted_on"])
    op.create_index(op.f("ix_statement_lines_state"), "statement_lines", ["state"])


def downgrade() -> None:
    for name in ("state", "posted_on", "statement_id"):
        op.drop_index(op.f(f"ix_statement_lines_{name}"), table_name="statement_lines")
    op.drop_table("statement_lines")
    op.drop_table("bank_statements")
    op.drop_table("bank_formats")
    for name in ("state", "customer_id", "invoice_id"):
        op.drop_index(op.f(f"ix_payment_reports_{name}"), table_name="payment_reports")
    op.drop_table("payment_reports")
