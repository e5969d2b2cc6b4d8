"""What the fuzz tests share: a tally of every generated request (by surface,
role and answer), a cheap fingerprint of the database to prove that a refused
request changed nothing, the books' invariants checked after a run, and the
summary printed (and, for a long run, written to bench/results/fuzz.md) at the
end of the session.

Bounds: ``FUZZ_EXAMPLES`` (examples per operation, role and mode; default 2)
and ``FUZZ_BUDGET`` (seconds per role and surface; default 10) keep ``make
test`` short. The long run for the README's figures:

    FUZZ_EXAMPLES=12 FUZZ_BUDGET=600 FUZZ_REPORT=1 .venv/bin/python -m pytest tests/fuzz -q

``FUZZ_REPORT=1`` writes bench/results/fuzz.md with the figures, the date
and the machine.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.api.middleware import INTERNAL_ERROR, METHOD_NOT_ALLOWED
from backend.errors import ErrorCode

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
BUDGET = float(os.environ.get("FUZZ_BUDGET", "10"))
REPORT = os.environ.get("FUZZ_REPORT") == "1"
ROOT = Path(__file__).resolve().parents[2]

# The stable codes a 4xx may carry: the core's, plus the API's own middleware codes.
STABLE_CODES = {str(c) for c in ErrorCode} | {METHOD_NOT_ALLOWED}
assert INTERNAL_ERROR not in STABLE_CODES


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    requests: Counter = field(default_factory=Counter)  # (surface, role) -> n
    answers: Counter = field(default_factory=Counter)  # (surface, status, code) -> n
    server_errors: int = 0
    forms: Counter = field(default_factory=Counter)  # role -> portal forms found by crawling

    def count(self, surface: str, role: str, status: int, code: str = "") -> None:
        self.requests[(surface, role)] += 1
        self.answers[(surface, status, code if status >= 400 else "")] += 1
        if status >= 500:
            self.server_errors += 1

    def total(self, surface: str | None = None) -> int:
        return sum(n for (s, _), n in self.requests.items() if surface in (None, s))

    def markdown(self) -> str:
        lines = [f"# Fuzz run ({date.today().isoformat()})", "",
                 f"Machine: {machine()}; Python {platform.python_version()}; "
                 f"FUZZ_EXAMPLES={EXAMPLES}, FUZZ_BUDGET={BUDGET:g} s; "
                 f"wall time {time.monotonic() - self.started:.0f} s.", "",
                 "Command: `FUZZ_EXAMPLES=12 FUZZ_BUDGET=600 FUZZ_REPORT=1 .venv/bin/python -m pytest tests/fuzz -q`",
                 "", f"Requests generated: **{self.total()}** "
                 f"(API {self.total('api')}, portal {self.total('portal')}); "
                 f"server errors (5xx): **{self.server_errors}**.", "",
                 "| surface | role | requests |", "|---|---|---:|"]
        for (surface, role), n in sorted(self.requests.items()):
            lines.append(f"| {surface} | {role} | {n} |")
        if self.forms:
            lines += ["", "Portal forms found by crawling, per role: "
                      + ", ".join(f"{r} {n}" for r, n in sorted(self.forms.items())) + "."]
        lines += ["", "| surface | status | code | answers |", "|---|---:|---|---:|"]
        for (surface, status, code), n in sorted(self.answers.items()):
            lines.append(f"| {surface} | {status} | {code or '—'} | {n} |")
        return "\n".join(lines) + "\n"


TALLY = Tally()


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}"


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TALLY.requests:
        return
    terminalreporter.section("fuzz figures")
    terminalreporter.write(TALLY.markdown())
    if REPORT:
        out = ROOT / "bench" / "results" / "fuzz.md"
        out.write_text(TALLY.markdown())
        terminalreporter.write_line(f"written to {out}")


# --- a refused request changes nothing ------------------------------------------------------------------

class Guard:
    """Watches one SQLite database file from its own connection.

    ``PRAGMA data_version`` changes when any other connection commits a
    change, so the full fingerprint (every row of every table, hashed) is
    recomputed only after a write; a refusal during which the version moved
    is compared row for row with the fingerprint taken before it."""

    def __init__(self, path: Path, ignore: frozenset[str] = frozenset()) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.tables = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            if r[0] not in ignore]
        self.version = -1
        self.print: dict[str, tuple[int, str]] = {}

    def data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def fingerprint(self) -> dict[str, tuple[int, str]]:
        out = {}
        self.conn.execute("BEGIN")
        try:
            for t in self.tables:
                h = hashlib.blake2b(digest_size=12)
                n = 0
                for row in self.conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid'):
                    h.update(repr(row).encode())
                    n += 1
                out[t] = (n, h.hexdigest())
        finally:
            self.conn.execute("COMMIT")
        return out

    def before(self) -> None:
        v = self.data_version()
        if v != self.version:
            self.print, self.version = self.fingerprint(), v

    def changed_by_refusal(self) -> list[str]:
        """After a refused request: the tables it changed (normally none)."""
        v = self.data_version()
        if v == self.version:
            return []
        after = self.fingerprint()
        changed = [t for t in self.tables if after.get(t) != self.print.get(t)]
        self.print, self.version = after, v
        return changed

    def close(self) -> None:
        self.conn.close()


def check_error_body(status: int, body: object) -> str | None:
    """None when a 4xx body is ``{"error": {"code", "message", "details"}}``
    with a stable code; else what is wrong."""
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return f"not an error envelope: {str(body)[:200]}"
    err = body["error"]
    if set(err) != {"code", "message", "details"}:
        return f"error keys {sorted(err)}"
    if err["code"] not in STABLE_CODES:
        return f"unstable code {err['code']!r}"
    if not isinstance(err["message"], str) or not err["message"]:
        return "empty message"
    if not isinstance(err["details"], dict):
        return "details is not an object"
    return None


# --- the books after a run ------------------------------------------------------------------------------

def books_problems(uow, as_of: date | None = None) -> list[str]:
    """The ledger balances, every invoice's balance equals total − credit
    notes − receipts + refunds (nil once cancelled, never owing once paid),
    and the outstanding report (ledger and reports) equals the sum of those."""
    from backend.billing.models import CreditNote, Invoice, Receipt, Refund
    from backend.identity.actor import Actor
    from backend.identity.models import Role
    from backend.ledger import service as ledger
    from backend.ledger.models import InvoiceBalance, LedgerEntry
    from backend.reports import money as reports_money

    problems = []
    manager = Actor(Role.MANAGER, None, None, "fuzz", "api")
    with uow() as s:
        debit, credit = s.execute(select(func.coalesce(func.sum(LedgerEntry.debit), 0),
                                         func.coalesce(func.sum(LedgerEntry.credit), 0))).one()
        if round(Decimal(debit) - Decimal(credit), 2) != 0:  # SQLite sums NUMERIC as floats
            problems.append(f"ledger out of balance: debit {debit} credit {credit}")
        per_voucher = s.execute(select(LedgerEntry.voucher_id).group_by(LedgerEntry.voucher_id)  # SQLite sums floats
                                .having(func.round(func.sum(LedgerEntry.debit) - func.sum(LedgerEntry.credit), 2) != 0)
                                ).all()
        if per_voucher:
            problems.append(f"unbalanced vouchers: {per_voucher[:10]}")
        def per_invoice(model):
            return dict(s.execute(select(model.invoice_id, func.sum(model.amount)).group_by(model.invoice_id)).all())

        paid, credited, refunded = per_invoice(Receipt), per_invoice(CreditNote), per_invoice(Refund)
        open_sum = Decimal("0.00")
        for inv in s.scalars(select(Invoice)):
            owed = (Decimal(inv.total) - Decimal(credited.get(inv.id, 0)) - Decimal(paid.get(inv.id, 0))
                    + Decimal(refunded.get(inv.id, 0)))
            open_sum += owed
            if (inv.state == "paid" and owed > 0) or (inv.state == "cancelled" and owed != 0):
                problems.append(f"invoice {inv.number} is {inv.state} but owes {owed}")
            bal = s.get(InvoiceBalance, inv.id)
            if bal is not None and Decimal(bal.balance) != owed:
                problems.append(f"invoice {inv.number}: balance {bal.balance} != total − credit notes − receipts "
                                f"+ refunds {owed}")
        late = s.scalar(select(func.count()).select_from(Receipt).where(Receipt.received_on > date.today()))
        if late:
            problems.append(f"{late} receipts dated after today")
    far = as_of or date.today()
    ledger_total = sum((a.total for a in ledger.outstanding(uow, manager, as_of=far)), Decimal("0.00"))
    report_total = reports_money.outstanding(uow, manager, end=far).total
    if ledger_total != open_sum:
        problems.append(f"ledger outstanding {ledger_total} != open invoices {open_sum}")
    if report_total != open_sum:
        problems.append(f"outstanding report {report_total} != open invoices {open_sum}")
    return problems


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
