"""Bulk import of customers, their sites and contacts, and their installed items
from one CSV or XLSX file, with the same checks as entering them one by one.

The file: one row per installed item (or per customer, when a customer has
none), the first row naming the columns (``COLUMNS``; names matched without
regard to case, spaces or hyphens). Rows with the same ``customer_ref`` (the
file's own key, never stored) are one customer, whose name, kind, mobile,
e-mail, GSTIN and state come from their first row (later rows leave them blank
or repeat them). A site is (``customer_ref``, ``site_name``): its address is
given on the first row that names it; a contact is (``customer_ref``,
``contact_name``). Dates are ISO (2024-03-31) or day first (31/03/2024), or
real date cells in an XLSX. CSV is UTF-8, with or without a byte-order mark,
separated by commas (a spreadsheet's semicolons or tabs are recognised too).

Every row goes through the master-data use cases' own session functions
(``backend.customers.service.new_customer`` / ``new_site`` / ``new_contact``,
``backend.catalog.items.new_item``), so a row is refused for exactly what the
desk's forms refuse, with the same stable code and reason; on top of that the
import refuses what only a file can get wrong: the same mobile, e-mail or serial
twice in the file, a customer or site given differently on two rows, a date it
cannot read, and a customer with neither mobile nor e-mail (the only way a
second import of the same file can recognise them). Duplicates against the
records already here are looked up in bulk (one query per 500 values, not per
row) and reported as ``already exists: CU-000012``.

One transaction: if any row is refused, nothing is written and the report
names every refused row (as the spreadsheet numbers it: the header is row 1)
and field. A preview is the same run rolled back. Importing the same file twice
creates nothing the second time: every customer is refused as already existing
(we refuse rather than skip, so what the file says always matches what is
stored: a changed address is not silently ignored).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.catalog.items import checked_dates as item_dates
from backend.catalog.items import new_item, normalise_serial, warranty_until
from backend.catalog.items import product_by_sku as product_of
from backend.catalog.models import Item, Product
from backend.customers.models import Contact, Customer, Site
from backend.customers.phones import normalise_mobile
from backend.customers.service import CODE_PREFIX, contact_input, customer_input, shown_value, site_input
from backend.history.moves import record
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role

Progress = Callable[[int, int], None]  # (rows done, rows in the file)

IMPORTERS = (Role.ADMIN, Role.MANAGER)
MAX_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024  # the portal also keeps to its upload limit (UPLOAD_MAX_BYTES)
SAMPLE_ROWS = 10
CHUNK = 500  # values per bulk lookup (an IN list every database takes)
PROGRESS_EVERY = 100


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning: str
    example: str
    example_business: str


# The file's columns, in the template's order. Only customer_ref and name must be present.
COLUMNS: tuple[Column, ...] = (
    Column("customer_ref", True, "your own key for the customer: rows with the same value are one customer "
           "(not stored)", "C1", "C2"),
    Column("kind", False, "person or business (blank: person)", "person", "business"),
    Column("name", True, "the customer's name", "Asha Rao", "Sunrise Foods Pvt Ltd"),
    Column("mobile", False, "the customer's mobile (10 digits, or +country code and number)", "98200 11111",
           "+91 98200 22222"),
    Column("email", False, "the customer's e-mail (mobile or e-mail is needed)", "asha@example.com",
           "accounts@sunrise.example"),
    Column("gstin", False, "a business's GSTIN", "", "27AAPFU0939F1ZV"),
    Column("state_code", False, "the two-digit GST state code (blank: the GSTIN's)", "27", ""),
    Column("language", False, "of their notices: en or hi (blank: en)", "en", "en"),
    Column("site_name", False, "the site's name, one per customer (Home, Plant 2; blank: Main)", "Home", "Plant 1"),
    Column("address", False, "the site's address (on the first row naming the site)", "12 Hill Road, Bandra",
           "Plot 7, MIDC"),
    Column("city", False, "the site's city", "Mumbai", "Pune"),
    Column("pin_code", False, "the site's six-digit PIN code", "400050", "411019"),
    Column("contact_name", False, "a contact person of the customer", "", "R. Kulkarni"),
    Column("contact_mobile", False, "the contact's mobile", "", "98200 33333"),
    Column("contact_email", False, "the contact's e-mail", "", "kulkarni@sunrise.example"),
    Column("product_sku", False, "the installed item's product (its SKU in Parts & prices)", "AC-1.5T",
           "AC-1.5T"),
    Column("serial", False, "the item's serial number (unique)", "SN-1001", "SN-2001"),
    Column("installed_on", False, "installation date: 2024-03-31 or 31/03/2024", "2024-03-31", "15/01/2025"),
    Column("purchased_on", False, "purchase date (the warranty runs from it, else from installation)",
           "2024-03-30", ""),
)
NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
CUSTOMER_FIELDS = ("kind", "name", "mobile", "email", "gstin", "state_code", "language")
SITE_FIELDS = ("address", "city", "pin_code")
CONTACT_FIELDS = ("contact_mobile", "contact_email")
DATE_FIELDS = ("installed_on", "purchased_on")
ALIASES = {
    "customer": "customer_ref", "customer_id": "customer_ref", "ref": "customer_ref", "customer_name": "name",
    "phone": "mobile", "mobile_number": "mobile", "mobile_no": "mobile", "e_mail": "email",
    "email_address": "email", "site": "site_name", "pin": "pin_code", "pincode": "pin_code",
    "postcode": "pin_code", "contact": "contact_name", "contact_phone": "contact_mobile",
    "contact_e_mail": "contact_email", "sku": "product_sku", "product": "product_sku",
    "serial_number": "serial", "serial_no": "serial", "installed": "installed_on", "installation_date": "installed_on",
    "purchased": "purchased_on", "purchase_date": "purchased_on",
}

# A refusal of the master-data functions names their own argument; the file's column for it, per part.
FIELD_OF = {
    "customer": {"phone": "mobile", "customer_id": "customer_ref"},
    "site": {"name": "site_name", "customer_id": "customer_ref", "customer": "customer_ref"},
    "contact": {"name": "contact_name", "mobile": "contact_mobile", "phone": "contact_mobile",
                "email": "contact_email", "customer_id": "customer_ref", "customer": "customer_ref"},
    "item": {"site_id": "site_name", "customer_id": "customer_ref", "product": "product_sku",
             "product_id": "product_sku"},
}
PART_COLUMN = {"customer": "customer_ref", "site": "site_name", "contact": "contact_name", "item": "serial"}


# --- the report --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One refused value: the row as the spreadsheet numbers it (header = 1), the column, the stable
    code (``invalid_input``, ``duplicate``, ...) and reason (``bad_mobile``, ``already_exists``, ...)."""

    row: int
    field: str
    code: str
    reason: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    file_name: str
    rows: int  # data rows (blank rows not counted)
    customers: int  # created, or that would be created (a preview)
    sites: int
    contacts: int
    items: int
    problems: tuple[Problem, ...]
    columns: tuple[str, ...]  # the file's recognised columns, in its order
    ignored_columns: tuple[str, ...]  # columns this import does not know (their values are not read)
    sample: tuple[tuple[int, tuple[str, ...]], ...]  # the first rows: (row, values in ``columns`` order)
    dry_run: bool
    written: bool
    customer_codes: tuple[str, ...] = ()  # of the customers created (in a preview: the codes they would get)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def refused_rows(self) -> int:
        return len({p.row for p in self.problems})

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON), as ``from_dict`` takes it back (the portal keeps it in a task's row)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        return cls(**{**data, "problems": tuple(Problem(**p) for p in data["problems"]),
                      "columns": tuple(data["columns"]), "ignored_columns": tuple(data["ignored_columns"]),
                      "sample": tuple((row, tuple(values)) for row, values in data["sample"]),
                      "customer_codes": tuple(data["customer_codes"])})

    def summary(self) -> str:
        counts = (f"{self.customers:,} customers, {self.sites:,} sites, {self.contacts:,} contacts, "
                  f"{self.items:,} items")
        if self.written:
            return f"{self.rows:,} rows imported: {counts} created"
        if self.problems:
            return (f"{self.rows:,} rows, {self.refused_rows:,} refused ({len(self.problems):,} problems): "
                    "nothing was imported; correct the rows below and upload the file again")
        return f"{self.rows:,} rows checked: {counts} will be created"


def problems_csv(report: ImportReport) -> bytes:
    """The refused rows as a CSV (UTF-8 with a byte-order mark, so a spreadsheet opens it as such)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["row", "field", "code", "reason", "message"])
    for p in report.problems:
        w.writerow([p.row, p.field, p.code, p.reason, p.message])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- templates ---------------------------------------------------------------------------------------

def template_rows() -> list[list[str]]:
    """The header and two example rows (a person with one item; a business with a contact)."""
    return [list(NAMES), [c.example for c in COLUMNS], [c.example_business for c in COLUMNS]]


def template_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(template_rows())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "customers"
    header, *examples = template_rows()
    ws.append(header)
    for row in examples:
        ws.append([_example_cell(name, value) for name, value in zip(header, row)])
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(name) + 2)
        if name in DATE_FIELDS:
            for r in range(2, 2 + len(examples)):
                ws.cell(r, i).number_format = "yyyy-mm-dd"
        elif name in ("mobile", "contact_mobile", "pin_code", "state_code"):
            for r in range(2, 2 + len(examples)):
                ws.cell(r, i).number_format = "@"  # text, so a leading zero or + survives
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _example_cell(name: str, value: str) -> Any:
    if name in DATE_FIELDS and value:
        return _date(value)
    return value or None


# --- reading the file --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    ignored: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, Any]], ...]  # (row number, column → str or date), blank rows left out


def _refuse(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field="file", reason=reason, **details)


def read_table(data: bytes, file_name: str) -> Table:
    """The file's rows by column, or refused as a whole (``invalid_input``, field ``file``, reason
    ``file_type``, ``too_large``, ``not_utf8``, ``unreadable``, ``empty``, ``missing_columns``,
    ``duplicate_column``, ``no_rows`` or ``too_many_rows``)."""
    name = (file_name or "").lower()
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"the file is over {MAX_FILE_BYTES // 2**20} MB: split it "
                          "into smaller files", field="file", reason="too_large")
    if name.endswith(".xlsx"):
        records = _xlsx_records(data)
    elif name.endswith((".csv", ".txt")):
        records = _csv_records(data)
    else:
        raise DomainError(ErrorCode.UPLOAD_TYPE, "upload a .csv or .xlsx file (from a spreadsheet: Save as → "
                          "CSV UTF-8, or Excel workbook)", field="file", reason="file_type")
    header = next(records, None)
    if header is None or not any(_text(v) for v in header[1]):
        raise _refuse("empty", "the file is empty: its first row must name the columns (download the template)")
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for i, raw in enumerate(header[1]):
        label = _text(raw)
        if not label:
            continue
        key = _canonical(label)
        if key not in NAMES:
            ignored.append(label)
            continue
        if key in positions:
            raise _refuse("duplicate_column", f"the column {key} is in the first row twice: keep one",
                          column=key)
        positions[key] = i
    missing = [n for n in REQUIRED if n not in positions]
    if missing:
        raise _refuse("missing_columns", f"the file has no column {', '.join(missing)}: the first row must name "
                      f"the columns, and {', '.join(REQUIRED)} are required (download the template)",
                      missing=missing)
    columns = tuple(sorted(positions, key=positions.get))
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in records:
        values = {c: _cell(cells[positions[c]] if positions[c] < len(cells) else None, c) for c in columns}
        if not any(v not in ("", None) for v in values.values()):
            continue  # a blank row: skipped, the numbering goes on
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise _refuse("too_many_rows", f"the file has over {MAX_ROWS:,} rows: split it into smaller files")
    if not rows:
        raise _refuse("no_rows", "the file has the column names but no rows under them")
    return Table(columns, tuple(ignored), tuple(rows))


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("not_utf8", "the file is not UTF-8 text: in the spreadsheet choose Save as → CSV UTF-8, "
                      "or upload the .xlsx workbook") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except csv.Error as exc:
            raise _refuse("unreadable", f"the CSV cannot be read after row {reader.line_num}: {exc}") from None

    return records()


def _xlsx_records(data: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong size; read every row there is
        rows = list(sheet.iter_rows(min_row=1, values_only=True))
        wb.close()
    except Exception:
        raise _refuse("unreadable", "the file cannot be read as an Excel workbook (.xlsx): open it in the "
                      "spreadsheet and save it again, or save it as CSV UTF-8") from None
    return iter([(number, tuple(cells)) for number, cells in enumerate(rows, start=1)])


def _canonical(label: str) -> str:
    key = re.sub(r"[\s\-./]+", "_", label.strip().lower()).strip("_")
    return ALIASES.get(key, key)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a mobile or PIN typed into a number cell
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _cell(value: Any, column: str) -> Any:
    """A cell as text, except a date cell of a date column, which stays a date."""
    if column in DATE_FIELDS and isinstance(value, (date, datetime)):
        return value.date() if isinstance(value, datetime) else value
    return _text(value)


def _mobile_key(text: str) -> str:
    """A mobile as the duplicate checks compare it: E.164 when valid (a bad one is refused later, in the use
    case's own words; meanwhile it is compared as typed)."""
    if not text:
        return ""
    try:
        return normalise_mobile(text)
    except DomainError:
        return text.strip()


def _serial_key(text: str) -> str:
    try:
        return normalise_serial(text)
    except DomainError:
        return text.strip().upper()


DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _date(value: Any) -> date | None:
    """A date cell, ISO text (a time after it is ignored) or day first (31/03/2024, 31-03-2024)."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    m = DAY_FIRST.match(text)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return date.fromisoformat(text[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}([ T].*)?$", text) else \
        date.fromisoformat(text)


# --- checking and writing ----------------------------------------------------------------------------

def preview_import(uow: UnitOfWork, actor: Actor, *, data: bytes, file_name: str,
                   progress: Progress | None = None) -> ImportReport:
    """Every check of the import, in a transaction that is rolled back: what would be created, or the
    report of every refused row. Nothing is written."""
    return import_master_data(uow, actor, data=data, file_name=file_name, dry_run=True, progress=progress)


def import_master_data(uow: UnitOfWork, actor: Actor, *, data: bytes, file_name: str, dry_run: bool = False,
                       progress: Progress | None = None) -> ImportReport:
    """Import the file in one transaction (admin, manager). A file that cannot be read at all is refused
    with a ``DomainError`` (field ``file``); a readable one returns its report: with any refused row,
    ``written`` is False and nothing changed; else every row is written, each record with its history
    row, and ``written`` is True. ``dry_run``: check only. ``progress(done, total)`` is called as rows
    are checked and again as they are written."""
    require_role(actor, *IMPORTERS)
    table = read_table(data, file_name)
    tick = progress or (lambda done, total: None)
    tick(0, len(table.rows))
    with uow() as s:
        run = _Run(s, actor, table, tick)
        run.check_file()
        run.check_rows()
        run.check_existing()
        if run.problems or dry_run:
            return run.report(file_name, dry_run=dry_run, written=False)
        run.write()
        return run.report(file_name, dry_run=False, written=True)


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    ref: str = ""
    site_key: tuple[str, str] | None = None
    contact_key: tuple[str, str] | None = None
    mobile_key: str = ""  # the customer's mobile as compared (E.164 when it is a valid one)
    email_key: str = ""
    serial_key: str = ""  # the serial as stored (blanks removed, upper case)
    dates: dict[str, date | None] = field(default_factory=dict)
    skip: set[str] = field(default_factory=set)  # parts refused by the file's own checks

    def get(self, column: str) -> str:
        value = self.values.get(column, "")
        return value if isinstance(value, str) else _text(value)

    def opt(self, column: str) -> str | None:
        return self.get(column) or None

    @property
    def has_item(self) -> bool:
        return bool(self.get("product_sku") or self.get("serial"))

    @property
    def has_contact(self) -> bool:
        return any(self.get(c) for c in ("contact_name", *CONTACT_FIELDS))


@dataclass
class _ItemInput:
    row: _Row
    serial: str
    product: Product
    installed: date | None
    purchased: date | None


class _Run:
    """One import: the file's own checks, every row through the master data's input checks, the duplicates
    against what is stored in bulk, then (nothing refused) the rows written in batches."""

    def __init__(self, s: Session, actor: Actor, table: Table, tick: Progress) -> None:
        self.s, self.actor, self.table, self.tick = s, actor, table, tick
        self.today = date.today()
        self.rows = [_Row(n, dict(v)) for n, v in table.rows]
        self.problems: list[Problem] = []
        self.first_row: dict[str, _Row] = {}  # customer_ref → the row that gives the customer
        self.site_row: dict[tuple[str, str], _Row] = {}
        self.contact_row: dict[tuple[str, str], _Row] = {}
        self.refused_refs: set[str] = set()
        self.customers: dict[str, Any] = {}  # customer_ref → the checked input (customers.service)
        self.sites: dict[tuple[str, str], Any] = {}
        self.contacts: dict[tuple[str, str], tuple[str, str | None, str | None]] = {}
        self.items: list[_ItemInput] = []
        self.codes: list[str] = []

    def problem(self, row: _Row, column: str, code: ErrorCode | str, reason: str, message: str,
                part: str | None = None) -> None:
        self.problems.append(Problem(row.number, column, str(code), reason, message))
        if part:
            row.skip.add(part)
            if part == "customer":
                self.refused_refs.add(row.ref)

    def refused(self, part: str, row: _Row, exc: DomainError) -> None:
        """A refusal of the master data's checks, named by the file's column."""
        named = exc.details.get("field")
        column = FIELD_OF[part].get(str(named), str(named)) if named else PART_COLUMN[part]
        reason = str(exc.details.get("reason") or ("already_exists" if exc.code == ErrorCode.DUPLICATE
                                                   else exc.code))
        self.problem(row, column, exc.code, reason, exc.message, part)

    # -- what the file alone can get wrong --

    def check_file(self) -> None:
        mobiles: dict[str, _Row] = {}
        emails: dict[str, _Row] = {}
        serials: dict[str, _Row] = {}
        for row in self.rows:
            row.ref = row.get("customer_ref")
            if not row.ref:
                self.problem(row, "customer_ref", ErrorCode.INVALID_INPUT, "required",
                             "give the customer_ref: rows with the same value belong to one customer",
                             "customer")
                continue
            first = self.first_row.setdefault(row.ref, row)
            if first is row:
                self._check_customer_keys(row, mobiles, emails)
            else:
                for column in CUSTOMER_FIELDS:
                    given = row.get(column)
                    if given and given.casefold() != first.get(column).casefold():
                        self.problem(row, column, ErrorCode.INVALID_INPUT, "differs",
                                     f"row {first.number} gives this customer's {column} as "
                                     f"'{first.get(column)}': leave it blank on later rows, or the same", "row")
            self._check_site(row)
            self._check_contact(row)
            for column in DATE_FIELDS:
                try:
                    row.dates[column] = _date(row.values.get(column, ""))
                except ValueError:
                    self.problem(row, column, ErrorCode.INVALID_INPUT, "bad_date",
                                 f"'{row.get(column)}' is not a date: give it like 2024-03-31 or 31/03/2024",
                                 "item")
            serial = row.get("serial")
            if serial:
                row.serial_key = _serial_key(serial)
                earlier = serials.setdefault(row.serial_key, row)
                if earlier is not row:
                    self.problem(row, "serial", ErrorCode.DUPLICATE, "duplicate_in_file",
                                 f"serial {serial} is also on row {earlier.number}: a serial is one item",
                                 "item")
        self._check_contact_keys(mobiles, emails)

    def _check_customer_keys(self, row: _Row, mobiles: dict[str, _Row], emails: dict[str, _Row]) -> None:
        mobile, email = row.get("mobile"), row.get("email")
        if not mobile and not email:
            self.problem(row, "mobile", ErrorCode.INVALID_INPUT, "required",
                         "give the customer's mobile or e-mail: it is how a second import of this file "
                         "recognises them", "customer")
            return
        if mobile:
            key = row.mobile_key = _mobile_key(mobile)
            earlier = mobiles.setdefault(key, row)
            if earlier is not row:
                self.problem(row, "mobile", ErrorCode.DUPLICATE, "duplicate_in_file",
                             f"mobile {mobile} is also customer {earlier.ref}'s (row {earlier.number}): use one "
                             "customer_ref for one customer", "customer")
                return
        if email:
            key = row.email_key = email.casefold()
            earlier = emails.setdefault(key, row)
            if earlier is not row:
                self.problem(row, "email", ErrorCode.DUPLICATE, "duplicate_in_file",
                             f"e-mail {email} is also customer {earlier.ref}'s (row {earlier.number}): use one "
                             "customer_ref for one customer", "customer")

    def _check_site(self, row: _Row) -> None:
        name = row.get("site_name") or ("Main" if any(row.get(c) for c in SITE_FIELDS) else "")
        if not name:
            return
        row.site_key = (row.ref, name.casefold())
        first = self.site_row.setdefault(row.site_key, row)
        if first is not row:
            for column in SITE_FIELDS:
                given = row.get(column)
                if given and given.casefold() != first.get(column).casefold():
                    self.problem(row, column, ErrorCode.INVALID_INPUT, "differs",
                                 f"row {first.number} gives site {name}'s {column} as '{first.get(column)}': "
                                 "leave it blank on later rows, or the same", "row")

    def _check_contact(self, row: _Row) -> None:
        if not row.has_contact:
            return
        name = row.get("contact_name")
        row.contact_key = (row.ref, (name or row.get("contact_mobile") or row.get("contact_email")).casefold())
        first = self.contact_row.setdefault(row.contact_key, row)
        if first is not row:
            for column in CONTACT_FIELDS:
                given = row.get(column)
                if given and given.casefold() != first.get(column).casefold():
                    self.problem(row, column, ErrorCode.INVALID_INPUT, "differs",
                                 f"row {first.number} gives contact {name}'s {column} as '{first.get(column)}': "
                                 "leave it blank on later rows, or the same", "row")

    def _check_contact_keys(self, mobiles: dict[str, _Row], emails: dict[str, _Row]) -> None:
        """A contact's mobile or e-mail may be their own customer's, not another customer's in the file nor
        another contact's (the use case refuses both; here the report names the other row)."""
        seen: dict[tuple[str, str], _Row] = {}
        for row in self.contact_row.values():
            for column, key, customers in (("contact_mobile", _mobile_key(row.get("contact_mobile")), mobiles),
                                           ("contact_email", row.get("contact_email").casefold(), emails)):
                if not key:
                    continue
                owner = customers.get(key)
                if owner is not None and owner.ref != row.ref:
                    self.problem(row, column, ErrorCode.DUPLICATE, "duplicate_in_file",
                                 f"{row.get(column)} is also customer {owner.ref}'s (row {owner.number}): a "
                                 "mobile or e-mail belongs to one customer", "contact")
                    break
                earlier = seen.setdefault((column, key), row)
                if earlier is not row:
                    self.problem(row, column, ErrorCode.DUPLICATE, "duplicate_in_file",
                                 f"{row.get(column)} is also the contact's on row {earlier.number}: a mobile or "
                                 "e-mail belongs to one contact", "contact")
                    break

    # -- every row through the master data's own input checks --

    def check_rows(self) -> None:
        products = {p.sku.upper(): p for p in self.s.scalars(select(Product))}
        unknown: dict[str, DomainError] = {}
        total = len(self.rows)
        for done, row in enumerate(self.rows, start=1):
            if done % PROGRESS_EVERY == 0:
                self.tick(done, total)
            if row is self.first_row.get(row.ref) and "customer" not in row.skip:
                try:
                    self.customers[row.ref] = customer_input(
                        row.get("name"), row.get("kind") or "person", row.opt("mobile"), row.opt("email"),
                        row.opt("gstin"), row.opt("state_code"), row.get("language") or "en")
                except DomainError as exc:
                    self.refused("customer", row, exc)
            if row.site_key and row is self.site_row[row.site_key] and "site" not in row.skip:
                try:
                    self.sites[row.site_key] = site_input(
                        row.opt("site_name"), row.get("address"), row.opt("city"), row.opt("pin_code"))
                except DomainError as exc:
                    self.refused("site", row, exc)
            if row.contact_key and row is self.contact_row[row.contact_key] and "contact" not in row.skip:
                try:
                    self.contacts[row.contact_key] = contact_input(
                        row.get("contact_name"), row.opt("contact_mobile"), row.opt("contact_email"))
                except DomainError as exc:
                    self.refused("contact", row, exc)
            if row.has_item and "item" not in row.skip:
                try:
                    serial = normalise_serial(row.get("serial"))
                    installed, purchased = item_dates(row.dates.get("installed_on"),
                                                                 row.dates.get("purchased_on"), self.today)
                    sku = row.get("product_sku").upper()
                    if sku not in products:
                        if sku not in unknown:
                            try:
                                product_of(self.s, row.get("product_sku"))
                            except DomainError as exc:
                                unknown[sku] = exc
                        raise unknown[sku]
                    self.items.append(_ItemInput(row, serial, products[sku], installed, purchased))
                except DomainError as exc:
                    self.refused("item", row, exc)
        self.tick(total, total)

    # -- duplicates of what is already here, looked up in bulk --

    def check_existing(self) -> None:
        """The duplicate rules of ``customers.service.check_unique`` and ``catalog.items.new_item``, one query
        per 500 values: a mobile or e-mail of an active customer or of an active contact of one; a serial
        of an active item."""
        wanted = [(row, "mobile", data.mobile, "customer") for ref, data in self.customers.items()
                  for row in [self.first_row[ref]]] + \
                 [(row, "email", data.email, "customer") for ref, data in self.customers.items()
                  for row in [self.first_row[ref]]] + \
                 [(self.contact_row[key], "contact_mobile", mobile, "contact")
                  for key, (_name, mobile, _email) in self.contacts.items()] + \
                 [(self.contact_row[key], "contact_email", email, "contact")
                  for key, (_name, _mobile, email) in self.contacts.items()]
        mobiles = self._owners("mobile", {v for _r, c, v, _p in wanted if v and c.endswith("mobile")})
        emails = self._owners("email", {v for _r, c, v, _p in wanted if v and c.endswith("email")})
        for row, column, value, part in wanted:
            if not value or part in row.skip:
                continue
            owner = (mobiles if column.endswith("mobile") else emails).get(value.lower() if "email" in column
                                                                           else value)
            if owner is not None:
                self.problem(row, column, ErrorCode.DUPLICATE, "already_exists",
                             f"already exists: {owner} has {column.removeprefix('contact_').replace('email', 'e-mail')}"
                             f" {value}", part)
        serials = {i.serial for i in self.items}
        existing = {}
        for chunk in _chunks(sorted(serials)):
            for serial, code in self.s.execute(
                    select(Item.serial, Customer.code).join(Customer, Customer.id == Item.customer_id)
                    .where(Item.serial.in_(chunk), Item.active.is_(True))):
                existing[serial] = code
        for item in self.items:
            if item.serial in existing and "item" not in item.row.skip:
                self.problem(item.row, "serial", ErrorCode.DUPLICATE, "already_exists",
                             f"already exists: serial {item.serial} is installed for {existing[item.serial]}",
                             "item")

    def _owners(self, kind: str, values: set[str]) -> dict[str, str]:
        """value → who has it: 'CU-000012 Asha Rao', or 'R. Kulkarni, a contact of CU-000012 Sunrise Foods'."""
        found: dict[str, str] = {}
        wanted = {v.lower() for v in values} if kind == "email" else values
        for chunk in _chunks(sorted(wanted)):
            own = Customer.phone if kind == "mobile" else func.lower(Customer.email)
            for value, code, name in self.s.execute(
                    select(own, Customer.code, Customer.name).where(own.in_(chunk), Customer.active.is_(True))):
                found.setdefault(value, f"{code} {name}")
            theirs = Contact.phone if kind == "mobile" else func.lower(Contact.email)
            for value, contact, code, name in self.s.execute(
                    select(theirs, Contact.name, Customer.code, Customer.name)
                    .join(Customer, Customer.id == Contact.customer_id)
                    .where(theirs.in_(chunk), Contact.active.is_(True), Customer.active.is_(True))):
                found.setdefault(value, f"{contact}, a contact of {code} {name}")
        return found

    # -- writing, in batches --

    def write(self) -> None:
        """The records and their history rows as ``customers.service`` and ``catalog.items`` write them, a
        batch at a time (one statement for many rows) instead of a round of queries per row."""
        s, actor = self.s, self.actor
        total = len(self.rows)
        customers: dict[str, Customer] = {}
        for ref, data in self.customers.items():
            customers[ref] = _customer_row(data)
        s.add_all(customers.values())
        s.flush()
        for c in customers.values():
            _assign_code(c)
        s.flush()
        for c in customers.values():
            _customer_created(s, actor, c)
        self.codes = [c.code for c in customers.values()]
        self.tick(total // 4, total)
        sites: dict[tuple[str, str], Site] = {}
        for key, data in self.sites.items():
            sites[key] = _site_row(customers[key[0]], data)
        s.add_all(sites.values())
        s.flush()
        for key, site in sites.items():
            _site_created(s, actor, customers[key[0]], site)
        contacts = []
        for key, (name, mobile, email) in self.contacts.items():
            contacts.append((customers[key[0]], _contact_row(customers[key[0]], name, mobile, email)))
        s.add_all(c for _owner, c in contacts)
        s.flush()
        for owner, c in contacts:
            _contact_created(s, actor, owner, c)
        self.tick(total // 2, total)
        reused = self._deactivated_serials()
        batch: list[tuple[Item, Customer, Site | None, Product]] = []
        for n, it in enumerate(self.items, start=1):
            row = it.row
            customer, site = customers[row.ref], sites.get(row.site_key) if row.site_key else None
            if it.serial in reused:  # a deactivated item's serial: the use case moves that row to its new owner
                s.flush()
                new_item(s, actor, customer_id=customer.id, product_sku=it.product.sku, serial=it.serial,
                                    site_id=site.id if site else None, installed_on=it.installed,
                                    purchased_on=it.purchased, today=self.today)
                continue
            batch.append((_item_row(customer, site, it.product, it.serial, it.installed, it.purchased),
                          customer, site, it.product))
            if len(batch) >= 1000 or n == len(self.items):
                s.add_all(i for i, *_ in batch)
                s.flush()
                for i, c, st, p in batch:
                    _item_registered(s, actor, i, c, st, p)
                batch = []
                self.tick(total // 2 + total * n // (2 * len(self.items)), total)
        if batch:
            s.add_all(i for i, *_ in batch)
            s.flush()
            for i, c, st, p in batch:
                _item_registered(s, actor, i, c, st, p)
        s.flush()
        self.counts = {"customers": len(customers), "sites": len(sites), "contacts": len(contacts),
                       "items": len(self.items)}
        self.tick(total, total)

    def _deactivated_serials(self) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted({i.serial for i in self.items})):
            found.update(self.s.scalars(select(Item.serial).where(Item.serial.in_(chunk), Item.active.is_(False))))
        return found

    def report(self, file_name: str, *, dry_run: bool, written: bool) -> ImportReport:
        problems = tuple(sorted(self.problems, key=lambda p: (p.row, NAMES.index(p.field)
                                                              if p.field in NAMES else len(NAMES))))
        columns = self.table.columns
        sample = tuple((n, tuple(_text(v[c]) for c in columns)) for n, v in self.table.rows[:SAMPLE_ROWS])
        counts = getattr(self, "counts", None) or {
            "customers": len(self.customers), "sites": len(self.sites), "contacts": len(self.contacts),
            "items": len(self.items)}
        return ImportReport(
            file_name=file_name, rows=len(self.rows), customers=counts["customers"], sites=counts["sites"],
            contacts=counts["contacts"], items=counts["items"], problems=problems, columns=columns,
            ignored_columns=self.table.ignored, sample=sample, dry_run=dry_run, written=written,
            customer_codes=tuple(self.codes))


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


# --- the records as the master-data use cases write them ----------------------------------------------
# The same rows and history notes as ``customers.service._add_customer`` / ``_add_site`` / ``_add_contact``
# and ``catalog.items.new_item``, built for a batch (their inputs checked by those modules' own functions
# above); tests/integration/imports/test_same_as_desk.py holds the two ways equal.

def _customer_row(data: Any) -> Customer:
    return Customer(code=f"new-{uuid4().hex[:16]}", name=data.name, kind=data.kind, phone=data.mobile,
                    email=data.email, gstin=data.gstin, state_code=data.state_code, language=data.language,
                    active=True)


def _assign_code(c: Customer) -> None:
    c.code = f"{CODE_PREFIX}-{c.id:06d}"


def _customer_created(s: Session, actor: Actor, c: Customer) -> None:
    record(s, entity_type="customer", entity_id=c.id, to_state="created", actor=actor,
           note=f"{c.code} {c.name} ({c.kind}), mobile {shown_value(c.phone)}, e-mail {shown_value(c.email)}, "
                f"GSTIN {shown_value(c.gstin)}, state {shown_value(c.state_code)}")


def _site_row(c: Customer, data: Any) -> Site:
    return Site(customer_id=c.id, name=data.name, address=data.address, city=data.city, pin_code=data.pin_code,
                active=True)


def _site_created(s: Session, actor: Actor, c: Customer, site: Site) -> None:
    record(s, entity_type="site", entity_id=site.id, to_state="created", actor=actor,
           note=f"{c.code} site {site.name}: {site.address}, {shown_value(site.city)} {shown_value(site.pin_code)}")


def _contact_row(c: Customer, name: str, mobile: str | None, email: str | None) -> Contact:
    return Contact(customer_id=c.id, name=name, phone=mobile, email=email, active=True)


def _contact_created(s: Session, actor: Actor, c: Customer, contact: Contact) -> None:
    record(s, entity_type="contact", entity_id=contact.id, to_state="created", actor=actor,
           note=f"{c.code} contact {contact.name}: mobile {shown_value(contact.phone)}, e-mail {shown_value(contact.email)}")


def _item_row(customer: Customer, site: Site | None, product: Product, serial: str, installed: date | None,
              purchased: date | None) -> Item:
    return Item(product_id=product.id, serial=serial, customer_id=customer.id, site_id=site.id if site else None,
                installed_on=installed, purchased_on=purchased,
                warranty_until=warranty_until(product, purchased, installed), active=True)


def _item_registered(s: Session, actor: Actor, item: Item, customer: Customer, site: Site | None,
                     product: Product) -> None:
    record(s, entity_type="item", entity_id=item.id, to_state="registered", actor=actor,
           note=f"{item.serial} ({product.sku}) for {customer.code} {customer.name}, site "
                f"{site.name if site else '-'}, bought {item.purchased_on or '-'}, installed "
                f"{item.installed_on or '-'}, warranty until {item.warranty_until or '-'}")
