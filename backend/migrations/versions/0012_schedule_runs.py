"""schedule_runs: one row per schedule and slot; automatic collection follow-ups

Revision ID: 0012_schedule_runs
Revises: 0011_deliveries
Create Date: 2026-12-04 19:00:00

- ``schedule_runs``: each run of a scheduled job (backend/schedules): the
  unique (name, slot) is the claim, so of several workers one runs a daily
  job and the others skip; when it started and finished, on which worker,
  its state, result and error. "Run now" adds a row with a ``manual-…`` slot.
- ``collection_followups.by_user`` may be NULL: a follow-up written by the
  scheduled collection run (no user) rather than by an agent.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_schedule_runs"
down_revision = "0011_deliveries"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("queued_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("summary", sa.String(length=400), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_schedule_runs_requested_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
        sa.UniqueConstraint("name", "slot", name="uq_schedule_runs_name_slot"),
    )
    op.create_index("ix_schedule_runs_name_id", "schedule_runs", ["name", "id"])
    op.create_index("ix_schedule_runs_state", "schedule_runs", ["state"])
    with op.batch_alter_table("collection_followups") as batch:
        batch.alter_column("by_user", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("collection_followups") as batch:
        batch.alter_column("by_user", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_schedule_runs_state", table_name="schedule_runs")
    op.drop_index("ix_schedule_runs_name_id", table_name="schedule_runs")
    op.drop_table("schedule_runs")
