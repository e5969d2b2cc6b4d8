"""gateway_events: what the online payment gateways delivered to their webhooks

Revision ID: 0013_gateway_events
Revises: 0012_schedule_runs
Create Date: 2026-12-05 10:00:00

- ``gateway_events``: one row per event a payment gateway (Razorpay) delivered
  and whose signature verified: captured, failed or refunded, the invoice it
  names, the amount, the state it ended in (applied, recorded,
  needs_attention), a note for the agent and the receipt it posted. The
  unique (gateway, kind, object_id) is the idempotency record: a second
  delivery of the same event does nothing again.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_gateway_events"
down_revision = "0012_schedule_runs"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gateway_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_ref", sa.String(length=40), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("method", sa.String(length=24), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name=op.f("fk_gateway_events_receipt_id_receipts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_events")),
        sa.UniqueConstraint("gateway", "kind", "object_id", name="uq_gateway_events_gateway_kind_object"),
    )
    op.create_index("ix_gateway_events_state", "gateway_events", ["state"])
    op.create_index("ix_gateway_events_payment", "gateway_events", ["gateway", "payment_id"])


def downgrade() -> None:
    op.drop_index("ix_gateway_events_payment", table_name="gateway_events")
    op.drop_index("ix_gateway_events_state", table_name="gateway_events")
    op.drop_table("gateway_events")
