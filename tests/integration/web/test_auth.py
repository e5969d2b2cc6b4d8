"""Login, logout, the session cookie, CSRF, rate limiting, and who may open which page."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

HOMES = {"alice": "/portal/c/", "tech": "/portal/t/", "agent": "/portal/a/", "manager": "/portal/m/",
         "admin": "/portal/x/users"}


def test_each_role_lands_on_its_own_start_page(portal):
    for who, home in HOMES.items():
        c = portal.client()
        c.get("/portal/login")
        r = c.post("/portal/login", {"email": portal.world.emails[who], "password": PASSWORD}, allow_redirects=False)
        assert r.status_code == 303 and r.headers["Location"] == home, who
        page = c.get(home)
        assert page.status_code == 200, (who, page.text[:300])
        assert "Log out" in page.text


def test_the_session_cookie_is_httponly_and_samesite_lax(portal):
    c = portal.client()
    c.get("/portal/login")
    r = c.post("/portal/login", {"email": portal.world.emails["alice"], "password": PASSWORD}, allow_redirects=False)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in the test; PortalConfig(force_secure_cookie) or HTTPS sets it


def test_pages_need_a_login_and_send_you_back_after_it(portal):
    c = portal.client()
    r = c.get("/portal/c/invoices", allow_redirects=False)
    assert r.status_code == 303 and "/portal/login?next=" in r.headers["Location"]
    c.get("/portal/login?next=/portal/c/invoices")
    r = c.post("/portal/login", {"email": portal.world.emails["alice"], "password": PASSWORD,
                                 "next": "/portal/c/invoices"}, allow_redirects=False)
    assert r.headers["Location"] == "/portal/c/invoices"


def test_next_cannot_send_you_to_another_site(portal):
    c = portal.client()
    c.get("/portal/login")
    r = c.post("/portal/login", {"email": portal.world.emails["alice"], "password": PASSWORD,
                                 "next": "//evil.example/x"}, allow_redirects=False)
    assert r.headers["Location"] == "/portal/c/"


def test_a_wrong_password_is_refused_and_keeps_the_email(portal):
    c = portal.client()
    c.get("/portal/login")
    r = c.post("/portal/login", {"email": "alice@example.com", "password": "nope"})
    assert r.status_code == 401
    assert "unauthenticated" in r.text and 'value="alice@example.com"' in r.text


def test_logins_are_rate_limited(portal):
    c = portal.client()
    c.get("/portal/login")
    codes = [c.post("/portal/login", {"email": "bob@example.com", "password": f"wrong{i}"}).status_code
             for i in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = c.post("/portal/login", {"email": "bob@example.com", "password": PASSWORD})
    assert r.status_code == 429 and "rate_limited" in r.text  # even the right password, until the window passes


def test_a_form_without_the_csrf_token_is_refused(portal):
    c = portal.client("alice")
    r = c.post("/portal/c/new", {"want": "question", "problem": "hello"}, csrf=False)
    assert r.status_code == 403 and "forbidden" in r.text
    r = c.post("/portal/c/new", {"want": "question", "problem": "hello", "_csrf": "0" * 64})
    assert r.status_code == 403
    r = c.post("/portal/login", {"email": "alice@example.com", "password": PASSWORD}, csrf=False)
    assert r.status_code == 403  # the login form too


def test_logout_ends_the_session_even_for_a_copied_cookie(portal):
    c = portal.client("alice")
    stolen = dict(c.http.cookies)
    assert c.get("/portal/c/").status_code == 200
    r = c.post("/portal/logout", {}, allow_redirects=False)
    assert r.status_code == 303
    other = portal.client()
    other.http.cookies.update(stolen)
    r = other.get("/portal/c/", allow_redirects=False)
    assert r.status_code == 303 and "/portal/login" in r.headers["Location"]


OTHER_ROLES_PAGES = {
    "alice": ["/portal/t/", "/portal/a/", "/portal/a/kanban", "/portal/m/", "/portal/m/claims", "/portal/x/users"],
    "tech": ["/portal/c/", "/portal/c/invoices", "/portal/a/calendar", "/portal/m/reports", "/portal/x/kb"],
    "agent": ["/portal/c/", "/portal/t/", "/portal/m/", "/portal/m/claims", "/portal/x/users", "/portal/x/kb"],
    "manager": ["/portal/c/", "/portal/t/", "/portal/x/users", "/portal/x/desk", "/portal/x/contract-types"],
    "admin": ["/portal/c/", "/portal/t/", "/portal/a/", "/portal/m/claims"],
}


@pytest.mark.parametrize("who", sorted(OTHER_ROLES_PAGES))
def test_each_role_is_refused_on_other_roles_pages(portal, who):
    c = portal.client(who)
    for path in OTHER_ROLES_PAGES[who]:
        r = c.get(path)
        assert r.status_code == 403, (who, path, r.status_code)
        assert "forbidden" in r.text
    r = c.post({"agent": "/portal/m/claims/lines/1/pass", "manager": "/portal/x/users"}.get(who, "/portal/a/jobs/JB-1/release"),
               {})
    assert r.status_code == 403


def test_behind_tls_the_cookie_is_secure(sqlite_url, tmp_path):
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from backend.db import UnitOfWork, make_engine, make_session_factory
    from backend.settings import Settings
    from backend.web import PortalConfig, create_standalone

    uow = UnitOfWork(make_session_factory(make_engine(sqlite_url)))
    app = create_standalone(Settings(var_dir=tmp_path, database_url=sqlite_url), uow,
                            config=PortalConfig(force_secure_cookie=True))

    async def first_cookie() -> str:
        async with TestClient(TestServer(app)) as client:
            r = await client.get("/portal/login")
            return r.headers["Set-Cookie"]

    cookie = asyncio.run(first_cookie())
    assert "Secure" in cookie and "HttpOnly" in cookie
