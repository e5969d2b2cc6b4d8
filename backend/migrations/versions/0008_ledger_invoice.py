"""ledger_entries.invoice_id and invoice_balances: outstanding without a full ledger scan

Revision ID: 0008_ledger_invoice
Revises: 0007_idempotency_keys
Create Date: 2026-11-28 14:00:00

Each receivable (1100) customer entry names the invoice it raises (sales or
contract-invoice voucher) or settles (receipt voucher); until now that was
found through the voucher's source (invoice, or receipt -> invoice) for every
entry of the ledger. invoice_balances keeps per invoice the sum of those
entries, the day of the latest and the invoice's customer and due date, so
outstanding reads the open invoices' balances by index only, and sums entries
only for invoices that moved after the day asked about
(backend/ledger/service.py). Both are filled here from the existing rows,
then kept by backend/ledger/posting.py.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_ledger_invoice"
down_revision = "0007_idempotency_keys"
branch_labels = None
depends_on = None

RECEIVABLE = "1100"

BACKFILL_PG = """
UPDATE ledger_entries e
   SET invoice_id = CASE v.source_type WHEN 'invoice' THEN v.source_id ELSE r.invoice_id END
  FROM vouchers v
  LEFT JOIN receipts r ON v.source_type = 'receipt' AND r.id = v.source_id
 WHERE v.id = e.voucher_id
   AND v.source_type IN ('invoice', 'receipt')
   AND e.party_type = 'customer'
   AND e.account_id = (SELECT id FROM accounts WHERE code = :receivable)
"""

BACKFILL_SQLITE = """
UPDATE ledger_entries
   SET invoice_id = (
       SELECT CASE v.source_type WHEN 'invoice' THEN v.source_id
                                 ELSE (SELECT r.invoice_id FROM receipts r WHERE r.id = v.source_id) END
         FROM vouchers v
        WHERE v.id = ledger_entries.voucher_id AND v.source_type IN ('invoice', 'receipt'))
 WHERE party_type = 'customer'
   AND account_id = (SELECT id FROM accounts WHERE code = :receivable)
"""

# an entry whose voucher names an invoice that is not there stays untied, as outstanding treated it before
ORPHANS = "UPDATE ledger_entries SET invoice_id = NULL WHERE invoice_id IS NOT NULL " \
          "AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = ledger_entries.invoice_id)"

BALANCES = """
INSERT INTO invoice_balances (invoice_id, customer_id, due_on, balance, last_on)
SELECT i.id, i.customer_id, i.due_on, ROUND(SUM(e.debit - e.credit), 2), MAX(e."on")
  FROM ledger_entries e
  JOIN invoices i ON i.id = e.invoice_id
 GROUP BY i.id, i.customer_id, i.due_on
"""


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_ledger_entries_invoice_id_invoices"), "invoices",
                                    ["invoice_id"], ["id"])
    pg = op.get_bind().dialect.name == "postgresql"
    op.execute(sa.text(BACKFILL_PG if pg else BACKFILL_SQLITE).bindparams(receivable=RECEIVABLE))
    op.execute(ORPHANS)
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_invoice", ["invoice_id", "on", "debit", "credit", "party_id"],
                              unique=False)
        batch_op.create_index("ix_ledger_entries_untied", ["party_id"], unique=False,
                              postgresql_where=sa.text("invoice_id IS NULL AND party_type = 'customer'"),
                              sqlite_where=sa.text("invoice_id IS NULL AND party_type = 'customer'"))
    op.create_table(
        "invoice_balances",
        sa.Column("invoice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_invoice_balances_customer_id_customers")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_balances_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_balances")),
    )
    op.execute(BALANCES)
    with op.batch_alter_table("invoice_balances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_balances_last_on"), ["last_on"], unique=False)
        batch_op.create_index("ix_invoice_balances_open", ["customer_id", "due_on", "balance", "last_on"], unique=False,
                              postgresql_where=sa.text("balance <> 0"), sqlite_where=sa.text("balance <> 0"))


def downgrade() -> None:
    with op.batch_alter_table("invoice_balances", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_balances_open")
        batch_op.drop_index(batch_op.f("ix_invoice_balances_last_on"))
    op.drop_table("invoice_balances")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_untied")
        batch_op.drop_index("ix_ledger_entries_invoice")
        batch_op.drop_constraint(batch_op.f("fk_ledger_entries_invoice_id_invoices"), type_="foreignkey")
        batch_op.drop_column("invoice_id")
