"""The portal's proposal pages: an agent turns a closed ticket into a proposed
article and proposes a change; the curator compares, rejects with a note and
publishes; customers, technicians and agents are kept out of what is not theirs."""

from __future__ import annotations

import re

import pytest

from backend.intake import service as intake
from backend.knowledge import service as kb
from tests.integration.web.served import serve

FILTER = "Switch the AC off. Slide the filters out and wash them in lukewarm water."


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal


def _closed_ticket(portal) -> str:
    w = portal.world
    req = intake.raise_request(portal.uow, w.alice, want="question", problem="How often should I descale the washer?")
    intake.answer_ticket(portal.uow, w.agent, ticket_ref=req.ticket_number,
                         answer="Every three months, with citric acid.")
    intake.close_ticket(portal.uow, w.agent, ticket_ref=req.ticket_number)
    return req.ticket_number


def test_an_agent_proposes_a_closed_tickets_answer_and_the_curator_publishes_it(portal):
    ticket = _closed_ticket(portal)
    agent = portal.client("agent")
    home = agent.get("/portal/a/kb")
    assert home.status_code == 200 and 'href="/portal/a/kb"' in home.text  # in the agent's menu
    link = f"/portal/a/kb/propose?ticket={ticket}"
    assert f'href="{link}"' in home.text
    form = agent.get(link)
    assert form.status_code == 200 and "Every three months, with citric acid." in form.text
    body = re.search(r'<textarea id="f-body" name="body"[^>]*>(.*?)</textarea>', form.text, re.S).group(1)
    sent = agent.post("/portal/a/kb/propose", {"title": "Descaling a washing machine",
                                               "body": body.replace("&#39;", "'"),
                                               "tags": "washer", "language": "en", "note": "", "article_id": "",
                                               "ticket": ticket, "action": "propose"})
    assert sent.status_code == 200 and "sent to the curator" in sent.text
    proposal = re.search(r"/portal/a/kb/proposals/(\d+)", sent.url).group(1)
    assert "<ins>+ Every three months, with citric acid.</ins>" in sent.text
    assert agent.get("/portal/kb/descaling-a-washing-machine").status_code == 404  # not even staff see it yet
    assert portal.client().get("/portal/kb/descaling-a-washing-machine").status_code == 404
    assert agent.get("/portal/x/kb/proposals").status_code == 403  # deciding is the curator's
    assert agent.post(f"/portal/x/kb/proposals/{proposal}", {"action": "publish"}).status_code == 403

    admin = portal.client("admin")
    queue = admin.get("/portal/x/kb/proposals")
    assert queue.status_code == 200 and "Descaling a washing machine" in queue.text and ticket in queue.text
    page = admin.get(f"/portal/x/kb/proposals/{proposal}")
    assert page.status_code == 200 and "A new article" in page.text and "citric acid" in page.text
    no_note = admin.post(f"/portal/x/kb/proposals/{proposal}", {"action": "reject", "note": ""})
    assert no_note.status_code == 400 and 'id="err-note"' in no_note.text
    done = admin.post(f"/portal/x/kb/proposals/{proposal}", {"action": "publish", "note": "Good one"})
    assert done.status_code == 200 and f"Proposal #{proposal} published" in done.text
    public = portal.client().get("/portal/kb/descaling-a-washing-machine")
    assert public.status_code == 200 and "citric acid" in public.text
    mine = agent.get("/portal/a/kb")
    assert "published" in mine.text and "Good one" in mine.text


def test_a_proposed_change_is_compared_and_rejected_with_a_note(portal):
    w = portal.world
    article = kb.create_article(portal.uow, w.admin, slug="ac-filter", title="Cleaning the AC filter", body=FILTER,
                                publish=True)
    agent = portal.client("agent")
    form = agent.get(f"/portal/a/kb/propose?article={article.id}")
    assert form.status_code == 200 and "Propose a change to" in form.text and FILTER in form.text
    sent = agent.post("/portal/a/kb/propose", {"title": article.title, "body": FILTER + "\n\nDry them in the shade.",
                                               "tags": "", "language": "en", "note": "asked often",
                                               "article_id": str(article.id), "ticket": "", "action": "propose"})
    proposal = re.search(r"/portal/a/kb/proposals/(\d+)", sent.url).group(1)
    admin = portal.client("admin")
    page = admin.get(f"/portal/x/kb/proposals/{proposal}")
    assert "<ins>+ Dry them in the shade.</ins>" in page.text and "asked often" in page.text
    done = admin.post(f"/portal/x/kb/proposals/{proposal}", {"action": "reject", "note": "Already in the manual"})
    assert done.status_code == 200 and "declined" in done.text
    assert "Dry them" not in portal.client().get("/portal/kb/ac-filter").text
    assert "Already in the manual" in agent.get(f"/portal/a/kb/proposals/{proposal}").text


@pytest.mark.parametrize("who", ["alice", "tech"])
def test_customers_and_technicians_cannot_propose(portal, who):
    c = portal.client(who)
    assert c.get("/portal/a/kb").status_code == 403
    assert c.get("/portal/a/kb/propose").status_code == 403
    r = c.post("/portal/a/kb/propose", {"title": "My tip", "body": "Hit it.", "action": "propose"})
    assert r.status_code == 403 and "forbidden" in r.text
    assert portal.client("admin").get("/portal/x/kb/proposals").text.count("My tip") == 0
