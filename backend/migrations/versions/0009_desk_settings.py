"""desk_settings, parts.reorder_level, coverage_types.visits_per_year and active

Revision ID: 0009_desk_settings
Revises: 0008_ledger_invoice
Create Date: 2026-11-28 14:30:00

What the admin's pages edit (issue 7):
- ``desk_settings``: one row (id 1) with the live-chat desk's business hours
  and assignment timeout as stored by the admin; NULL means "the hub's
  environment default" (HUB_HOURS, HUB_ASSIGN_TIMEOUT). The hub reads it
  without a restart (backend/conversations/desk.py).
- ``parts.reorder_level``: at or below it a part is due for reordering.
- ``coverage_types.visits_per_year``: what an offer of the type proposes by
  default (4, as offers did before); ``coverage_types.active``: a retired
  type takes no new inquiries or offers.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_desk_settings"
down_revision = "0008_ledger_invoice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.String(length=400), nullable=True),
        sa.Column("assign_timeout_s", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_desk_settings_one_row")),
        sa.CheckConstraint("assign_timeout_s IS NULL OR assign_timeout_s > 0",
                           name=op.f("ck_desk_settings_timeout_positive")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_desk_settings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_settings")),
    )
    with op.batch_alter_table("parts") as batch:
        batch.add_column(sa.Column("reorder_level", sa.Numeric(precision=12, scale=3), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("coverage_types") as batch:
        batch.add_column(sa.Column("visits_per_year", sa.SmallInteger(), nullable=False, server_default="4"))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("coverage_types") as batch:
        batch.drop_column("active")
        batch.drop_column("visits_per_year")
    with op.batch_alter_table("parts") as batch:
        batch.drop_column("reorder_level")
    op.drop_table("desk_settings")
