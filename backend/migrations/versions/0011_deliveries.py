"""deliveries: the outbox delivered on its channels

Revision ID: 0011_deliveries
Revises: 0010_customer_confirms
Create Date: 2026-12-04 18:20:00

notifications.fanned_out_at marks a notice the dispatcher has turned into
deliveries (one per channel and recipient); delivery_attempts records each
try; channel_preferences holds a user's opt-outs; customers.language the
language of their notices (en, hi).
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_deliveries"
down_revision = "0010_customer_confirms"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Notices written before delivery existed were never sent: the dispatcher
    # finds them without fanned_out_at and delivers them too.
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("fanned_out_at", TS, nullable=True))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(40), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("address", sa.String(254), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("worker", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("notification_id", "channel", "recipient", name="uq_deliveries_notice_channel_recipient"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.create_index("ix_deliveries_inbox", "deliveries", ["user_id", "channel", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("worker", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"])
    op.create_table(
        "channel_preferences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("reminders", sa.Boolean, nullable=False),
        sa.UniqueConstraint("user_id", "channel", name="uq_channel_preferences_user_channel"),
    )


def downgrade() -> None:
    op.drop_table("channel_preferences")
    op.drop_index("ix_delivery_attempts_delivery_id", table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index("ix_deliveries_inbox", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("fanned_out_at")
