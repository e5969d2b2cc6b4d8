"""Bank reconciliation (issue 14 item 4): a statement with exact, fuzzy and
unmatched lines gives exactly the expected matches; importing it twice changes
nothing; a matched UPI report becomes a confirmed receipt; an agent confirms
or fixes a proposal; OFX through ofxtools; the unreconciled-items report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.banking import payment_reports as reports
from backend.banking import statements as stm
from backend.banking.models import StatementLine
from backend.banking.paylinks import PayLinks
from backend.billing import service as billing
from backend.billing.models import Receipt
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import collections, payments
from backend.processes import reconciliation as recon
from backend.reports.registry import REPORTS
from tests.integration.api.conftest import snapshot
from tests.unit.core.flows import drive_to

LINKS = PayLinks("a-test-secret")
HEADER = "Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance"
PREAMBLE = "Account Name : FIELDSERV FIELD SERVICE\nAccount Number : 00000031234567890\n\n"


def d(days_ago: int) -> date:
    return date.today() - timedelta(days=days_ago)


def row(on: date, text: str, ref: str, *, credit: str = "", debit: str = "") -> str:
    return f"{on:%d/%m/%Y},{on:%d/%m/%Y},{text},{ref},{debit},{credit},"


def save_format(uow, actor) -> stm.BankFormatView:
    return stm.save_bank_format(uow, actor, name="State Bank CSV", date_column="Txn Date", date_format="%d/%m/%Y",
                                credit_column="Credit", debit_column="Debit", reference_column="Ref No./Cheque No.",
                                narration_column="Description", skip_rows=3)


@dataclass
class Books:
    invoices: list[str]
    job_of_report: str
    report_exact: int
    report_fuzzy: int
    receipt_utr: str  # RC- of a bank receipt with a UTR as its reference
    receipt_cheque: str
    receipt_upi_tr: str  # paid through the invoice's QR: the statement carries INV-…-1
    receipt_fuzzy: str
    twins: tuple[str, str]  # two receipts of one amount on one day: a line without a reference fits both
    receipt_not_on_statement: str
    deposit: str
    upi_tr: str


def invoice(uow, world) -> tuple[str, str]:
    ref = drive_to(uow, world, S.BILLED)
    return ref, jobs.get_job(uow, world.agent, job_ref=ref).invoice_number


def receipt(uow, world, number: str, amount: str, method: str, reference: str | None, days_ago: int) -> str:
    return payments.record_receipt(uow, world.agent, invoice_ref=number, amount=amount, method=method,
                                   reference=reference, received_on=d(days_ago)).number


def books(uow, world) -> Books:
    refs = [invoice(uow, world) for _ in range(5)]  # the world has 5 pumps in stock: 5 bills
    numbers = [n for _, n in refs]
    due = billing.get_invoice(uow, world.agent, invoice_ref=numbers[0]).outstanding
    exact = reports.report_payment(uow, token=LINKS.token(numbers[0]), utr="400000000001", amount=str(due),
                                   paid_on=d(6), links=LINKS)
    fuzzy = reports.report_payment(uow, token=LINKS.token(numbers[1]), utr="400000000002", amount="333.00",
                                   paid_on=d(5), links=LINKS)
    utr = receipt(uow, world, numbers[2], "410.00", "upi", "512345678902", 7)
    cheque = receipt(uow, world, numbers[3], "200.00", "cheque", "004512", 6)
    upi_tr = receipt(uow, world, numbers[4], "150.00", "upi", None, 5)
    fuzzy_receipt = receipt(uow, world, numbers[2], "275.00", "bank", None, 4)
    twins = (receipt(uow, world, numbers[1], "120.00", "bank", None, 3),
             receipt(uow, world, numbers[3], "120.00", "bank", None, 3))
    not_on = receipt(uow, world, numbers[3], "90.00", "bank", "NEFT-LATE-1", 1)
    cash = receipt(uow, world, numbers[4], "60.00", "cash", None, 2)  # cash at the office: never in the bank
    del cash
    collected = collections.record_collection(uow, world.tech, job_ref=refs[4][0], amount="500", method="cash",
                                              collected_on=d(6))
    deposit = collections.record_deposit(uow, world.agent, collection_numbers=[collected.number],
                                         slip_reference="SLIP-88123", deposited_on=d(5))
    return Books(numbers, refs[0][0], exact.id, fuzzy.id, utr, cheque, upi_tr, fuzzy_receipt, twins, not_on,
                 deposit.number, f"{numbers[4]}-1")


def statement(b: Books, due: Decimal) -> bytes:
    lines = [
        row(d(5), "UPI/400000000001/ALICE/okicici", "400000000001", credit=f"{due}"),  # exact: the waiting report
        row(d(4), "UPI-ALICE KUMAR-alice@okhdfc", "", credit="333.00"),  # fuzzy: the other report
        row(d(7), "UPI/512345678902/PAYMENT", "512345678902", credit="410.00"),  # exact: a receipt's UTR
        row(d(5), "CHQ DEP CLG 004512 HDFC BANK", "004512", credit="200.00"),  # exact: a cheque
        row(d(4), f"UPI/398765432109/{b.upi_tr}/ravi@oksbi", "", credit="150.00"),  # exact: the QR's ref
        row(d(2), "NEFT CR ALICE", "N123", credit="275.00"),  # fuzzy: the bank receipt two days before
        row(d(5), "BY CASH SLIP-88123 ANDHERI", "SLIP-88123", credit="500.00"),  # exact: the deposit
        row(d(3), "IMPS CR", "", credit="120.00"),  # fits two receipts: unmatched
        row(d(3), "NEFT CR UNKNOWN PAYER", "N999", credit="999.99"),  # nothing in the books
        row(d(3), "SMS CHARGES", "", debit="17.70"),  # a debit: outgoing
    ]
    return (PREAMBLE + HEADER + "\n" + "\n".join(lines) + "\n").encode()


def by_state(uow) -> dict[str, list[tuple[Decimal, str | None, str | None]]]:
    out: dict[str, list] = {}
    with uow() as s:
        for line in s.scalars(select(StatementLine).order_by(StatementLine.id)):
            held = ("report" if line.payment_report_id else "receipt" if line.receipt_id else
                    "deposit" if line.deposit_id else None)
            out.setdefault(line.state, []).append((line.amount, line.rule, held))
    return out


def test_a_statement_of_exact_fuzzy_and_unmatched_lines_gives_exactly_the_expected_matches(uow, world, engine):
    b = books(uow, world)
    due = billing.get_invoice(uow, world.agent, invoice_ref=b.invoices[0]).outstanding
    fmt = save_format(uow, world.agent)
    receipts_before = _count(uow, Receipt)
    result = recon.import_statement(uow, world.agent, filename="sbi-statement.csv", data=statement(b, due),
                                    bank_format=fmt.name)
    assert (result.created, result.lines_read, result.lines_new) == (True, 10, 10)
    assert (result.matched, result.proposed, result.reports_confirmed, result.unmatched) == (5, 2, 1, 2)
    assert by_state(uow) == {
        "matched": [(due, "exact", "report"), (Decimal("410.00"), "exact", "receipt"),
                    (Decimal("200.00"), "exact", "receipt"), (Decimal("150.00"), "exact", "receipt"),
                    (Decimal("500.00"), "exact", "deposit")],
        "proposed": [(Decimal("333.00"), "amount_date", "report"), (Decimal("275.00"), "amount_date", "receipt")],
        "unmatched": [(Decimal("120.00"), None, None), (Decimal("999.99"), None, None)],
        "outgoing": [(Decimal("-17.70"), None, None)],
    }
    # the matched UPI report became a confirmed receipt (the job settled); the proposed one is still waiting
    assert _count(uow, Receipt) == receipts_before + 1
    assert reports.list_payment_reports(uow, world.agent, state="confirmed")[0].id == b.report_exact
    assert [r.id for r in reports.list_payment_reports(uow, world.agent)] == [b.report_fuzzy]
    assert jobs.get_job(uow, world.agent, job_ref=b.job_of_report).state == "settled"
    with uow() as s:
        held = dict(s.execute(select(StatementLine.amount, StatementLine.receipt_id)
                              .where(StatementLine.state == "matched")).all())
        numbers = dict(s.execute(select(Receipt.id, Receipt.number)).all())
    assert numbers[held[Decimal("410.00")]] == b.receipt_utr
    assert numbers[held[Decimal("200.00")]] == b.receipt_cheque
    assert numbers[held[Decimal("150.00")]] == b.receipt_upi_tr

    # both sides of what is not reconciled
    view = recon.reconciliation(uow, world.agent)
    assert [ln.amount for ln in view.unmatched_lines] == [Decimal("120.00"), Decimal("999.99")]
    assert sorted(i.label.split()[0] for i in view.unmatched_books) == sorted(
        [*b.twins, b.receipt_not_on_statement])
    twins_line = view.unmatched_lines[0]
    assert {c.key.split(":")[0] for c in twins_line.choices} == {"receipt"} and len(twins_line.choices) == 2

    # importing the same statement again changes nothing
    before = snapshot(engine)
    again = recon.import_statement(uow, world.agent, filename="sbi-statement.csv", data=statement(b, due),
                                   bank_format=fmt.name)
    assert (again.created, again.lines_new, again.matched) == (False, 0, 0)
    assert snapshot(engine) == before
    # ... and so does the same statement downloaded again with another header (other bytes, same lines)
    other = statement(b, due).replace(b"Account Name : FIELDSERV", b"Account Name : FIELDSERV (re-downloaded)")
    assert recon.import_statement(uow, world.agent, filename="again.csv", data=other,
                                  bank_format=fmt.name).created is False
    assert snapshot(engine) == before


def test_an_agent_confirms_a_proposal_fixes_one_and_unmatches_one(uow, world):
    b = books(uow, world)
    due = billing.get_invoice(uow, world.agent, invoice_ref=b.invoices[0]).outstanding
    fmt = save_format(uow, world.agent)
    recon.import_statement(uow, world.agent, filename="s.csv", data=statement(b, due), bank_format=fmt.name)
    view = recon.reconciliation(uow, world.agent)
    report_line = next(ln for ln in view.proposed if ln.amount == Decimal("333.00"))
    receipts_before = _count(uow, Receipt)
    confirmed = recon.confirm_line(uow, world.agent, line_id=report_line.id)
    assert confirmed.state == "matched" and {h.kind for h in confirmed.held} == {"report", "receipt"}
    assert _count(uow, Receipt) == receipts_before + 1  # the proposed UPI report became a receipt, once
    with pytest.raises(DomainError) as err:
        recon.confirm_line(uow, world.agent, line_id=report_line.id)
    assert err.value.code == ErrorCode.ALREADY_DONE
    assert _count(uow, Receipt) == receipts_before + 1

    # fix: the 120.00 line is the second of the two receipts
    twins_line = next(ln for ln in recon.reconciliation(uow, world.agent).unmatched_lines
                      if ln.amount == Decimal("120.00"))
    with uow() as s:
        second = s.scalar(select(Receipt.id).where(Receipt.number == b.twins[1]))
    fixed = recon.match_line(uow, world.agent, line_id=twins_line.id, item=f"receipt:{second}")
    assert (fixed.state, fixed.rule, [h.id for h in fixed.held]) == ("matched", "manual", [second])
    with pytest.raises(DomainError) as err:  # not the amount of the 999.99 line
        unknown = next(ln for ln in recon.reconciliation(uow, world.agent).unmatched_lines)
        recon.match_line(uow, world.agent, line_id=unknown.id, item=f"receipt:{second}")
    assert err.value.code == ErrorCode.CONFLICT  # already held by the 120.00 line

    # unmatch the proposed bank receipt: it is open again, on the books' side
    neft = next(ln for ln in recon.reconciliation(uow, world.agent).proposed if ln.amount == Decimal("275.00"))
    assert recon.unmatch_line(uow, world.agent, line_id=neft.id).state == "unmatched"
    assert b.receipt_fuzzy in [i.label.split()[0] for i in recon.reconciliation(uow, world.agent).unmatched_books]
    # matching again proposes it again
    assert recon.run_matching(uow, world.agent).proposed == 1


def test_only_staff_reconcile(uow, world):
    fmt = save_format(uow, world.agent)
    for who in (world.alice, world.tech):
        for call in (lambda: recon.reconciliation(uow, who),
                     lambda: recon.import_statement(uow, who, filename="s.csv", data=b"x", bank_format=fmt.name),
                     lambda: stm.list_bank_formats(uow, who),
                     lambda: recon.run_matching(uow, who)):
            with pytest.raises(DomainError) as err:
                call()
            assert err.value.code == ErrorCode.FORBIDDEN


@pytest.mark.parametrize(("data", "field_text"), [
    (PREAMBLE.encode() + b"Date,Amount\n01/12/2026,100\n", "no column 'Txn Date'"),
    (b"Date,Amount\n", "no header row"),
    (PREAMBLE.encode() + HEADER.encode() + b"\n31-31-2026,,x,,,100,\n", "is not a date like %d/%m/%Y"),
    (PREAMBLE.encode() + HEADER.encode() + b"\n01/12/2026,,x,,,ten,\n", "is not an amount"),
    (PREAMBLE.encode() + HEADER.encode() + b"\n", "holds no transactions"),
])
def test_a_file_that_does_not_read_is_refused_and_changes_nothing(uow, world, engine, data, field_text):
    fmt = save_format(uow, world.agent)
    before = snapshot(engine)
    with pytest.raises(DomainError) as err:
        recon.import_statement(uow, world.agent, filename="bad.csv", data=data, bank_format=fmt.name)
    assert err.value.code == ErrorCode.INVALID_INPUT and field_text in err.value.message
    assert snapshot(engine) == before


def test_a_signed_amount_column_and_cr_dr_marks(uow, world):
    fmt = stm.save_bank_format(uow, world.agent, name="ICICI", date_column="Value Date", date_format="%d-%b-%Y",
                               amount_column="Amount", reference_column="Cheque Number",
                               narration_column="Transaction Remarks", delimiter=";")
    data = ("Value Date;Transaction Remarks;Cheque Number;Amount\n"
            "02-Dec-2026;UPI/1/x;;\"1,200.00 Cr\"\n03-Dec-2026;ATM;;(50.00)\n04-Dec-2026;Fee;;25 Dr\n").encode()
    parsed = stm.read_csv(data, fmt)
    assert [(ln.posted_on, ln.amount) for ln in parsed.lines] == [
        (date(2026, 12, 2), Decimal("1200.00")), (date(2026, 12, 3), Decimal("-50.00")),
        (date(2026, 12, 4), Decimal("-25.00"))]


OFX = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>{server}<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>INR<BANKACCTFROM><BANKID>HDFC00001<ACCTID>50100012345678<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>{start}<DTEND>{end}
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>{on}<TRNAMT>410.00<FITID>T0001<REFNUM>512345678902<NAME>UPI-ASHA<MEMO>UPI/512345678902/PAYMENT</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{on}<TRNAMT>-50.00<FITID>T0002<NAME>CHARGES<MEMO>SMS charges</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>{on}<TRNAMT>88.00<FITID>T0003<NAME>NEFT<MEMO>NEFT CR SOMEONE</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>448.00<DTASOF>{end}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def ofx(on: date, server: str = "20261204120000") -> bytes:
    return OFX.format(server=server, start=f"{on - timedelta(days=3):%Y%m%d}", end=f"{on:%Y%m%d}",
                      on=f"{on:%Y%m%d}").encode()


def test_an_ofx_statement_is_read_by_ofxtools_matched_and_not_imported_twice(uow, world, engine):
    _, number = invoice(uow, world)
    rc = receipt(uow, world, number, "410.00", "upi", "512345678902", 3)
    result = recon.import_statement(uow, world.agent, filename="hdfc.ofx", data=ofx(d(2)))
    assert (result.statement.source, result.statement.account, result.lines_new) == ("ofx", "50100012345678", 3)
    assert (result.matched, result.proposed, result.unmatched) == (1, 0, 1)
    matched = recon.reconciliation(uow, world.agent).matched
    assert [h.label.split()[0] for ln in matched for h in ln.held] == [rc]
    before = snapshot(engine)
    # the same statement downloaded again: the server's timestamp differs, the bank's transaction ids do not
    again = recon.import_statement(uow, world.agent, filename="hdfc-2.ofx", data=ofx(d(2), server="20261205090000"))
    assert (again.created, again.lines_new) == (False, 0)
    assert snapshot(engine) == before


def test_a_broken_ofx_file_is_refused(uow, world):
    with pytest.raises(DomainError) as err:
        recon.import_statement(uow, world.agent, filename="x.ofx", data=b"OFXHEADER:100\n<OFX><BANKMSGSRSV1>")
    assert err.value.code == ErrorCode.INVALID_INPUT and err.value.details["field"] == "file"


def test_the_unreconciled_items_report(uow, world):
    b = books(uow, world)
    due = billing.get_invoice(uow, world.agent, invoice_ref=b.invoices[0]).outstanding
    fmt = save_format(uow, world.agent)
    recon.import_statement(uow, world.agent, filename="s.csv", data=statement(b, due), bank_format=fmt.name)
    report = REPORTS["unreconciled"](uow, world.manager, start=d(30), end=date.today())
    sides = sorted((r.side, r.kind, r.amount, r.state) for r in report.rows)
    assert sides == sorted([
        ("bank", "statement_line", Decimal("120.00"), "unmatched"),
        ("bank", "statement_line", Decimal("999.99"), "unmatched"),
        ("bank", "statement_line", Decimal("333.00"), "proposed"),
        ("bank", "statement_line", Decimal("275.00"), "proposed"),
        ("books", "receipt", Decimal("120.00"), "not on a statement"),
        ("books", "receipt", Decimal("120.00"), "not on a statement"),
        ("books", "receipt", Decimal("90.00"), "not on a statement"),
        ("reported", "payment_report", Decimal("333.00"), "reported"),
    ])
    assert report.bank_total == Decimal("1727.99") and report.books_total == Decimal("330.00")
    with pytest.raises(DomainError) as err:
        REPORTS["unreconciled"](uow, world.alice)
    assert err.value.code == ErrorCode.FORBIDDEN


def _count(uow, model) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def _forbidden():
    from backend.banking.payment_reports import PAYMENT_REPORT_MOVES
    from backend.banking.reconcile import LINE_MOVES

    return [(t, a, b) for t in (PAYMENT_REPORT_MOVES, LINE_MOVES) for a in t.states() for b in t.states()
            if not t.can(a, b)]


@pytest.mark.parametrize(("table", "current", "target"), _forbidden(),
                         ids=[f"{t.name}:{a}->{b}" for t, a, b in _forbidden()])
def test_a_move_outside_the_tables_is_refused(table, current, target):
    with pytest.raises(DomainError) as err:
        table.check(current, target)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
