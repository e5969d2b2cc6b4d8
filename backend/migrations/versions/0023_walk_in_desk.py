"""walk-in desk: what a customer hands over with an item for repair

Revision ID: 0023_walk_in_desk
Revises: 0022_contract_desk
Create Date: 2026-12-05 00:00:00

- ``repair_orders.accessories``: what came with the item at the counter
  (charger, remote, cover…), as typed by the desk (E1).
- ``repair_orders.condition_notes``: the item's visible condition when
  received (scratches, a cracked panel…).

Both are printed on the repair receipt / job card the customer keeps
(``backend/documents/repair_receipt.py``); older repairs have neither.
"""
import sqlalchemy as sa
from alembic import op

revision = "0023_walk_in_desk"
down_revision = "0022_contract_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repair_orders") as batch:
        batch.add_column(sa.Column("accessories", sa.Text(), nullable=True))
        batch.add_column(sa.Column("condition_notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repair_orders") as batch:
        batch.drop_column("condition_notes")
        batch.drop_column("accessories")
