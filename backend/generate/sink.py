"""Bulk loading: rows buffered per table and written in large batches —
PostgreSQL ``COPY ... FROM STDIN`` through psycopg, SQLite ``executemany`` —
in foreign-key order, inside one transaction.

Ids are chosen by the generator (from each table's current maximum), so rows
can point at each other before they are written; PostgreSQL's sequences are
moved past them at the end.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, text
from sqlalchemy.engine import Engine

from backend.models import metadata

# The columns the generator fills, per table, in the order its rows give them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "email", "name", "phone", "role", "password_hash", "customer_id", "max_chats", "active",
              "created_at"),
    "customers": ("id", "code", "name", "email", "phone", "created_at"),
    "sites": ("id", "customer_id", "name", "address", "city"),
    "products": ("id", "sku", "name", "category", "warranty_months"),
    "items": ("id", "product_id", "serial", "customer_id", "site_id", "installed_on", "warranty_until"),
    "parts": ("id", "sku", "name", "unit_price", "unit_cost", "tax_rate", "stock_qty"),
    "service_charges": ("id", "code", "name", "unit_price", "tax_rate"),
    "contracts": ("id", "number", "customer_id", "type_code", "starts_on", "ends_on", "status", "created_at",
                  "site_id", "value", "visits_per_year", "instalments", "renewal_of_id", "accepted_at", "notes"),
    "covered_items": ("id", "contract_id", "item_id"),
    "contract_offers": ("id", "contract_id", "version", "type_code", "amount", "tax_rate", "starts_on", "ends_on",
                        "visits_per_year", "instalments", "valid_until", "state", "sent_at", "answered_at",
                        "answer_note"),
    "service_requests": ("id", "number", "customer_id", "kind", "channel", "problem", "item_id", "site_id",
                         "preferred_at", "contract_id", "cover", "covers_labour", "covers_parts", "created_by",
                         "idempotency_key", "created_at"),
    "tickets": ("id", "number", "request_id", "customer_id", "subject", "body", "answer", "state", "assigned_to",
                "created_at"),
    "vouchers": ("id", "number", "kind", "on", "narration", "source_type", "source_id", "created_by", "created_at"),
    "ledger_entries": ("id", "voucher_id", "account_id", "party_type", "party_id", "on", "debit", "credit",
                       "invoice_id"),
    "invoice_balances": ("invoice_id", "customer_id", "due_on", "balance", "last_on"),
    "invoices": ("id", "number", "customer_id", "source_type", "source_id", "issued_on", "due_on", "subtotal", "tax",
                 "total", "state", "voucher_id", "created_by", "created_at"),
    "invoice_lines": ("id", "invoice_id", "kind", "description", "qty", "unit_price", "tax_rate", "amount", "tax"),
    "instalments": ("id", "invoice_id", "seq", "due_on", "amount"),
    "receipts": ("id", "number", "invoice_id", "customer_id", "amount", "method", "reference", "received_on",
                 "voucher_id", "idempotency_key", "recorded_by", "created_at"),
    "collection_followups": ("id", "invoice_id", "by_user", "note", "next_on", "at"),
    "service_orders": ("id", "number", "customer_id", "request_id", "site_id", "item_id", "description", "state",
                       "invoice_id", "created_by", "created_at"),
    "service_order_lines": ("id", "order_id", "kind", "code", "description", "qty", "unit_price", "tax_rate"),
    "jobs": ("id", "number", "request_id", "customer_id", "site_id", "item_id", "contract_id", "order_id",
             "covers_labour", "covers_parts", "problem", "state", "technician_id", "scheduled_start", "scheduled_end",
             "arrived_at", "resolved_at", "service_notes", "estimate_state", "estimate_amount", "visits",
             "created_at"),
    "planned_visits": ("id", "contract_id", "item_id", "due_on", "state", "job_id", "carried_from_id"),
    "job_parts": ("id", "job_id", "part_id", "qty", "unit_price", "unit_cost", "tax_rate", "covered", "recorded_at"),
    "advances": ("id", "job_id", "technician_id", "amount", "purpose", "state", "decided_by", "voucher_id",
                 "created_at"),
    "expense_claims": ("id", "number", "job_id", "technician_id", "state", "voucher_id", "created_at"),
    "expense_lines": ("id", "claim_id", "category", "description", "amount", "attachment_id", "state", "decided_by",
                      "reason"),
    "feedback": ("id", "job_id", "customer_id", "rating", "comment", "created_at"),
    "repair_orders": ("id", "number", "customer_id", "request_id", "item_id", "item_description", "fault", "state",
                      "technician_id", "covers_labour", "covers_parts", "check_notes", "invoice_id", "received_at",
                      "repaired_at", "delivered_at"),
    "repair_estimates": ("id", "repair_id", "version", "state", "total", "note", "created_at", "answered_at"),
    "repair_estimate_lines": ("id", "estimate_id", "kind", "code", "description", "qty", "unit_price", "tax_rate"),
    "repair_parts": ("id", "repair_id", "part_id", "qty", "unit_cost", "recorded_at"),
    "state_changes": ("id", "entity_type", "entity_id", "request_id", "from_state", "to_state", "actor_id",
                      "actor_role", "channel", "note", "at"),
}
ORDER = [t.name for t in metadata.sorted_tables if t.name in COLUMNS]
ID_TABLES = [name for name, cols in COLUMNS.items() if cols[0] == "id"]  # the others are keyed by a reference


def _sqlite_datetime(value: datetime) -> str:
    """The text SQLAlchemy stores for a DateTime on SQLite (UTC, no offset)."""
    value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


class Sink:
    """Buffers rows and writes them in bulk, all in one transaction."""

    def __init__(self, engine: Engine, *, batch: int = 50_000, rebuild_indexes: bool = False) -> None:
        self.engine = engine
        self.batch = batch
        self.pg = engine.dialect.name == "postgresql"
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.counts: dict[str, int] = {name: 0 for name in COLUMNS}
        self.pending = 0
        self._next: dict[str, int] = {}
        self._raw = engine.raw_connection()
        self._dropped: list[str] = []
        self.fk_checks = True
        if self.pg:
            self._prepare_pg(rebuild_indexes)
        else:
            self._prepare_sqlite()
        self._start_ids()

    # --- ids -------------------------------------------------------------------------------------
    def _start_ids(self) -> None:
        cur = self._raw.cursor()
        for name in ID_TABLES:
            cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"')
            self._next[name] = cur.fetchone()[0] + 1
        cur.close()

    def next_id(self, table: str) -> int:
        n = self._next[table]
        self._next[table] = n + 1
        return n

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    # --- writing ---------------------------------------------------------------------------------
    def flush(self) -> None:
        for name in ORDER:
            rows = self.rows[name]
            if rows:
                (self._copy if self.pg else self._insert)(name, rows)
                self.counts[name] += len(rows)
                self.rows[name] = []
        self.pending = 0

    def _copy(self, name: str, rows: list[tuple]) -> None:
        cols = ", ".join(f'"{c}"' for c in COLUMNS[name])
        with self._raw.cursor() as cur, cur.copy(f'COPY "{name}" ({cols}) FROM STDIN') as copy:
            write = copy.write_row
            for row in rows:
                write(row)

    def _insert(self, name: str, rows: list[tuple]) -> None:
        cols = COLUMNS[name]
        convert = self._converters(name)
        if convert:
            rows = [tuple(f(v) if f and v is not None else v for f, v in zip(convert, row)) for row in rows]
        sql = f'INSERT INTO "{name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)}) ' \
              f'VALUES ({", ".join("?" * len(cols))})'
        self._raw.cursor().executemany(sql, rows)

    def _converters(self, name: str) -> list[Any] | None:
        table = metadata.tables[name]
        out, any_ = [], False
        for c in COLUMNS[name]:
            t = table.c[c].type
            f = None
            if isinstance(t, DateTime) or isinstance(getattr(t, "impl", None), DateTime):
                f = _sqlite_datetime
            elif isinstance(t, Date):
                f = date.isoformat
            elif isinstance(t, Boolean):
                f = int
            out.append(f)
            any_ = any_ or f is not None
        return out if any_ else None

    def query(self, sql: str) -> list[tuple]:
        """Read inside the load's own transaction (SQLite would see its own lock otherwise)."""
        cur = self._raw.cursor()
        cur.execute(sql)
        rows = [tuple(r) for r in cur.fetchall()]
        cur.close()
        return rows

    # --- set-up and finish ---------------------------------------------------------------------------
    def _prepare_pg(self, rebuild_indexes: bool) -> None:
        cur = self._raw.cursor()
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute("SAVEPOINT replica")
        try:  # skip per-row foreign-key triggers: the generator keeps references right itself
            cur.execute("SET session_replication_role = replica")
            self.fk_checks = False
        except Exception:
            cur.execute("ROLLBACK TO SAVEPOINT replica")
        if rebuild_indexes:
            cur.execute(
                "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE n.nspname = current_schema() AND t.relname = ANY(%s) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                (list(COLUMNS),))
            found = cur.fetchall()
            for index, definition in found:
                cur.execute(f'DROP INDEX "{index}"')
                self._dropped.append(definition)
        cur.close()

    def _prepare_sqlite(self) -> None:
        driver = self._raw.driver_connection
        driver.isolation_level = None
        driver.execute("PRAGMA foreign_keys=OFF")
        driver.execute("PRAGMA synchronous=OFF")
        driver.execute("BEGIN IMMEDIATE")
        self.fk_checks = False

    def finish(self, progress=None) -> None:
        self.flush()
        cur = self._raw.cursor()
        if self.pg:
            for definition in self._dropped:
                if progress:
                    progress(f"index: {definition.split(' ON ')[0]}")
                cur.execute(definition)
            cur.execute("SET session_replication_role = DEFAULT") if not self.fk_checks else None
            for name in ID_TABLES:
                cur.execute(f"SELECT pg_get_serial_sequence('\"{name}\"', 'id')")
                seq = cur.fetchone()[0]
                if seq:
                    cur.execute(f'SELECT setval(%s, (SELECT COALESCE(MAX(id), 1) FROM "{name}"))', (seq,))
            self._raw.commit()
            cur.close()
            with self.engine.connect() as conn:  # statistics, and the visibility map index-only scans need
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                for name in COLUMNS:
                    conn.execute(text(f'VACUUM (ANALYZE) "{name}"'))
        else:
            cur.execute("COMMIT")
            cur.close()
            self._raw.driver_connection.execute("PRAGMA foreign_keys=ON")
            self._raw.driver_connection.execute("ANALYZE")
        self._raw.close()

    def abort(self) -> None:
        try:
            if self.pg:
                self._raw.rollback()
            else:
                self._raw.driver_connection.execute("ROLLBACK")
        finally:
            self._raw.close()
