"""job media: before/after photos, the customer's signature and the arrival position

Revision ID: 0018_job_media
Revises: 0017_payment_reports_bank
Create Date: 2026-12-04 21:00:00

- ``job_photos``: before and after photos of a job, each file an
  ``attachments`` row (stored on disk by checksum); unique per job and file,
  so the same picture sent again is the same photo.
- ``job_signatures``: the customer's signature (a PNG drawing and the name
  typed), one per job.
- ``job_arrivals``: where and when arrival was reported (B5): the phone's
  position when allowed, else why not; the phone's time and the server's.
- ``job_notes``: the technician's notes during the visit.
- ``service_charges.requires_signature`` and
  ``coverage_types.requires_signature``: the job types whose completion needs
  the customer's signature.
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_job_media"
down_revision = "0017_payment_reports_bank"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_photos_job_id_jobs")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"],
                                name=op.f("fk_job_photos_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["taken_by"], ["users.id"], name=op.f("fk_job_photos_taken_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_photos")),
        sa.UniqueConstraint("job_id", "attachment_id", name=op.f("uq_job_photos_job_id_attachment_id")),
    )
    op.create_index(op.f("ix_job_photos_job_id"), "job_photos", ["job_id"])
    op.create_table(
        "job_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("captured_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_signatures_job_id_jobs")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"],
                                name=op.f("fk_job_signatures_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["captured_by"], ["users.id"], name=op.f("fk_job_signatures_captured_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_signatures")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_signatures_job_id")),
    )
    op.create_table(
        "job_arrivals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=12), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("accuracy_m", sa.Numeric(precision=9, scale=1), nullable=True),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                           name=op.f("ck_job_arrivals_latitude_range")),
        sa.CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                           name=op.f("ck_job_arrivals_longitude_range")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_arrivals_job_id_jobs")),
        sa.ForeignKeyConstraint(["reported_by"], ["users.id"], name=op.f("fk_job_arrivals_reported_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_arrivals")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_arrivals_job_id")),
    )
    op.create_table(
        "job_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("noted_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_notes_job_id_jobs")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_job_notes_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_notes")),
    )
    op.create_index(op.f("ix_job_notes_job_id"), "job_notes", ["job_id"])
    for table in ("service_charges", "coverage_types"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("requires_signature", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    for table in ("coverage_types", "service_charges"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("requires_signature")
    op.drop_index(op.f("ix_job_notes_job_id"), table_name="job_notes")
    op.drop_table("job_notes")
    op.drop_table("job_arrivals")
    op.drop_table("job_signatures")
    op.drop_index(op.f("ix_job_photos_job_id"), table_name="job_photos")
    op.drop_table("job_photos")
