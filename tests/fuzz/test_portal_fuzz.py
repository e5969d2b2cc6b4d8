"""Property-based fuzzing of the portal's forms, through the real served portal.

The form definitions are the pages themselves: as each role, the portal is
crawled from its home page (links under /portal/, GET only) and every
``<form method="post">`` found is recorded with its fields (inputs, textareas,
selects; hidden ones such as ``_csrf`` and the idempotency ``key`` kept).
Each form is then posted with hypothesis values in its visible fields:
unicode, control characters (NUL included), very long text, empty strings,
numbers and dates as text, and the page's own value.

Every answer must be below 500. A refusal (4xx) must show a page with an
error (``role="alert"`` and a stable code) and leave every table as it was;
anything else is a redirect (303) or a page (200). Bounds: FUZZ_EXAMPLES and
FUZZ_BUDGET (see conftest).
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from backend.db import make_engine
from tests.factories import NOCOVER_SERIAL
from tests.integration.web.served import Client, Portal, serve

from .conftest import BUDGET, EXAMPLES, STABLE_CODES, Guard, Tally, books_problems

ROLES = {"customer": "alice", "technician": "tech", "agent": "agent", "manager": "manager", "admin": "admin"}
ALERT = re.compile(r'role="alert"><code>([^<]*)</code>')
MAX_PAGES = 60  # pages crawled per role
SKIP_ACTIONS = re.compile(r"/logout$|/login$")  # the session itself is not under test here


@dataclass(frozen=True)
class Form:
    action: str
    fields: tuple[tuple[str, str, str], ...]  # (name, kind, value the page gave)
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    multipart: bool = False

    @property
    def shape(self) -> tuple:
        """Forms with the same route pattern and fields are fuzzed once."""
        return (re.sub(r"[A-Z]{2}-\d+|/\d+(?=/|$)", "<ref>", self.action), tuple(f[0] for f in self.fields))


class Page(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base, self.links, self.forms = base, [], []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": urljoin(self.base, a.get("action") or self.base), "fields": [], "options": {},
                          "multipart": "multipart" in (a.get("enctype") or "")}
        elif self._form is not None and tag in ("input", "button") and a.get("name"):
            kind = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                kind = kind + "-off"
            self._form["fields"].append((a["name"], kind, a.get("value") or ""))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].append((a["name"], "select", ""))
            self._form["options"][a["name"]] = []
        elif self._form is not None and tag == "option" and self._select:
            self._form["options"][self._select].append(a.get("value") or "")
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"].append((a["name"], "textarea", ""))

    def handle_endtag(self, tag) -> None:
        if tag == "form" and self._form is not None:
            f = self._form
            seen: dict[str, tuple[str, str, str]] = {}
            for name, kind, value in f["fields"]:
                seen.setdefault(name, (name, kind, value))
            self.forms.append(Form(f["action"], tuple(seen.values()),
                                   tuple((k, tuple(v)) for k, v in f["options"].items()), f["multipart"]))
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def crawl(client: Client, start: str) -> list[Form]:
    queue, seen, forms = [start], set(), {}
    host = urlparse(client.base).netloc
    while queue and len(seen) < MAX_PAGES:
        link = queue.pop(0).split("#")[0]
        u = urlparse(link)
        if u.netloc != host or not u.path.startswith("/portal/") or link in seen:
            continue
        if re.search(r"/logout|\.pdf$|/download|/files/|/attachments/", u.path):
            continue
        seen.add(link)
        r = client.get(link)
        if r.status_code != 200 or not r.headers.get("Content-Type", "").startswith("text/html"):
            continue
        page = Page(r.url)
        page.feed(r.text)
        queue += [lk for lk in page.links if lk not in seen]
        for form in page.forms:
            if not SKIP_ACTIONS.search(urlparse(form.action).path):
                forms.setdefault(form.shape, form)
    return list(forms.values())


# Values a person (or a script) might type into any field.
NASTY = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=5),  # control characters, NUL
    st.builds(lambda n, c: c * n, st.sampled_from([256, 1001, 5000]), st.sampled_from(["x", "é", "9", " "])),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.sampled_from(["0", "-1", "1e309", "NaN", "0.001", "9999-12-31", "0001-01-01", "2024-02-30", "25:99",
                     "00:00", "1" * 30, " 1 ", "١٢٣", "JB-000001", "<script>alert(1)</script>", "'; DROP TABLE jobs;--"]),
)


def values_for(form: Form) -> st.SearchStrategy[dict[str, str]]:
    options = dict(form.options)
    parts: dict[str, st.SearchStrategy[str]] = {}
    for name, kind, value in form.fields:
        if name == "_csrf" or kind == "file":
            continue
        if kind == "hidden":
            parts[name] = st.just(str(uuid.uuid4())) if name == "key" else st.one_of(st.just(value), NASTY)
        elif kind == "select":
            parts[name] = st.one_of(st.sampled_from(list(options.get(name) or [""])), NASTY)
        elif kind in ("submit", "checkbox", "radio"):
            parts[name] = st.just(value)
        elif kind.endswith("-off"):
            parts[name] = st.sampled_from([value, ""])
        else:
            parts[name] = st.one_of(st.just(value), NASTY)
    return st.fixed_dictionaries(parts)


@dataclass
class Fuzz:
    portal: Portal
    guard: Guard
    tally: Tally
    clients: dict[str, Client] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def client(self, role: str) -> Client:
        if role not in self.clients:
            self.clients[role] = self.portal.client(ROLES[role])
        return self.clients[role]

    def post(self, role: str, form: Form, data: dict[str, str]) -> None:
        c = self.client(role)
        self.guard.before()
        files = {"_none": ("", b"")} if form.multipart else None
        r = c.post(form.action, data, allow_redirects=False, files=files)
        status = r.status_code
        found = ALERT.search(r.text) if 400 <= status < 500 else None
        code = found.group(1) if found else ""
        self.tally.count("portal", role, status, code)
        problem = None
        if status >= 500:
            problem = f"server error {status}"
        elif 400 <= status < 500:
            if code not in STABLE_CODES:
                problem = f"refused {status} without a stable code on the page ({code!r})"
            changed = self.guard.changed_by_refusal()
            if changed:
                problem = f"refused ({status} {code}) but changed {changed}"
        elif status not in (200, 303):
            problem = f"unexpected status {status}"
        if problem:
            shown = {k: (v[:60] + f"...({len(v)})" if len(v) > 60 else v) for k, v in data.items()}
            self.failures.append(f"{role}: POST {urlparse(form.action).path}: {problem}\n    {shown!r}")


@pytest.fixture(scope="module")
def fuzz(sqlite_template, tmp_path_factory, tally) -> Iterator[Fuzz]:
    tmp = tmp_path_factory.mktemp("fuzz-portal")
    path = tmp / "portal.sqlite3"
    shutil.copy(sqlite_template, path)
    served, portal = serve(f"sqlite:///{path}", tmp)
    with served:
        portal.url = served.base_url
        alice = portal.client("alice")
        for want, problem in [("service", "It stopped working"), ("contract", "AMC please"),
                              ("order", "Mount it"), ("repair", "No picture"), ("question", "How do I clean it?")]:
            r = alice.post("/portal/c/new", {"want": want, "serial": NOCOVER_SERIAL, "problem": problem})
            assert r.status_code == 200, r.text[:300]
        guard = Guard(path)
        yield Fuzz(portal, guard, tally)
        guard.close()
    make_engine(f"sqlite:///{path}").dispose()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_form(role: str, fuzz: Fuzz) -> None:
    client = fuzz.client(role)
    forms = crawl(client, client.get("/portal/").url)
    assert forms, f"no form found as {role}"
    fuzz.tally.forms[role] = len(forms)
    per_form = BUDGET / len(forms)
    before = len(fuzz.failures)
    for form in forms:
        deadline = time.monotonic() + per_form

        @given(data=values_for(form))
        @settings(max_examples=EXAMPLES * 8, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def run(data) -> None:
            if time.monotonic() > deadline:
                return
            fuzz.post(role, form, data)

        run()
    assert fuzz.failures[before:] == [], "\n".join(fuzz.failures[before:])


def test_books_balance_after_the_run(fuzz: Fuzz) -> None:
    assert books_problems(fuzz.portal.uow) == []
