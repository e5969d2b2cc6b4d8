"""portal_tasks: the portal's long tasks (imports) in the database

Revision ID: 0024_portal_tasks
Revises: 0023_walk_in_desk
Create Date: 2026-12-06 00:00:00

- ``portal_tasks``: one row per long operation of the portal (an import's
  check or run; ``backend/tasks``), so every portal process shows every
  task's progress page and result, and a portal restarted mid-import shows
  the import as lost instead of "no such import": who started it, its label,
  state (running, done, failed), progress (done of total), result and error
  (JSON text), when it started and finished, the heartbeat the process
  running it refreshes, and that process (host:pid). Tasks that ended more
  than a day ago are removed when a new one starts.
"""
import sqlalchemy as sa
from alembic import op

revision = "0024_portal_tasks"
down_revision = "0023_walk_in_desk"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_tasks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.Column("runner", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_portal_tasks_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_tasks")),
    )


def downgrade() -> None:
    op.drop_table("portal_tasks")
