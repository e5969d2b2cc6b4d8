"""jobs.customer_confirmed_at: the customer confirms the booked slot

Revision ID: 0010_customer_confirms
Revises: 0009_desk_settings
Create Date: 2026-11-28 15:00:00

Set by backend.jobs.service.confirm_appointment, cleared when the
appointment moves (the customer is asked again for the new slot).
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_customer_confirms"
down_revision = "0009_desk_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("customer_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("customer_confirmed_at")
