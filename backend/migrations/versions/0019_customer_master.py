"""0019_customer_master: customers, sites, contacts and installed items created and kept by the use cases

Revision ID: 0019_customer_master
Revises: 0018_job_media
Create Date: 2026-12-05 00:00:00

- ``customers.kind`` (person or business; rows with a GSTIN become business),
  ``customers.active`` with ``deactivated_reason`` and ``deactivated_at``.
- ``sites.pin_code`` (six digits) and ``sites.active``.
- ``contacts.active``, and indexes on ``contacts.email`` and ``contacts.phone``
  for the duplicate check (``customers`` has its own since 0001).
- ``items.purchased_on`` (the manufacturer's warranty runs from it) and
  ``items.active``.
- Mobile numbers already stored on customers and contacts are rewritten in
  E.164 where ``phonenumbers`` reads them as a valid number (a number without a
  country code as Indian); anything else is left as it was. E-mail addresses
  are lower-cased. The downgrade keeps the rewritten numbers.

Existing rows stay valid: every new flag defaults to true on the server.
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_customer_master"
down_revision = "0018_job_media"
branch_labels = None
depends_on = None


def _normalise_numbers(table: str) -> None:
    import phonenumbers

    bind = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column("phone", sa.String), sa.column("email", sa.String))
    for row_id, phone, email in bind.execute(sa.select(t.c.id, t.c.phone, t.c.email)).all():
        values = {}
        if phone:
            try:
                number = phonenumbers.parse(phone, "IN")
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                if phonenumbers.is_valid_number(number) and e164 != phone:
                    values["phone"] = e164
            except phonenumbers.NumberParseException:
                pass
        if email and email != email.strip().lower():
            values["email"] = email.strip().lower()
        if values:
            bind.execute(t.update().where(t.c.id == row_id).values(**values))


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="person"))
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("deactivated_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sites") as batch_op:
        batch_op.add_column(sa.Column("pin_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_index("ix_contacts_email", ["email"])
        batch_op.create_index("ix_contacts_phone", ["phone"])
    with op.batch_alter_table("items") as batch_op:
        batch_op.add_column(sa.Column("purchased_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    customers = sa.table("customers", sa.column("kind", sa.String), sa.column("gstin", sa.String))
    op.execute(customers.update().where(customers.c.gstin.is_not(None)).values(kind="business"))
    _normalise_numbers("customers")
    _normalise_numbers("contacts")


def downgrade() -> None:
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("purchased_on")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index("ix_contacts_phone")
        batch_op.drop_index("ix_contacts_email")
        batch_op.drop_column("active")
    with op.batch_alter_table("sites") as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("pin_code")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("deactivated_reason")
        batch_op.drop_column("active")
        batch_op.drop_column("kind")
