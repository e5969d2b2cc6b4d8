"""Against a real Rasa server: replies relayed exactly as Rasa's own Socket.IO
channel would send them, the bot's handoff payload, and resume after close."""

from __future__ import annotations

import json
import urllib.request

import pytest

from backend.identity.tokens import issue_token
from livechat.rasa import convert_replies
from tests.integration.livechat.harness import SECRET, Agent, Customer, eventually, hub_settings, start_hub
from tests.integration.livechat.rasa_server import shared_rasa

pytestmark = [pytest.mark.rasa, pytest.mark.anyio]


@pytest.fixture(scope="module")
def rasa_env(sqlite_template, tmp_path_factory):
    return shared_rasa(sqlite_template, tmp_path_factory.getbasetemp() / "shared-rasa")


@pytest.fixture(scope="module")
def rasa(rasa_env):
    return rasa_env[0]


@pytest.fixture(scope="module")
def rasa_db(rasa_env):
    return rasa_env[1:]


@pytest.fixture
async def rasa_hub(rasa, rasa_db):
    url, uow, _people = rasa_db
    running = await start_hub(hub_settings(url, rasa_url=rasa.url, action_server_url=rasa.action_url,
                                           rasa_timeout_s=30), uow)
    yield running
    await running.stop()


def rest(rasa, path: str, body: dict | None = None) -> object:
    req = urllib.request.Request(rasa.url + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def bot_turns_from_tracker(rasa, sender: str) -> list[dict]:
    """What Rasa answered, rebuilt from its tracker as its REST channel sends it."""
    events = rest(rasa, f"/conversations/{sender}/tracker")["events"]
    replies = []
    for e in events:
        if e.get("event") == "bot":
            data = e.get("data") or {}
            reply = {"text": e.get("text"), **{k: data.get(k) for k in ("buttons", "image", "attachment", "custom",
                                                                          "elements")}}
            replies.append({k: v for k, v in reply.items() if v})
    return replies


async def test_bot_replies_arrive_as_rasas_socket_channel_would_send_them(rasa_hub, rasa):
    c = await Customer(rasa_hub.url).connect()
    await c.say("hello")
    await eventually(lambda: c.bot_texts(), timeout=30, what="the bot's answer")
    await eventually(lambda: bot_turns_from_tracker(rasa, c.session_id), timeout=10, what="the tracker")
    expected = convert_replies(bot_turns_from_tracker(rasa, c.session_id)).utterances
    assert expected, "the bot answers hello"
    await eventually(lambda: len(c.bot_texts()) >= len(expected), timeout=10, what="every part")
    relayed = [{k: v for k, v in d.items() if k != "metadata"} for n, d in c.events if n == "bot_uttered"]
    assert relayed == expected
    for part in relayed:
        for q in part.get("quick_replies", []):
            assert set(q) == {"content_type", "title", "payload"}
    await c.close()


async def test_the_real_bots_handoff_queues_and_an_agent_answers_then_the_bot_resumes(rasa_hub, rasa, rasa_db):
    _url, _uow, people = rasa_db
    asha = await Agent(rasa_hub.url, issue_token(SECRET, people.asha)).connect()
    await asha.ok("set_status", {"status": "available"})
    c = await Customer(rasa_hub.url).connect()
    await c.say("I want to talk to a human agent")
    state = await c.seen_state("queued", timeout=30)
    assert state["reason"]  # the bot's own reason, e.g. "asked" or "customer_request"
    cid = state["conversation_id"]  # this chat's (a chat another test left queued may be assigned first)
    await asha.wait_event("assigned", lambda d: d["conversation"]["id"] == cid, timeout=30)
    tracker = rest(rasa, f"/conversations/{c.session_id}/tracker")
    if not tracker.get("paused"):  # the tiny bot has no custom action to pause itself
        rest(rasa, f"/conversations/{c.session_id}/tracker/events", {"event": "pause"})
    await asha.ok("accept", {"conversation_id": cid})
    await asha.ok("send", {"conversation_id": cid, "text": "Hello, this is Asha."})
    await c.wait_text("this is Asha", sender="agent")
    await asha.ok("close", {"conversation_id": cid, "note": "answered"})
    await c.wait_state("closed")
    await eventually(lambda: not rest(rasa, f"/conversations/{c.session_id}/tracker").get("paused"),
                     timeout=15, what="the tracker resumed")
    before = len(c.bot_texts("bot"))
    await c.say("hello")
    await eventually(lambda: len(c.bot_texts("bot")) > before, timeout=30, what="the bot answering again")
    await c.close()
    await asha.close()
