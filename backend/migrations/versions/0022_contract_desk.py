"""0022_contract_desk: the delivery plan drafted with an offer (no schema change)

The contract desk (issue 12, C1/C2) adds two values of ``planned_visits.state``
(a String(16) with no CHECK constraint, so the column takes them as it is):

- ``draft``: a visit of the plan drafted when an offer is sent, editable by
  staff; the daily contract run only turns ``planned`` visits into jobs, so a
  draft never becomes one; acceptance moves the drafts to ``planned``;
- ``removed``: a draft or planned visit taken out of the plan (kept with its
  history rows).

Existing rows need nothing: an offer sent before this revision has no draft,
and its acceptance generates the plan as before.

Revision ID: 0022_contract_desk
Revises: 0021_signup_kb_proposals
Create Date: 2026-12-05 00:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0022_contract_desk"
down_revision = "0021_signup_kb_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # see the docstring: new values of an existing column only


def downgrade() -> None:
    # Visits still in the two new states would mean nothing to the older code:
    # a removed visit is dropped from the plan, a draft one too (its offer is
    # still open; acceptance on the older code generates the plan again).
    op.execute("DELETE FROM planned_visits WHERE state IN ('draft', 'removed') AND job_id IS NULL")
