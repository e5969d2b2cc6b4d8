"""technician collections (cash in hand) and bank deposits

Revision ID: 0016_collections_deposits
Revises: 0015_credit_notes
Create Date: 2026-12-04 21:00:00

- account ``1020 Cash with technicians`` (asset; party: the technician): cash a
  technician took at the door, until it is deposited in the bank;
- ``deposits``: cash paid into the bank with the bank's slip reference, and
  its journal voucher (Dr bank, Cr 1020 per technician);
- ``collections``: cash or UPI a technician collected against a job's
  invoice, the customer's receipt it issued and, for cash, its deposit.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_collections_deposits"
down_revision = "0015_credit_notes"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=14, scale=2)
ACCOUNT = ("1020", "Cash with technicians", "asset")


def upgrade() -> None:
    accounts = sa.table("accounts", sa.column("code"), sa.column("name"), sa.column("type"))
    op.bulk_insert(accounts, [dict(zip(("code", "name", "type"), ACCOUNT))])

    op.create_table(
        "deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("slip_reference", sa.String(length=80), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("deposited_on", sa.Date(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_deposits_amount_positive")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_deposits_recorded_by_users")),
        sa.ForeignKeyConstraint(["voucher_id"], ["vouchers.id"], name=op.f("fk_deposits_voucher_id_vouchers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposits")),
        sa.UniqueConstraint("number", name=op.f("uq_deposits_number")),
    )
    op.create_index(op.f("ix_deposits_slip_reference"), "deposits", ["slip_reference"])
    op.create_index(op.f("ix_deposits_deposited_on"), "deposits", ["deposited_on"])

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_collections_amount_positive")),
        sa.CheckConstraint("method IN ('cash', 'upi')", name=op.f("ck_collections_method_known")),
        sa.CheckConstraint("deposit_id IS NULL OR method = 'cash'", name=op.f("ck_collections_only_cash_deposited")),
        sa.ForeignKeyConstraint(["deposit_id"], ["deposits.id"], name=op.f("fk_collections_deposit_id_deposits")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_collections_job_id_jobs")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name=op.f("fk_collections_receipt_id_receipts")),
        sa.ForeignKeyConstraint(["technician_id"], ["users.id"], name=op.f("fk_collections_technician_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("number", name=op.f("uq_collections_number")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_collections_receipt_id")),
    )
    op.create_index(op.f("ix_collections_technician_id"), "collections", ["technician_id"])
    op.create_index(op.f("ix_collections_job_id"), "collections", ["job_id"])
    op.create_index(op.f("ix_collections_deposit_id"), "collections", ["deposit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_collections_deposit_id"), table_name="collections")
    op.drop_index(op.f("ix_collections_job_id"), table_name="collections")
    op.drop_index(op.f("ix_collections_technician_id"), table_name="collections")
    op.drop_table("collections")
    op.drop_index(op.f("ix_deposits_deposited_on"), table_name="deposits")
    op.drop_index(op.f("ix_deposits_slip_reference"), table_name="deposits")
    op.drop_table("deposits")
    op.execute(sa.text("DELETE FROM accounts WHERE code = :code").bindparams(code=ACCOUNT[0]))
