"""credit notes, invoice cancellation and refunds

Revision ID: 0015_credit_notes
Revises: 0014_gst_tax_invoices
Create Date: 2026-12-04 21:00:00

- ``credit_notes``: a correction of an issued invoice (full or partial, with
  its reason; ``cancels`` when it cancelled the whole unpaid invoice), posted
  as a voucher reversing the invoice's revenue and tax in proportion.
- ``refunds``: money paid back of what a customer paid over on an invoice.
- invoices gain the state ``cancelled`` (a string column: no schema change).
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_credit_notes"
down_revision = "0014_gst_tax_invoices"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)


def _common(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
    ]


def _keys(table: str, by: str) -> list:
    return [
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{table}_amount_positive")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f(f"fk_{table}_customer_id_customers")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f(f"fk_{table}_invoice_id_invoices")),
        sa.ForeignKeyConstraint([by], ["users.id"], name=op.f(f"fk_{table}_{by}_users")),
        sa.ForeignKeyConstraint(["voucher_id"], ["vouchers.id"], name=op.f(f"fk_{table}_voucher_id_vouchers")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("idempotency_key", name=op.f(f"uq_{table}_idempotency_key")),
        sa.UniqueConstraint("number", name=op.f(f"uq_{table}_number")),
    ]


def upgrade() -> None:
    op.create_table(
        "credit_notes",
        *_common("credit_notes"),
        sa.Column("taxable", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("cancels", sa.Boolean(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_keys("credit_notes", "created_by"),
    )
    op.create_table(
        "refunds",
        *_common("refunds"),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_keys("refunds", "recorded_by"),
    )
    for table in ("credit_notes", "refunds"):
        op.create_index(op.f(f"ix_{table}_customer_id"), table, ["customer_id"])
        op.create_index(op.f(f"ix_{table}_invoice_id"), table, ["invoice_id"])


def downgrade() -> None:
    for table in ("refunds", "credit_notes"):
        op.drop_index(op.f(f"ix_{table}_invoice_id"), table_name=table)
        op.drop_index(op.f(f"ix_{table}_customer_id"), table_name=table)
        op.drop_table(table)
