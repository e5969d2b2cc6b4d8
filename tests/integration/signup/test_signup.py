"""Self sign-up in the portal, end to end on SQLite and PostgreSQL: the form,
the customer and login it makes, the confirmation mail as the development
mail server receives it from the real dispatcher, the link that confirms and
logs in (once, and not after it expires), and each refusal with its code and
nothing changed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.customers import service as customers
from backend.customers.models import Customer
from backend.db import utcnow
from backend.identity.account_links import AccountLinks
from backend.identity.models import User
from backend.models import metadata
from backend.notifications.models import Notification
from tests.factories import PASSWORD

from .conftest import SECRET

CONFIRM = "Confirm your e-mail address"
NEW_PASSWORD = "a-new-pass-42"


def snapshot(uow) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a refusal wrote nothing."""
    out = {}
    with uow() as s:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(map(str, row)) for row in s.execute(select(table).order_by(*order))]
    return out


def _sign_up(c, **fields):
    form = {"name": "Meera Iyer", "mobile": "98765 43210", "email": "meera@example.com",
            "password": "meera-pass-1", "password_again": "meera-pass-1", **fields}
    c.get("/portal/signup")
    return c.post("/portal/signup", form)


def _user(uow, email: str) -> User | None:
    with uow() as s:
        user = s.scalar(select(User).where(User.email == email))
        if user is not None:
            s.expunge(user)
        return user


def _log_in(c, email: str, password: str):
    c.get("/portal/login")
    return c.post("/portal/login", {"email": email, "password": password})


def test_sign_up_confirm_by_the_mailed_link_then_log_in(site):
    c = site.client()
    login = c.get("/portal/login")
    assert 'href="/portal/signup"' in login.text and "Create an account" in login.text
    page = _sign_up(c)
    assert page.status_code == 200 and "Check your mailbox" in page.text and "meera@example.com" in page.text

    user = _user(site.uow, "meera@example.com")
    with site.uow() as s:
        customer = s.get(Customer, user.customer_id)
        assert (customer.name, customer.phone, customer.email) == ("Meera Iyer", "+919876543210", "meera@example.com")
    assert (user.role, user.name, user.email_verified_at) == ("customer", "Meera Iyer", None)

    refused = _log_in(site.client(), "meera@example.com", "meera-pass-1")
    assert refused.status_code == 401 and "confirm your e-mail address first" in refused.text

    site.deliver()
    [mail] = site.mails("meera@example.com", CONFIRM)
    assert "Dear Meera Iyer" in mail.text and "meera@example.com" in mail.text
    link = mail.link("/portal/signup/confirm/")
    assert link.startswith(site.url + "/portal/signup/confirm/")

    browser = site.client()
    landed = browser.get(link)
    assert landed.url.startswith(site.url + "/portal/c/?done=")
    assert "Your e-mail address is confirmed" in landed.text
    assert "Log out" in landed.text and "Meera Iyer" in landed.text
    assert _user(site.uow, "meera@example.com").email_verified_at is not None

    later = _log_in(site.client(), "meera@example.com", "meera-pass-1")
    assert later.status_code == 200 and later.url == site.url + "/portal/c/"

    before = snapshot(site.uow)
    again = site.client().get(link)
    assert again.status_code == 409 and "already_done" in again.text and "already used" in again.text
    assert "Log out" not in again.text  # a used link logs no one in
    assert snapshot(site.uow) == before


def test_an_expired_or_forged_confirmation_link_is_refused_and_changes_nothing(site):
    _sign_up(site.client())
    user = _user(site.uow, "meera@example.com")
    before = snapshot(site.uow)
    links = AccountLinks(SECRET)
    expired = links.verify_token(user.id, user.email, at=utcnow() - timedelta(hours=49))
    r = site.client().get(f"/portal/signup/confirm/{expired}")
    assert r.status_code == 401 and "unauthenticated" in r.text and "expired" in r.text
    forged = AccountLinks("another-secret").verify_token(user.id, user.email)
    r = site.client().get(f"/portal/signup/confirm/{forged}")
    assert r.status_code == 401 and "not valid" in r.text
    assert snapshot(site.uow) == before
    assert _log_in(site.client(), "meera@example.com", "meera-pass-1").status_code == 401
    fresh = links.verify_token(user.id, user.email, at=utcnow() - timedelta(hours=47))  # still within 48 hours
    assert site.client().get(f"/portal/signup/confirm/{fresh}").url.startswith(site.url + "/portal/c/?done=")


def test_an_address_with_an_account_is_refused_without_telling_more(site):
    before = snapshot(site.uow)
    r = _sign_up(site.client(), email="Alice@Example.com")
    assert r.status_code == 409 and "duplicate" in r.text
    assert "an account with this e-mail already exists — sign in or reset your password" in r.text
    assert 'value="Meera Iyer"' in r.text  # the form keeps what was typed
    assert snapshot(site.uow) == before


def test_a_mobile_number_on_file_is_refused_without_naming_whose_it_is(site):
    carol = customers.create_customer(site.uow, site.world.agent, name="Carol Dsouza", mobile="+91 98765 43210")
    before = snapshot(site.uow)
    r = _sign_up(site.client(), mobile="098765-43210")
    assert r.status_code == 409 and "duplicate" in r.text
    assert "an account with this mobile number already exists" in r.text
    assert "Carol" not in r.text and carol.code not in r.text
    assert snapshot(site.uow) == before


def test_a_bad_password_or_mobile_is_refused_next_to_its_field(site):
    before = snapshot(site.uow)
    r = _sign_up(site.client(), password="short", password_again="short")
    assert r.status_code == 400 and 'id="err-password"' in r.text and "at least 8 characters" in r.text
    r = _sign_up(site.client(), password_again="something-else")
    assert r.status_code == 400 and 'id="err-password_again"' in r.text
    r = _sign_up(site.client(), mobile="12")
    assert r.status_code == 400 and 'id="err-mobile"' in r.text and "invalid_input" in r.text
    r = _sign_up(site.client(), email="meera.example.com")
    assert r.status_code == 400 and 'id="err-email"' in r.text
    assert snapshot(site.uow) == before


def test_signing_up_again_before_confirming_sends_a_new_link(site):
    _sign_up(site.client())
    again = _sign_up(site.client())
    assert again.status_code == 200 and "waiting for its e-mail confirmation" in again.text
    with site.uow() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.email == "meera@example.com")) == 1
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.email == "meera@example.com")) == 1
    site.deliver()
    first, second = site.mails("meera@example.com", CONFIRM)
    link = second.link("/portal/signup/confirm/")
    assert site.client().get(link).url.startswith(site.url + "/portal/c/?done=")


def test_a_customer_on_file_with_the_address_gets_the_login(site):
    dan = customers.create_customer(site.uow, site.world.agent, name="Dan Kapoor", email="dan@example.com",
                                    mobile="+91 91234 56789")
    r = _sign_up(site.client(), name="Dan K", email="dan@example.com", mobile="91234 56789")
    assert r.status_code == 200
    assert _user(site.uow, "dan@example.com").customer_id == dan.id
    with site.uow() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 3  # Alice, Bob, Dan: no second Dan


def test_sign_ups_are_rate_limited_per_address(site):
    c = site.client()
    codes = [_sign_up(c, email=f"visitor{i}@example.com", password="short", password_again="short").status_code
             for i in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429
    before = snapshot(site.uow)
    r = _sign_up(c)
    assert r.status_code == 429 and "rate_limited" in r.text
    assert snapshot(site.uow) == before


# --- forgot password ------------------------------------------------------------------------------

def test_password_reset_through_the_mailed_link_ends_the_old_sessions(site):
    old = site.client()
    _log_in(old, "alice@example.com", PASSWORD)
    assert old.get("/portal/c/").status_code == 200

    c = site.client()
    assert 'href="/portal/password/forgot"' in c.get("/portal/login").text
    c.get("/portal/password/forgot")
    asked = c.post("/portal/password/forgot", {"email": "alice@example.com"})
    assert asked.status_code == 200 and "If an account exists for alice@example.com" in asked.text
    site.deliver()
    [mail] = site.mails("alice@example.com", "Reset your password")
    link = mail.link("/portal/password/reset/")

    form = c.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.text and "alice@example.com" in form.text
    path = link[len(site.url):]
    differ = c.post(path, {"password": NEW_PASSWORD, "password_again": "not-the-same"})
    assert differ.status_code == 400 and 'id="err-password_again"' in differ.text
    short = c.post(path, {"password": "short", "password_again": "short"})
    assert short.status_code == 400 and 'id="err-password"' in short.text
    done = c.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 200 and "Your password is changed" in done.text

    ended = old.get("/portal/c/", allow_redirects=False)
    assert ended.status_code == 303 and "/portal/login" in ended.headers["Location"]  # the old session is over
    assert _log_in(site.client(), "alice@example.com", PASSWORD).status_code == 401
    assert _log_in(site.client(), "alice@example.com", NEW_PASSWORD).status_code == 200

    before = snapshot(site.uow)
    used = site.client().get(link)
    assert used.status_code == 409 and "already_done" in used.text and "already used" in used.text
    r = site.client().post(path, {"password": "third-pass-33", "password_again": "third-pass-33"})
    assert r.status_code == 409  # the used link, posted to
    assert snapshot(site.uow) == before


def test_an_expired_reset_link_is_refused(site):
    user = _user(site.uow, "alice@example.com")
    token = AccountLinks(SECRET).reset_token(user.id, user.password_hash, at=utcnow() - timedelta(minutes=61))
    before = snapshot(site.uow)
    r = site.client().get(f"/portal/password/reset/{token}")
    assert r.status_code == 401 and "expired" in r.text and 'href="/portal/password/forgot"' in r.text
    c = site.client()
    c.get("/portal/password/forgot")
    r = c.post(f"/portal/password/reset/{token}", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert r.status_code == 401
    assert snapshot(site.uow) == before


def test_a_reset_request_does_not_tell_which_addresses_have_an_account(site):
    c = site.client()
    c.get("/portal/password/forgot")
    known = c.post("/portal/password/forgot", {"email": "bob@example.com"})
    unknown = c.post("/portal/password/forgot", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("bob@example.com", "X") == unknown.text.replace("nobody@example.com", "X")
    with site.uow() as s:
        events = [n.event for n in s.scalars(select(Notification).order_by(Notification.id))]
    assert events == ["password_reset"]  # for bob only
    site.deliver()
    assert len(site.mails("bob@example.com", "Reset your password")) == 1
    assert site.mails("nobody@example.com") == []


def test_an_unconfirmed_account_is_confirmed_by_a_password_reset(site):
    _sign_up(site.client())
    c = site.client()
    c.get("/portal/password/forgot")
    c.post("/portal/password/forgot", {"email": "meera@example.com"})
    site.deliver()
    [mail] = site.mails("meera@example.com", "Reset your password")
    path = mail.link("/portal/password/reset/")[len(site.url):]
    c.get(path)
    c.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert _log_in(site.client(), "meera@example.com", NEW_PASSWORD).status_code == 200
