"""Bank statements in: a CSV read through a saved column mapping of its bank
(``bank_formats``), or an OFX file read by ofxtools; each transaction a
``statement_lines`` row.

Reading a file is pure (``read_csv``, ``read_ofx`` → ``ParsedStatement``);
``add_lines`` writes the lines in the caller's transaction. Importing the
same transactions again adds nothing: every line has a fingerprint, unique in
the table, made from the bank's own transaction id (OFX ``FITID``, with the
account) or, for CSV, from its date, amount, reference and narration and how
many identical lines came before it in the same file (two equal cash
deposits on one day stay two lines). The same file a second time is found
by its SHA-256 before anything is read.

CSV mapping: ``date_column`` with ``date_format`` (``strptime``, e.g.
``%d/%m/%Y``); the amount either as one signed column (``amount_column``,
credits positive; a trailing ``Cr``/``Dr`` or brackets are understood) or
as ``credit_column`` and ``debit_column``; optional ``reference_column``
and ``narration_column``; the ``delimiter`` and ``skip_rows`` (lines before
the header row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import fields
from backend.banking.models import BankFormat, BankStatement, StatementLine, StatementLineState
from backend.db import UnitOfWork, money
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.identity.actor import STAFF, Actor, require_role

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
MAX_AMOUNT = Decimal("1000000000")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
NAMED_DELIMITERS = {name: char for char, name in DELIMITERS.items()}
SOURCES = ("csv", "ofx")
BANK_ZONE = ZoneInfo("Asia/Kolkata")  # the day of an OFX timestamp, as the bank's statement shows it


# --- saved CSV mappings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class BankFormatView:
    id: int
    name: str
    delimiter: str
    skip_rows: int
    date_column: str
    date_format: str
    amount_column: str | None
    credit_column: str | None
    debit_column: str | None
    reference_column: str | None
    narration_column: str | None
    created: bool = True  # False: an existing mapping of that name was replaced


def format_view(f: BankFormat, *, created: bool = True) -> BankFormatView:
    return BankFormatView(f.id, f.name, f.delimiter, f.skip_rows, f.date_column, f.date_format, f.amount_column,
                          f.credit_column, f.debit_column, f.reference_column, f.narration_column, created)


def _column(value, field: str, *, required: bool = False) -> str | None:
    return fields.text(value, field, max_len=60, required=required, what=field.replace("_", " "))


def _date_format(value) -> str:
    fmt = fields.text(value, "date_format", max_len=30, what="date format")
    sample = date(2026, 12, 31)
    try:
        ok = "%" in fmt and datetime.strptime(sample.strftime(fmt), fmt).date() == sample
    except ValueError:
        ok = False
    if not ok:
        raise invalid("the date format must name day, month and year the way strptime does, e.g. %d/%m/%Y, "
                      "%d-%b-%Y or %Y-%m-%d", field="date_format")
    return fmt


def save_bank_format(uow: UnitOfWork, actor: Actor, *, name: str, date_column: str, date_format: str,
                     amount_column: str | None = None, credit_column: str | None = None,
                     debit_column: str | None = None, reference_column: str | None = None,
                     narration_column: str | None = None, delimiter: str = ",", skip_rows: int = 0) -> BankFormatView:
    """Staff: save a bank's CSV mapping under a name (a mapping of that name is replaced)."""
    require_role(actor, *STAFF)
    name = fields.text(name, "name", max_len=60, what="name of the format")
    values = {
        "date_column": _column(date_column, "date_column", required=True),
        "date_format": _date_format(date_format),
        "amount_column": _column(amount_column, "amount_column"),
        "credit_column": _column(credit_column, "credit_column"),
        "debit_column": _column(debit_column, "debit_column"),
        "reference_column": _column(reference_column, "reference_column"),
        "narration_column": _column(narration_column, "narration_column"),
    }
    if values["amount_column"] and (values["credit_column"] or values["debit_column"]):
        raise invalid("give either one signed amount column, or credit and debit columns, not both",
                      field="amount_column")
    if not values["amount_column"] and not values["credit_column"]:
        raise invalid("give the amount column (signed), or the credit column (and the debit column)",
                      field="amount_column")
    delimiter = NAMED_DELIMITERS.get(delimiter, delimiter) if isinstance(delimiter, str) else delimiter
    if delimiter not in DELIMITERS:
        raise invalid("the delimiter must be a comma, semicolon, tab or pipe", field="delimiter",
                      allowed=list(DELIMITERS.values()))
    if isinstance(skip_rows, bool) or not isinstance(skip_rows, int) or not 0 <= skip_rows <= 50:
        raise invalid("the lines before the header must be a whole number from 0 to 50", field="skip_rows")
    with uow() as s:
        f = s.scalar(select(BankFormat).where(BankFormat.name == name).with_for_update())
        created = f is None
        if f is None:
            f = BankFormat(name=name, created_by=actor.user_id)
            s.add(f)
        f.date_column, f.date_format = values["date_column"], values["date_format"]
        f.amount_column, f.credit_column, f.debit_column = (values["amount_column"], values["credit_column"],
                                                            values["debit_column"])
        f.reference_column, f.narration_column = values["reference_column"], values["narration_column"]
        f.delimiter, f.skip_rows = delimiter, skip_rows
        s.flush()
        return format_view(f, created=created)


def list_bank_formats(uow: UnitOfWork, actor: Actor) -> list[BankFormatView]:
    require_role(actor, *STAFF)
    with uow() as s:
        return [format_view(f) for f in s.scalars(select(BankFormat).order_by(BankFormat.name))]


def load_format(s: Session, name_or_id: str | int) -> BankFormat:
    if isinstance(name_or_id, int) or (isinstance(name_or_id, str) and name_or_id.isdigit()):
        f = s.get(BankFormat, int(name_or_id))
    else:
        f = s.scalar(select(BankFormat).where(BankFormat.name == name_or_id))
    if f is None:
        raise not_found("bank format", name_or_id)
    return f


# --- reading files (pure) -------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedLine:
    posted_on: date
    amount: Decimal  # credits positive
    reference: str | None
    narration: str | None
    bank_id: str | None = None  # the bank's own transaction id (OFX FITID)


@dataclass(frozen=True)
class ParsedStatement:
    source: str  # csv | ofx
    account: str | None
    lines: list[ParsedLine]


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(ErrorCode.INVALID_INPUT, "the file is not text (UTF-8 or Windows-1252)", field="file")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _cell(value: str | None, where: str, max_len: int) -> str | None:
    value = re.sub(r"\s+", " ", (value or "").replace("\t", " ")).strip()
    if not value:
        return None
    if _CONTROL.search(value):
        raise invalid(f"{where}: contains control characters", field="file")
    if len(value) > max_len:
        raise invalid(f"{where}: longer than {max_len} characters", field="file")
    return value


def parse_amount(text: str | None, where: str) -> Decimal:
    """A bank's way of writing an amount: ``1,200.50``, ``₹ 1,200``, ``(50.00)``,
    ``1200 Cr`` / ``50 Dr``, ``-50``; blank is zero."""
    raw = (text or "").strip()
    if not raw:
        return Decimal("0.00")
    sign = 1
    t = raw.upper().replace("INR", "").replace("RS.", "").replace("₹", "").replace(",", "").replace(" ", "")
    if t.endswith("CR"):
        t = t[:-2]
    elif t.endswith("DR"):
        t, sign = t[:-2], -1
    if t.startswith("(") and t.endswith(")"):
        t, sign = t[1:-1], -sign
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise invalid(f"{where}: '{raw[:40]}' is not an amount", field="file") from None
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise invalid(f"{where}: '{raw[:40]}' is not a plausible amount", field="file")
    return money(value * sign)


def read_csv(data: bytes, fmt: BankFormatView | BankFormat) -> ParsedStatement:
    """The transactions of a CSV export, read through a saved mapping."""
    text = _decode(data)
    rows = text.splitlines()
    if len(rows) <= fmt.skip_rows:
        raise invalid("the file has no header row after the lines to skip", field="file")
    reader = csv.DictReader(io.StringIO("\n".join(rows[fmt.skip_rows:])), delimiter=fmt.delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    wanted = [c for c in (fmt.date_column, fmt.amount_column, fmt.credit_column, fmt.debit_column,
                          fmt.reference_column, fmt.narration_column) if c]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise invalid(f"the file has no column '{missing[0]}' (its columns: {', '.join(h for h in header if h)[:300]})"
                      f"; choose the format of this bank or save one for it", field="file", column=missing[0])
    lines: list[ParsedLine] = []
    for n, row in enumerate(reader, start=fmt.skip_rows + 2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        where = f"line {n}"
        when = (row.get(fmt.date_column) or "").strip()
        if not when:
            continue  # a balance or summary line without a date
        try:
            posted_on = datetime.strptime(when, fmt.date_format).date()
        except ValueError:
            raise invalid(f"{where}: '{when[:30]}' is not a date like {fmt.date_format}", field="file") from None
        if fmt.amount_column:
            amount = parse_amount(row.get(fmt.amount_column), where)
        else:
            amount = money(parse_amount(row.get(fmt.credit_column), where)
                           - abs(parse_amount(row.get(fmt.debit_column), where) if fmt.debit_column else 0))
        if amount == 0:
            continue
        lines.append(ParsedLine(posted_on, amount,
                                _cell(row.get(fmt.reference_column) if fmt.reference_column else None,
                                      f"{where} reference", 80),
                                _cell(row.get(fmt.narration_column) if fmt.narration_column else None,
                                      f"{where} narration", 400)))
        if len(lines) > MAX_LINES:
            raise invalid(f"a statement may hold at most {MAX_LINES} transactions; import it in parts",
                          field="file")
    if not lines:
        raise invalid("the file holds no transactions", field="file")
    return ParsedStatement("csv", None, lines)


def read_ofx(data: bytes) -> ParsedStatement:
    """The transactions of an OFX file (1.x SGML or 2.x XML), read by ofxtools."""
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception as exc:  # noqa: BLE001 - whatever ofxtools refuses in an uploaded file is the file's fault
        raise invalid(f"the file is not an OFX statement ofxtools can read: {str(exc)[:200]}", field="file") from None
    if len(statements) != 1:
        raise invalid(f"the OFX file holds {len(statements)} statements; import one account's statement",
                      field="file")
    st = statements[0]
    if getattr(st, "curdef", "INR") not in (None, "INR"):
        raise invalid(f"the statement is in {st.curdef}, not INR", field="file")
    account = getattr(getattr(st, "account", None), "acctid", None)
    lines: list[ParsedLine] = []
    for n, tr in enumerate(st.transactions or [], start=1):
        where = f"transaction {tr.fitid or n}"
        amount = money(tr.trnamt)
        if amount == 0:
            continue
        if abs(amount) >= MAX_AMOUNT:
            raise invalid(f"{where}: {amount} is not a plausible amount", field="file")
        reference = tr.refnum or tr.checknum
        narration = " ".join(p for p in (tr.name, tr.memo) if p) or None
        lines.append(ParsedLine(tr.dtposted.astimezone(BANK_ZONE).date(), amount, _cell(reference, f"{where} reference", 80),
                                _cell(narration, f"{where} narration", 400), bank_id=str(tr.fitid)))
    if not lines:
        raise invalid("the OFX statement holds no transactions", field="file")
    if len(lines) > MAX_LINES:
        raise invalid(f"a statement may hold at most {MAX_LINES} transactions; import it in parts", field="file")
    return ParsedStatement("ofx", str(account)[:40] if account else None, lines)


def sniff_source(filename: str, data: bytes) -> str:
    head = data[:512].lstrip().upper()
    if filename.lower().endswith((".ofx", ".qfx")) or head.startswith((b"OFXHEADER", b"<?XML")) or b"<OFX>" in head:
        return "ofx"
    return "csv"


def fingerprints(parsed: ParsedStatement) -> list[str]:
    """One stable fingerprint per line (see the module's docstring)."""
    seen: Counter[tuple] = Counter()
    out = []
    for line in parsed.lines:
        if line.bank_id:
            raw = f"ofx|{parsed.account or ''}|{line.bank_id}"
        else:
            key = (line.posted_on.isoformat(), f"{line.amount:.2f}", (line.reference or "").upper(),
                   (line.narration or "").upper())
            raw = "csv|" + "|".join(key) + f"|{seen[key]}"
            seen[key] += 1
        out.append(hashlib.sha256(raw.encode("utf-8")).hexdigest())
    return out


# --- writing (in the caller's transaction) --------------------------------------------------------

def find_statement(s: Session, digest: str) -> BankStatement | None:
    return s.scalar(select(BankStatement).where(BankStatement.file_sha256 == digest))


def add_lines(s: Session, actor: Actor, parsed: ParsedStatement, *, filename: str, digest: str,
              format_id: int | None) -> tuple[BankStatement, list[StatementLine]]:
    """The statement row and its lines not imported before (credits
    ``unmatched``, debits ``outgoing``)."""
    prints = fingerprints(parsed)
    known = set()
    for i in range(0, len(prints), 500):
        known |= set(s.scalars(select(StatementLine.fingerprint).where(
            StatementLine.fingerprint.in_(prints[i:i + 500]))))
    st = BankStatement(source=parsed.source, format_id=format_id, filename=filename[:200], file_sha256=digest,
                       account=parsed.account, first_on=min(line.posted_on for line in parsed.lines),
                       last_on=max(line.posted_on for line in parsed.lines), lines_read=len(parsed.lines),
                       imported_by=actor.user_id)
    s.add(st)
    s.flush()
    new: list[StatementLine] = []
    for line, fp in zip(parsed.lines, prints):
        if fp in known:
            continue
        known.add(fp)
        row = StatementLine(statement_id=st.id, fingerprint=fp, posted_on=line.posted_on, amount=line.amount,
                            reference=line.reference, narration=line.narration,
                            state=StatementLineState.UNMATCHED if line.amount > 0 else StatementLineState.OUTGOING)
        s.add(row)
        new.append(row)
    st.lines_new = len(new)
    s.flush()
    return st, new


@dataclass(frozen=True)
class StatementView:
    id: int
    source: str
    format_name: str | None
    filename: str
    account: str | None
    first_on: date | None
    last_on: date | None
    lines_read: int
    lines_new: int
    imported_at: datetime


def statement_view(s: Session, st: BankStatement) -> StatementView:
    fmt = s.get(BankFormat, st.format_id) if st.format_id else None
    return StatementView(st.id, st.source, fmt.name if fmt else None, st.filename, st.account, st.first_on,
                         st.last_on, st.lines_read, st.lines_new, st.imported_at)


def list_statements(uow: UnitOfWork, actor: Actor, *, limit: int = 50) -> list[StatementView]:
    require_role(actor, *STAFF)
    with uow() as s:
        return [statement_view(s, st) for st in s.scalars(select(BankStatement).order_by(BankStatement.id.desc())
                                                          .limit(min(max(limit, 1), 500)))]
