"""contract and money defects: instalment due schedules, repair feedback, technicians' cost rates

Revision ID: 0020_contract_money_defects
Revises: 0019_customer_master
Create Date: 2026-12-05 00:00:00

- ``invoice_due_parts``: when an invoice's money falls due part by part (a
  contract invoice in instalments), one row per part, so collections, the
  ledger's ageing and the dashboard count only what is due by the day asked
  about (billing and the ledger sit below contracts and cannot read
  ``instalments``). Filled here from the existing ``instalments``.
- ``repair_feedback``: the customer's rating (1-5) and comment on a
  delivered repair (card E8), once per repair.
- ``users.cost_rate_per_hour``: what an hour of the user's (a technician's)
  time costs, for the job-wise P&L; 250.00, the flat rate used before, for
  everyone until an admin changes it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_contract_money_defects"
down_revision = "0019_customer_master"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "invoice_due_parts",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_due_parts_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("invoice_id", "seq", name=op.f("pk_invoice_due_parts")),
    )
    op.execute("INSERT INTO invoice_due_parts (invoice_id, seq, due_on, amount) "
               "SELECT invoice_id, seq, due_on, amount FROM instalments")
    op.create_table(
        "repair_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repair_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_repair_feedback_rating_range")),
        sa.ForeignKeyConstraint(["repair_id"], ["repair_orders.id"],
                                name=op.f("fk_repair_feedback_repair_id_repair_orders")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_repair_feedback_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_feedback")),
        sa.UniqueConstraint("repair_id", name=op.f("uq_repair_feedback_repair_id")),
    )
    op.create_index(op.f("ix_repair_feedback_customer_id"), "repair_feedback", ["customer_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("cost_rate_per_hour", MONEY, nullable=False, server_default="250.00"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("cost_rate_per_hour")
    op.drop_index(op.f("ix_repair_feedback_customer_id"), table_name="repair_feedback")
    op.drop_table("repair_feedback")
    op.drop_table("invoice_due_parts")
