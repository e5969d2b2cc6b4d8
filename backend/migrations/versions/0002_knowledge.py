"""knowledge base: articles, their versions, reader feedback

Revision ID: 0002_knowledge
Revises: 0001_core
Create Date: 2026-11-28

Written to match ``backend/knowledge/models.py`` exactly (names follow the
naming convention of ``backend.db``). Article status moves are recorded in
``state_changes`` (entity_type ``kb_article``), which 0001_core creates.
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_knowledge"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name=op.f("ck_kb_articles_status_known")),
        sa.CheckConstraint("current_version >= 1", name=op.f("ck_kb_articles_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_kb_articles_slug")),
    )
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_articles_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_articles_status"), ["status"], unique=False)

    op.create_table(
        "kb_article_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name=op.f("fk_kb_article_feedback_article_id_kb_articles")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_kb_article_feedback_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_feedback")),
    )
    with op.batch_alter_table("kb_article_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_kb_article_feedback_article_helpful", ["article_id", "helpful"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_article_feedback_conversation_id"), ["conversation_id"],
                              unique=False)

    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name=op.f("fk_kb_article_versions_article_id_kb_articles")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_kb_article_versions_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_kb_article_versions_article_id_version")),
    )
    with op.batch_alter_table("kb_article_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_article_versions_article_id"), ["article_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kb_article_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_article_versions_article_id"))
    op.drop_table("kb_article_versions")

    with op.batch_alter_table("kb_article_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_article_feedback_conversation_id"))
        batch_op.drop_index("ix_kb_article_feedback_article_helpful")
    op.drop_table("kb_article_feedback")

    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_articles_status"))
        batch_op.drop_index(batch_op.f("ix_kb_articles_language"))
    op.drop_table("kb_articles")
