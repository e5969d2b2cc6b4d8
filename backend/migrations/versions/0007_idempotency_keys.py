"""idempotency_keys: one row per keyed call that did its work

Revision ID: 0007_idempotency_keys
Revises: 0006_cover_names
Create Date: 2026-11-28 14:00:00

Every use case that creates or appends something (parts used, advances,
expense claims and their bills, walk-in orders and repairs, contract
inquiries and offers, follow-ups, technician settlements) takes an
idempotency key; the key, a fingerprint of the arguments and the reference
of the result are kept here, unique per (scope, operation, key), written in
the same transaction as the work (backend/idempotency). Requests and
receipts keep their own key columns.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_idempotency_keys"
down_revision = "0006_cover_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result_ref", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("scope", "operation", "key", name=op.f("uq_idempotency_keys_scope_operation_key")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
