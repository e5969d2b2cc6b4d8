"""0021_signup_kb_proposals: self sign-up with a confirmed e-mail, password reset, and agents' KB proposals

Revision ID: 0021_signup_kb_proposals
Revises: 0020_contract_money_defects
Create Date: 2026-12-05 00:00:00

- ``users.email_verified_at``: when the user's e-mail address was confirmed. A
  self sign-up is made without it and cannot log in until the mailed link is
  opened; every user that exists already counts as confirmed (from when it was
  made), as do users an admin makes.
- ``users.password_changed_at``: the last password reset (sessions from before
  it end).
- ``kb_proposals``: a new article, or a new text of an existing one, proposed
  by an agent (``proposed → published | rejected | withdrawn``), with the
  curator's decision and note; kept apart from ``kb_articles`` so nothing
  proposed reaches the search index or the public page before it is published.
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_signup_kb_proposals"
down_revision = "0020_contract_money_defects"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", TS, nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", TS, nullable=True))
    users = sa.table("users", sa.column("email_verified_at", TS), sa.column("created_at", TS))
    op.execute(users.update().values(email_verified_at=users.c.created_at))

    op.create_table(
        "kb_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("published_article_id", sa.Integer(), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("state IN ('proposed', 'published', 'rejected', 'withdrawn')",
                           name=op.f("ck_kb_proposals_state_known")),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name=op.f("fk_kb_proposals_article_id_kb_articles")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_kb_proposals_author_id_users")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_kb_proposals_decided_by_users")),
        sa.ForeignKeyConstraint(["published_article_id"], ["kb_articles.id"],
                                name=op.f("fk_kb_proposals_published_article_id_kb_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_proposals")),
    )
    op.create_index(op.f("ix_kb_proposals_article_id"), "kb_proposals", ["article_id"])
    op.create_index(op.f("ix_kb_proposals_author_id"), "kb_proposals", ["author_id"])
    op.create_index(op.f("ix_kb_proposals_source"), "kb_proposals", ["source"])
    op.create_index(op.f("ix_kb_proposals_state"), "kb_proposals", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kb_proposals_state"), table_name="kb_proposals")
    op.drop_index(op.f("ix_kb_proposals_source"), table_name="kb_proposals")
    op.drop_index(op.f("ix_kb_proposals_author_id"), table_name="kb_proposals")
    op.drop_index(op.f("ix_kb_proposals_article_id"), table_name="kb_proposals")
    op.drop_table("kb_proposals")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("email_verified_at")
