"""GST tax invoices: GSTIN and state of customers, HSN/SAC per line, CGST/SGST/IGST

Revision ID: 0014_gst_tax_invoices
Revises: 0013_gateway_events
Create Date: 2026-12-04 21:00:00

- ``customers.gstin`` (a registered customer's GSTIN) and ``customers.state_code``
  (the GST state code of their address on record): together the place of supply.
- ``parts.hsn_code`` and ``service_charges.sac_code``: what an invoice line names
  the goods or service by.
- ``invoices``: the place of supply, the supplier's and the customer's GSTIN as
  issued, and the CGST, SGST and IGST totals; ``invoice_lines``: the HSN/SAC
  and the split of the line's rate and tax. Invoices issued before keep
  ``place_of_supply`` NULL and zero splits (their tax stays undivided on 2100).
- Three output-tax accounts, 2110 Output CGST, 2120 Output SGST and 2130
  Output IGST (``backend/ledger/chart.py``); 2100 stays for the old invoices.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_gst_tax_invoices"
down_revision = "0013_gateway_events"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)
RATE = sa.Numeric(precision=6, scale=3)
ACCOUNTS = [("2110", "Output CGST"), ("2120", "Output SGST"), ("2130", "Output IGST")]


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("gstin", sa.String(length=15), nullable=True))
        batch_op.add_column(sa.Column("state_code", sa.String(length=2), nullable=True))
    with op.batch_alter_table("parts") as batch_op:
        batch_op.add_column(sa.Column("hsn_code", sa.String(length=8), nullable=True))
    with op.batch_alter_table("service_charges") as batch_op:
        batch_op.add_column(sa.Column("sac_code", sa.String(length=6), nullable=True))
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.add_column(sa.Column("place_of_supply", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("supplier_gstin", sa.String(length=15), nullable=True))
        batch_op.add_column(sa.Column("customer_gstin", sa.String(length=15), nullable=True))
        for name in ("cgst", "sgst", "igst"):
            batch_op.add_column(sa.Column(name, MONEY, server_default="0", nullable=False))
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.add_column(sa.Column("hsn_sac", sa.String(length=8), nullable=True))
        for name in ("cgst", "sgst", "igst"):
            batch_op.add_column(sa.Column(f"{name}_rate", RATE, server_default="0", nullable=False))
            batch_op.add_column(sa.Column(name, MONEY, server_default="0", nullable=False))
    accounts = sa.table("accounts", sa.column("code"), sa.column("name"), sa.column("type"))
    op.bulk_insert(accounts, [{"code": code, "name": name, "type": "liability"} for code, name in ACCOUNTS])


def downgrade() -> None:
    accounts = sa.table("accounts", sa.column("code"))
    op.execute(accounts.delete().where(accounts.c.code.in_([code for code, _ in ACCOUNTS])))
    with op.batch_alter_table("invoice_lines") as batch_op:
        for name in ("igst", "sgst", "cgst"):
            batch_op.drop_column(name)
            batch_op.drop_column(f"{name}_rate")
        batch_op.drop_column("hsn_sac")
    with op.batch_alter_table("invoices") as batch_op:
        for name in ("igst", "sgst", "cgst", "customer_gstin", "supplier_gstin", "place_of_supply"):
            batch_op.drop_column(name)
    with op.batch_alter_table("service_charges") as batch_op:
        batch_op.drop_column("sac_code")
    with op.batch_alter_table("parts") as batch_op:
        batch_op.drop_column("hsn_code")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("state_code")
        batch_op.drop_column("gstin")
