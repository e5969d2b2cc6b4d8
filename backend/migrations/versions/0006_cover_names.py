"""service_requests.cover holds the entitlement's full cover names

Revision ID: 0006_cover_names
Revises: 0005_report_indexes
Create Date: 2026-11-28 13:45:00

"MANUFACTURER_WARRANTY" (21 characters) did not fit String(20): raising a
request for an item under the maker's warranty failed on PostgreSQL (SQLite
does not enforce lengths). The column now takes 40 characters.
"""
import sqlalchemy as sa
from alembic import op


revision = "0006_cover_names"
down_revision = "0005_report_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests") as batch:
        batch.alter_column("cover", existing_type=sa.String(length=20), type_=sa.String(length=40),
                           existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("service_requests") as batch:
        batch.alter_column("cover", existing_type=sa.String(length=40), type_=sa.String(length=20),
                           existing_nullable=True)
