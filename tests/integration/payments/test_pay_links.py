"""Paying an invoice without staff help (issue 14 item 1): the signed,
expiring payment link, its page (nothing else of the customer on it), the
customer's "I have paid" report, and an agent confirming it into a receipt
exactly once or rejecting it with the customer told why."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from backend.banking import paylinks
from backend.banking import payment_reports as reports
from backend.banking.models import PaymentReport
from backend.banking.paylinks import PayLinks
from backend.billing import service as billing
from backend.billing.models import Receipt
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import payment_reports as confirming
from tests.integration.api.conftest import snapshot
from tests.support.delivery import told
from tests.unit.core.flows import drive_to

LINKS = PayLinks("a-test-secret", "https://portal.example.test/portal")
UTR = "412345678901"


def billed(uow, world) -> tuple[str, str, Decimal]:
    ref = drive_to(uow, world, S.BILLED)
    inv = billing.get_invoice(uow, world.agent, invoice_ref=jobs.get_job(uow, world.agent, job_ref=ref).invoice_number)
    return ref, inv.number, inv.outstanding


def token_of(url: str) -> str:
    return url.rsplit("/pay/", 1)[1]


def signed_days_ago(number: str, days: int, links: PayLinks = LINKS) -> str:
    """A real token for ``number``, signed ``days`` ago (the reader keeps its 30 days)."""
    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * 24 * 3600

    return URLSafeTimedSerializer(links.secret, salt=paylinks.SALT, signer=Then).dumps({"inv": number})


def receipts(uow) -> int:
    with uow() as s:
        return s.scalar(select(func.count(Receipt.id)))


# --- the link ------------------------------------------------------------------------------------

def test_the_link_names_its_invoice_and_lasts_thirty_days(uow, world):
    _, number, due = billed(uow, world)
    url = paylinks.pay_link(number, links=LINKS)
    assert url.startswith("https://portal.example.test/portal/pay/")
    assert paylinks.read_pay_token(token_of(url), links=LINKS) == number
    assert LINKS.read(signed_days_ago(number, 29)) == number
    with pytest.raises(DomainError) as err:
        LINKS.read(signed_days_ago(number, 31))
    assert err.value.code == ErrorCode.UNAUTHENTICATED and err.value.details["reason"] == "expired"
    assert "Log in to the portal" in err.value.message  # how to get a new one


@pytest.mark.parametrize("bad", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature altered
    lambda t: t[: len(t) // 2],  # cut short
    lambda t: "",  # nothing
    lambda t: PayLinks("another-secret").token("INV-000001"),  # signed with another key
    lambda t: URLSafeTimedSerializer(LINKS.secret, salt="fieldserv-token").dumps({"inv": "INV-000001"}),  # a login token's salt
])
def test_an_altered_or_foreign_token_is_refused(uow, world, bad):
    _, number, _ = billed(uow, world)
    with pytest.raises(DomainError) as err:
        paylinks.pay_page(uow, token=bad(LINKS.token(number)), links=LINKS)
    assert err.value.code == ErrorCode.UNAUTHENTICATED and err.value.details["reason"] == "invalid"


def test_a_token_for_one_invoice_shows_that_invoice_only(uow, world):
    _, first, _ = billed(uow, world)
    _, second, _ = billed(uow, world)
    page = paylinks.pay_page(uow, token=LINKS.token(second), links=LINKS)
    assert page.invoice_number == second
    # the body of a signed token cannot be changed to name the other invoice
    token = LINKS.token(second)
    payload, rest = token.split(".", 1)
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps({"inv": first}).encode()).rstrip(b"=").decode() + "." + rest
    with pytest.raises(DomainError) as err:
        paylinks.pay_page(uow, token=forged, links=LINKS)
    assert err.value.details["reason"] == "invalid"


def test_the_page_shows_the_invoice_figures_and_nothing_else_of_the_customer(uow, world):
    _, number, due = billed(uow, world)
    page = paylinks.pay_page(uow, token=LINKS.token(number), links=LINKS)
    assert (page.invoice_number, page.amount_due, page.paid, page.state) == (number, due, Decimal("0.00"), "open")
    assert page.upi_url.startswith("upi://pay?") and f"am={due:.2f}" in page.upi_url and f"tn={number}" in page.upi_url
    shown = repr(page)
    for private in ("Alice", "alice@example.com", "Elm St", "+1 555 0100", "customer_id"):
        assert private not in shown
    png = paylinks.pay_qr_png(uow, token=LINKS.token(number), links=LINKS)
    assert png.startswith(b"\x89PNG")


def test_payment_instructions_for_the_chat_are_the_customers_own(uow, world):
    _, number, due = billed(uow, world)
    url, qr, amount, upi = paylinks.payment_instructions(uow, world.alice, invoice_ref=number, links=LINKS)
    assert url.startswith(LINKS.base_url + "/pay/") and qr == url + "/qr.png" and amount == due
    assert upi.startswith("upi://pay?pa=")
    assert LINKS.read(token_of(url)) == number
    for stranger in (world.bob, world.tech):
        with pytest.raises(DomainError) as err:
            paylinks.payment_instructions(uow, stranger, invoice_ref=number, links=LINKS)
        assert err.value.code == ErrorCode.NOT_FOUND
    assert paylinks.payment_instructions(uow, world.agent, invoice_ref=number, links=LINKS).amount_due == due


# --- "I have paid" ---------------------------------------------------------------------------------

def test_a_report_posts_nothing_until_an_agent_confirms_it_once(uow, world):
    ref, number, due = billed(uow, world)
    before = receipts(uow)
    report = reports.report_payment(uow, token=LINKS.token(number), utr="4123 4567 8901", amount=str(due),
                                    links=LINKS)
    assert (report.state, report.utr, report.amount, report.created) == ("reported", UTR, due, True)
    assert receipts(uow) == before
    assert billing.get_invoice(uow, world.agent, invoice_ref=number).outstanding == due
    assert "payment_reported" in told(uow, world.alice)
    # the same report sent again is the same report
    again = reports.report_payment(uow, token=LINKS.token(number), utr=UTR, amount=str(due), links=LINKS)
    assert (again.id, again.created) == (report.id, False)

    done = confirming.confirm_payment_report(uow, world.agent, report_id=report.id)
    assert done.report.state == "confirmed" and done.receipt.invoice_outstanding == 0
    with uow() as s:
        receipt = s.scalar(select(Receipt).where(Receipt.number == done.receipt.number))
        assert (receipt.method, receipt.reference, receipt.amount) == ("upi", UTR, due)
    assert jobs.get_job(uow, world.agent, job_ref=ref).state == "settled"
    assert "payment_received" in told(uow, world.alice)

    with pytest.raises(DomainError) as err:
        confirming.confirm_payment_report(uow, world.agent, report_id=report.id)
    assert err.value.code == ErrorCode.ALREADY_DONE
    assert receipts(uow) == before + 1
    with uow() as s:
        moves = s.execute(select(StateChange.from_state, StateChange.to_state, StateChange.actor_role)
                          .where(StateChange.entity_type == "payment_report").order_by(StateChange.id)).all()
    assert [tuple(m) for m in moves] == [(None, "reported", "customer"), ("reported", "confirmed", "agent")]


@pytest.mark.parametrize(("utr", "amount", "code", "field"), [
    ("12345", "10", ErrorCode.INVALID_INPUT, "utr"),
    ("ABCDEFGHIJKL", "10", ErrorCode.INVALID_INPUT, "utr"),
    (UTR, "0", ErrorCode.INVALID_INPUT, "amount"),
    (UTR, "999999", ErrorCode.OVERPAYMENT, None),
])
def test_a_bad_report_is_refused_and_changes_nothing(uow, world, engine, utr, amount, code, field):
    _, number, _ = billed(uow, world)
    before = snapshot(engine)
    with pytest.raises(DomainError) as err:
        reports.report_payment(uow, token=LINKS.token(number), utr=utr, amount=amount, links=LINKS)
    assert err.value.code == code and err.value.details.get("field") == field
    assert snapshot(engine) == before


def test_a_utr_reported_for_another_payment_is_a_duplicate(uow, world):
    _, first, _ = billed(uow, world)
    _, second, _ = billed(uow, world)
    reports.report_payment(uow, token=LINKS.token(first), utr=UTR, amount="100", links=LINKS)
    for token, amount in ((LINKS.token(second), "100"), (LINKS.token(first), "101")):
        with pytest.raises(DomainError) as err:
            reports.report_payment(uow, token=token, utr=UTR, amount=amount, links=LINKS)
        assert err.value.code == ErrorCode.DUPLICATE
    with uow() as s:
        assert s.scalar(select(func.count(PaymentReport.id))) == 1


def test_reports_beyond_what_is_due_are_refused(uow, world):
    _, number, due = billed(uow, world)
    half = (due / 2).quantize(Decimal("0.01"))
    reports.report_payment(uow, token=LINKS.token(number), utr="111111111111", amount=str(half), links=LINKS)
    with pytest.raises(DomainError) as err:
        reports.report_payment(uow, token=LINKS.token(number), utr="222222222222", amount=str(due), links=LINKS)
    assert err.value.code == ErrorCode.OVERPAYMENT and "already reported" in err.value.message


def test_an_expired_link_reports_nothing(uow, world):
    _, number, _ = billed(uow, world)
    with pytest.raises(DomainError) as err:
        reports.report_payment(uow, token=signed_days_ago(number, 40), utr=UTR, amount="10", links=LINKS)
    assert err.value.details["reason"] == "expired"
    with uow() as s:
        assert s.scalar(select(func.count(PaymentReport.id))) == 0


def test_a_rejected_report_tells_the_customer_why_and_posts_nothing(uow, world):
    _, number, due = billed(uow, world)
    before = receipts(uow)
    report = reports.report_payment(uow, token=LINKS.token(number), utr=UTR, amount=str(due), links=LINKS)
    with pytest.raises(DomainError) as err:
        reports.reject_payment_report(uow, world.alice, report_id=report.id, reason="no")
    assert err.value.code == ErrorCode.FORBIDDEN
    view = reports.reject_payment_report(uow, world.agent, report_id=report.id,
                                         reason="no credit with this UTR reached our bank")
    assert view.state == "rejected"
    assert told(uow, world.alice)[-1] == "payment_report_rejected"
    from backend.notifications.inbox import inbox

    latest = inbox(uow, world.alice, limit=1)[0]
    assert "no credit with this UTR reached our bank" in latest.text and UTR in latest.text
    assert receipts(uow) == before
    with pytest.raises(DomainError) as err:
        confirming.confirm_payment_report(uow, world.agent, report_id=report.id)
    assert err.value.code == ErrorCode.ALREADY_DONE
    page = paylinks.pay_page(uow, token=LINKS.token(number), links=LINKS)
    assert [(r.state, r.reason) for r in page.reports] == [("rejected", "no credit with this UTR reached our bank")]
    assert page.reports[0].utr.endswith(UTR[-4:]) and UTR not in page.reports[0].utr


def test_only_staff_see_and_confirm_reports(uow, world):
    _, number, due = billed(uow, world)
    report = reports.report_payment(uow, token=LINKS.token(number), utr=UTR, amount=str(due), links=LINKS)
    for who in (world.alice, world.tech):
        for call in (lambda: reports.list_payment_reports(uow, who),
                     lambda: confirming.confirm_payment_report(uow, who, report_id=report.id)):
            with pytest.raises(DomainError) as err:
                call()
            assert err.value.code == ErrorCode.FORBIDDEN
    assert [r.utr for r in reports.list_payment_reports(uow, world.agent)] == [UTR]


def test_a_paid_invoices_page_says_so_and_offers_no_code(uow, world):
    _, number, due = billed(uow, world)
    from backend.processes import payments

    payments.record_receipt(uow, world.agent, invoice_ref=number, amount=due, method="cash")
    page = paylinks.pay_page(uow, token=LINKS.token(number), links=LINKS)
    assert (page.state, page.amount_due, page.upi_url) == ("paid", Decimal("0.00"), None)
    with pytest.raises(DomainError) as err:
        paylinks.payment_instructions(uow, world.alice, invoice_ref=number, links=LINKS)
    assert err.value.code == ErrorCode.ALREADY_DONE
    with pytest.raises(DomainError) as err:
        reports.report_payment(uow, token=LINKS.token(number), utr=UTR, amount="1", links=LINKS)
    assert err.value.code == ErrorCode.ALREADY_DONE

