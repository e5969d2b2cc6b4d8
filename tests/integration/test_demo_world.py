"""`make run` loads the demo world once; it must load cleanly on both databases."""

from sqlalchemy import func, select

from backend import demo
from backend.identity import service as identity
from backend.jobs.models import Job
from backend.ledger.models import LedgerEntry


def test_the_demo_world_loads_once_and_its_logins_work(any_uow):
    logins = demo.load(any_uow)
    assert {l.role for l in logins} == {"admin", "manager", "agent", "technician", "customer"}
    assert demo.load(any_uow) == []  # the second run of `make run` loads nothing
    for login in logins:
        actor = identity.authenticate(any_uow, email=login.email, password=demo.DEMO_PASSWORD)
        assert actor.role == login.role
    with any_uow() as s:
        assert s.scalar(select(func.count(Job.id))) >= 4
        debit, credit = s.execute(select(func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))).one()
    assert debit == credit and debit > 0


def test_the_demo_banks_formats_read_their_statement_exports(any_uow):
    """The two saved CSV mappings read a statement in the shape those banks export."""
    from datetime import date

    from backend.processes import reconciliation
    from backend.processes.payments import record_receipt

    demo.load(any_uow)
    agent = identity.authenticate(any_uow, email="agent@fieldserv.test", password=demo.DEMO_PASSWORD)
    from backend.billing.service import list_invoices

    inv = next(i for i in list_invoices(any_uow, agent) if i.state == "open")
    record_receipt(any_uow, agent, invoice_ref=inv.number, amount="100.00", method="upi", reference="433512345678",
                   received_on=date.today())
    today = date.today()
    hdfc = ("Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
            f"{today:%d/%m/%y},UPI-ASHA-433512345678,433512345678,{today:%d/%m/%y},,100.00,5100.00\n"
            f"{today:%d/%m/%y},NEFT-RENT,N1234,{today:%d/%m/%y},2000.00,,3100.00\n")
    sbi = ("Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\n"
           f"{today:%d %b %Y},{today:%d %b %Y},BY CLG CHQ,CHQ 000123,,250.00,3350.00\n")
    first = reconciliation.import_statement(any_uow, agent, filename="hdfc.csv", data=hdfc.encode(),
                                            bank_format="HDFC Bank (CSV)")
    second = reconciliation.import_statement(any_uow, agent, filename="sbi.csv", data=sbi.encode(),
                                             bank_format="SBI (CSV)")
    assert (first.lines_read, first.matched, second.lines_read) == (2, 1, 1)
