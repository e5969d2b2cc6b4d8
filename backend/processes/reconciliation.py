"""Bank reconciliation, each step one use case in one transaction:

- ``import_statement``: read a statement (CSV through a saved bank format,
  or OFX), add the lines not imported before, and match (see
  ``backend.banking.reconcile``): an exact match of a waiting UPI payment
  report confirms it into a receipt (settling what the invoice was for, as
  ``backend.processes.payments`` does); an exact match of a receipt or a
  deposit is ``matched``; a match by amount and date alone is ``proposed``.
  The same statement again changes nothing.
- ``run_matching``: match the lines still unmatched again (after receipts
  or deposits were recorded).
- ``confirm_line`` (a proposal), ``match_line`` (an agent's own choice, to
  fix one) and ``unmatch_line``.
- ``reconciliation``: the page: proposed, unmatched on both sides, recent
  matches, the waiting UPI reports, the statements and the bank formats.

Staff only (agent, manager, admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import fields
from backend.banking import payment_reports as reports
from backend.banking import reconcile as rec
from backend.banking import statements as stm
from backend.banking.models import PaymentReport, PaymentReportState, StatementLine, StatementLineState as L
from backend.billing import service as billing
from backend.billing.models import Invoice, Receipt
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid
from backend.history.moves import move
from backend.identity.actor import STAFF, Actor, require_role
from backend.processes.payment_reports import confirm_report_in_session


@dataclass(frozen=True)
class MatchCounts:
    matched: int = 0
    proposed: int = 0
    reports_confirmed: int = 0
    unmatched: int = 0


@dataclass(frozen=True)
class StatementImport:
    statement: stm.StatementView
    created: bool  # False: every line of it had been imported before; nothing changed
    lines_read: int
    lines_new: int
    matched: int
    proposed: int
    reports_confirmed: int
    unmatched: int


def _can_confirm(s: Session, item: rec.OpenItem, on: date) -> bool:
    """Whether a waiting report can become a receipt now (still due, a day in the open books)."""
    r = s.get(PaymentReport, item.id)
    if r is None or r.state != PaymentReportState.REPORTED:
        return False
    try:
        billing.payment_date(on)
    except DomainError:
        return False
    return billing.invoice_view(s, s.get(Invoice, r.invoice_id)).outstanding >= r.amount


def _apply(s: Session, actor: Actor, line: StatementLine, item: rec.OpenItem, *, rule: str, target: str) -> bool:
    """Hold ``item`` on ``line``; a waiting report matched is confirmed into a
    receipt dated the bank's day. True when a report was confirmed."""
    if item.kind == "report" and target == L.MATCHED:
        r = reports.load_report(s, item.id, lock=True)
        receipt = confirm_report_in_session(s, actor, r, received_on=line.posted_on,
                                            note=f"bank statement line {line.id}")
        receipt_id = s.scalar(select(Receipt.id).where(Receipt.number == receipt.number))
        rec.link(s, actor, line, item, rule=rule, target=L.MATCHED, receipt_id=receipt_id)
        return True
    rec.link(s, actor, line, item, rule=rule, target=target)
    return False


def _match(s: Session, actor: Actor, lines: list[StatementLine]) -> MatchCounts:
    items = rec.open_items(s)
    matched = proposed = confirmed = 0
    for d in rec.plan(lines, items):
        line = next(ln for ln in lines if ln.id == d.line_id)
        target = d.state
        if d.item.kind == "report" and target == L.MATCHED and not _can_confirm(s, d.item, line.posted_on):
            target = L.PROPOSED  # e.g. the invoice was paid meanwhile: an agent decides
        confirmed += _apply(s, actor, line, d.item, rule=d.rule, target=target)
        if target == L.MATCHED:
            matched += 1
        else:
            proposed += 1
    unmatched = sum(1 for ln in lines if ln.state == L.UNMATCHED)
    return MatchCounts(matched, proposed, confirmed, unmatched)


def _filename(value) -> str:
    name = PurePath(value if isinstance(value, str) and value.strip() else "statement").name
    return fields.text(name[:200], "file", max_len=200, what="file name") or "statement"


def import_statement(uow: UnitOfWork, actor: Actor, *, filename: str, data: bytes,
                     bank_format: str | int | None = None) -> StatementImport:
    """Staff: import a bank statement and match its lines (see the module's docstring).
    A CSV needs the bank's saved format (its name or id); OFX is read as it is."""
    require_role(actor, *STAFF)
    if not isinstance(data, (bytes, bytearray)) or not data.strip():
        raise invalid("the statement file is empty", field="file")
    if len(data) > stm.MAX_FILE_BYTES:
        raise DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"a statement file may be at most "
                          f"{stm.MAX_FILE_BYTES // 1024} KB", field="file", limit=stm.MAX_FILE_BYTES)
    filename = _filename(filename)
    data = bytes(data)
    digest = stm.file_hash(data)
    source = stm.sniff_source(filename, data)
    try:
        with uow() as s:
            existing = stm.find_statement(s, digest)
            if existing is not None:
                return _again(s, existing)
            fmt = None
            if source == "csv":
                if bank_format in (None, ""):
                    raise invalid("choose the bank's format (the saved column mapping) for a CSV statement",
                                  field="bank_format")
                fmt = stm.load_format(s, bank_format)
                parsed = stm.read_csv(data, fmt)
            else:
                parsed = stm.read_ofx(data)
            prints = stm.fingerprints(parsed)
            known = s.scalars(select(StatementLine).where(StatementLine.fingerprint.in_(prints[:1000]))).all()
            if len(prints) <= 1000 and len(known) == len(set(prints)):
                # the same transactions (another download of the same statement): nothing to add
                return _again(s, s.get(stm.BankStatement, known[0].statement_id), lines_read=len(prints))
            st, new = stm.add_lines(s, actor, parsed, filename=filename, digest=digest,
                                    format_id=fmt.id if fmt else None)
            counts = _match(s, actor, new)
            return StatementImport(stm.statement_view(s, st), True, st.lines_read, st.lines_new, counts.matched,
                                   counts.proposed, counts.reports_confirmed, counts.unmatched)
    except IntegrityError:
        with uow() as s:  # the same statement imported at the same moment: answer with the one that won
            existing = stm.find_statement(s, digest)
            if existing is None:
                raise
            return _again(s, existing)


def _again(s: Session, st, *, lines_read: int | None = None) -> StatementImport:
    return StatementImport(stm.statement_view(s, st), False, lines_read if lines_read is not None else st.lines_read,
                           0, 0, 0, 0, 0)


def run_matching(uow: UnitOfWork, actor: Actor) -> MatchCounts:
    """Staff: match every line still unmatched again (new receipts, deposits or reports since)."""
    require_role(actor, *STAFF)
    with uow() as s:
        lines = list(s.scalars(select(StatementLine).where(StatementLine.state == L.UNMATCHED,
                                                           StatementLine.amount > 0)
                               .order_by(StatementLine.posted_on, StatementLine.id).limit(5000)))
        return _match(s, actor, lines)


def confirm_line(uow: UnitOfWork, actor: Actor, *, line_id: int) -> rec.LineView:
    """Staff: a proposed match is right. A waiting UPI report it holds becomes a receipt."""
    require_role(actor, *STAFF)
    with uow() as s:
        line = rec.load_line(s, line_id, lock=True)
        if line.state != L.PROPOSED:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION if line.state != L.MATCHED else ErrorCode.ALREADY_DONE,
                              f"statement line {line.id} is {line.state}, not proposed", state=line.state)
        if line.payment_report_id:
            r = reports.load_report(s, line.payment_report_id, lock=True)
            if r.state == PaymentReportState.REPORTED:
                receipt = confirm_report_in_session(s, actor, r, received_on=line.posted_on,
                                                    note=f"bank statement line {line.id}")
                line.receipt_id = s.scalar(select(Receipt.id).where(Receipt.number == receipt.number))
            elif r.state == PaymentReportState.CONFIRMED and r.receipt_id:
                line.receipt_id = r.receipt_id  # confirmed by an agent meanwhile: the line holds its receipt
            else:
                raise DomainError(ErrorCode.CONFLICT, f"UPI report {r.id} was {r.state}; unmatch the line or "
                                  "choose another item")
        line.matched_by, line.matched_at = actor.user_id, utcnow()
        move(s, rec.LINE_MOVES, line, L.MATCHED, actor, entity_type="statement_line", note="proposal confirmed")
        s.flush()
        return rec.line_view(s, line)


def match_line(uow: UnitOfWork, actor: Actor, *, line_id: int, item: str) -> rec.LineView:
    """Staff: the line is this item (``receipt:<id>``, ``deposit:<id>``, ``report:<id>``),
    whatever was proposed; the amounts must be equal. A report is confirmed into a receipt."""
    require_role(actor, *STAFF)
    kind, ident = rec.parse_item_key(item)
    with uow() as s:
        line = rec.load_line(s, line_id, lock=True)
        if line.state not in (L.UNMATCHED, L.PROPOSED):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"statement line {line.id} is {line.state}: unmatch it "
                              "first", state=line.state)
        if line.state == L.PROPOSED:
            rec.release(line)  # what was proposed is open again (the line moves straight to matched)
            s.flush()
        found = rec.find_open_item(s, kind, ident)
        if found.amount != line.amount:
            raise invalid(f"the line is {line.amount} and {found.label} is {found.amount}; only equal amounts match",
                          field="item")
        if found.kind == "report" and not _can_confirm(s, found, line.posted_on):
            raise DomainError(ErrorCode.CONFLICT, f"{found.label} cannot become a receipt now (the invoice no "
                              "longer has that much due, or the day is outside the open books)", field="item")
        _apply(s, actor, line, found, rule="manual", target=L.MATCHED)
        s.flush()
        return rec.line_view(s, line)


def unmatch_line(uow: UnitOfWork, actor: Actor, *, line_id: int) -> rec.LineView:
    """Staff: the line is not what it was matched with (or proposed for). A
    receipt already posted for a confirmed UPI report stays posted."""
    require_role(actor, *STAFF)
    with uow() as s:
        line = rec.load_line(s, line_id, lock=True)
        if line.state == L.UNMATCHED:
            raise DomainError(ErrorCode.ALREADY_DONE, f"statement line {line.id} is not matched")
        rec.unlink(s, actor, line, note="unmatched by staff")
        s.flush()
        return rec.line_view(s, line)


@dataclass(frozen=True)
class Reconciliation:
    proposed: list[rec.LineView]
    unmatched_lines: list[rec.LineView]
    matched: list[rec.LineView]  # the most recent
    unmatched_books: list[rec.BookItem]
    books_since: date
    waiting_reports: list[reports.PaymentReportView]
    statements: list[stm.StatementView]
    formats: list[stm.BankFormatView]
    lines_total: int


def reconciliation(uow: UnitOfWork, actor: Actor, *, matched_limit: int = 30) -> Reconciliation:
    """Staff: the reconciliation as it stands (see the module's docstring)."""
    require_role(actor, *STAFF)
    with uow() as s:
        items = rec.open_items(s)

        def lines(state: str, limit: int, newest: bool = False) -> list[rec.LineView]:
            order = (StatementLine.posted_on.desc(), StatementLine.id.desc()) if newest else (
                StatementLine.posted_on, StatementLine.id)
            q = select(StatementLine).where(StatementLine.state == state).order_by(*order).limit(limit)
            return [rec.line_view(s, ln, items) for ln in s.scalars(q)]

        since = rec.books_since(s)
        waiting = [reports.report_view(s, r) for r in s.scalars(
            select(PaymentReport).where(PaymentReport.state == PaymentReportState.REPORTED)
            .order_by(PaymentReport.id).limit(200))]
        return Reconciliation(
            proposed=lines(L.PROPOSED, 200), unmatched_lines=lines(L.UNMATCHED, 200),
            matched=lines(L.MATCHED, max(1, min(matched_limit, 200)), newest=True),
            unmatched_books=rec.unmatched_books(s, since=since), books_since=since, waiting_reports=waiting,
            statements=[stm.statement_view(s, st) for st in s.scalars(
                select(stm.BankStatement).order_by(stm.BankStatement.id.desc()).limit(20))],
            formats=[stm.format_view(f) for f in s.scalars(select(stm.BankFormat).order_by(stm.BankFormat.name))],
            lines_total=s.scalar(select(func.count(StatementLine.id))) or 0,
        )
