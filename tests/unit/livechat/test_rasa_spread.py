"""The hub's Rasa client over several Rasa processes, without Rasa: scripted
stand-ins for Rasa's REST channel that share one "tracker store" (a dict), as
real Rasa processes share PostgreSQL. What it shows: one conversation keeps
to one process while that is up; a process that refuses, drops a turn or
answers 5xx is passed over, and the turn lands once in the shared transcript
whether or not the failed process saved it; a timeout is not retried; a
process that comes back takes its conversations back after a health check."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter, defaultdict

import pytest
from aiohttp import web

from livechat.rasa import TURN_KEY, RasaClient, RasaUnavailable, rendezvous_order, replies_from_tracker

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SharedTracker(dict):
    """sender → events, as the SQL tracker store keeps them."""

    def users(self, sender: str) -> list[str]:
        return [e["text"] for e in self.get(sender, []) if e["event"] == "user"]


class FakeRasaProcess:
    """One Rasa process. ``mode``: ``ok``; ``drop_after_save`` (saves the
    turn, then dies before answering); ``drop_before_save``; ``error`` (HTTP
    500, nothing saved); ``slow`` (answers after ``delay``)."""

    def __init__(self, name: str, tracker: SharedTracker) -> None:
        self.name, self.tracker = name, tracker
        self.mode, self.delay = "ok", 0.0
        self.turns: list[str] = []  # sender of each turn this process received
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runner: web.AppRunner | None = None

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        sender, text = body["sender"], body["message"]
        self.turns.append(sender)
        if self.mode == "error":
            return web.Response(status=500)
        if self.mode == "drop_before_save":
            request.transport.close()
            await asyncio.sleep(0.05)
            return web.Response()
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        answer = f"{self.name} heard: {text}"
        self.tracker.setdefault(sender, []).extend([
            {"event": "user", "text": text, "metadata": body.get("metadata") or {}},
            {"event": "action", "name": "utter_echo"},
            {"event": "bot", "text": answer, "data": {"buttons": [{"title": "More", "payload": "/more"}]}},
        ])
        if self.mode == "drop_after_save":
            request.transport.close()
            await asyncio.sleep(0.05)
            return web.Response()
        return web.json_response([{"recipient_id": sender, "text": answer,
                                   "buttons": [{"title": "More", "payload": "/more"}]}])

    async def tracker_get(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.tracker.get(sender, [])})

    async def root(self, _request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: fake")

    async def start(self) -> "FakeRasaProcess":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        app.router.add_get("/conversations/{sender}/tracker", self.tracker_get)
        app.router.add_get("/", self.root)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def two():
    tracker = SharedTracker()
    a = await FakeRasaProcess("A", tracker).start()
    b = await FakeRasaProcess("B", tracker).start()
    client = RasaClient([a.url, b.url], timeout_s=2, health_interval_s=0)  # health checks by hand
    await client.start()
    yield a, b, client, tracker
    await client.close()
    await a.stop()
    await b.stop()


def owner(client: RasaClient, sender: str, a: FakeRasaProcess, b: FakeRasaProcess) -> tuple:
    first = rendezvous_order(sender, [a.url, b.url])[0]
    return (a, b) if first == a.url else (b, a)


def test_rendezvous_order_is_stable_and_moves_only_the_removed_urls_conversations():
    urls = [f"http://rasa-{i}:5005" for i in range(3)]
    senders = [f"conv-{i}" for i in range(600)]
    first = {s: rendezvous_order(s, urls)[0] for s in senders}
    assert first == {s: rendezvous_order(s, list(reversed(urls)))[0] for s in senders}  # order of the list is moot
    share = Counter(first.values())
    assert all(150 < n < 250 for n in share.values()), share  # spread about evenly
    without = {s: rendezvous_order(s, urls[:2])[0] for s in senders}
    moved = [s for s in senders if without[s] != first[s]]
    assert moved and all(first[s] == urls[2] for s in moved)  # only the removed process's conversations move


def test_a_turns_answer_is_rebuilt_from_the_tracker_events_after_its_message():
    events = [
        {"event": "user", "text": "hi", "metadata": {TURN_KEY: "t1"}},
        {"event": "bot", "text": "Hello!"},
        {"event": "user", "text": "status", "metadata": {TURN_KEY: "t2"}},
        {"event": "action", "name": "action_status"},
        {"event": "bot", "text": "JB-1 is open.", "data": {"buttons": [{"title": "Ok", "payload": "/affirm"}]}},
        {"event": "bot", "data": {"custom": {"handoff": {"reason": "asked"}}}},
        {"event": "action", "name": "action_listen"},
    ]
    assert replies_from_tracker(events, "t2", "s") == [
        {"recipient_id": "s", "text": "JB-1 is open.", "buttons": [{"title": "Ok", "payload": "/affirm"}]},
        {"recipient_id": "s", "custom": {"handoff": {"reason": "asked"}}},
    ]
    assert replies_from_tracker(events, "t1", "s") == [{"recipient_id": "s", "text": "Hello!"}]
    assert replies_from_tracker(events, "t3", "s") is None


async def test_each_conversation_keeps_to_one_process_and_they_are_spread(two):
    a, b, client, tracker = two
    for round_ in range(3):
        for i in range(20):
            await client.send(f"conv-{i}", f"turn {round_}")
    by_a, by_b = Counter(a.turns), Counter(b.turns)
    assert not set(by_a) & set(by_b)  # no conversation went to both
    assert len(by_a) >= 3 and len(by_b) >= 3  # both processes got conversations
    assert all(n == 3 for n in (by_a + by_b).values())
    turn_ids = [e["metadata"][TURN_KEY] for events in tracker.values() for e in events if e["event"] == "user"]
    assert len(set(turn_ids)) == 60  # each turn carries its own id into the tracker


async def test_a_process_that_is_down_is_passed_over_and_takes_its_conversations_back_when_up(two):
    a, b, client, tracker = two
    sender = next(s for s in (f"c{i}" for i in range(100)) if owner(client, s, a, b)[0] is a)
    turn = await client.send(sender, "one")
    assert turn.utterances[0]["text"] == "A heard: one"
    await a.stop()  # connection refused from now on
    turn = await client.send(sender, "two")
    assert turn.utterances[0]["text"] == "B heard: two"
    assert [p.up for p in client.processes] == [False, True]  # marked down at once
    await client.send(sender, "three")
    await a.start()  # same port
    await client.check_health()
    assert all(p.up for p in client.processes)
    turn = await client.send(sender, "four")
    assert turn.utterances[0]["text"] == "A heard: four"
    assert tracker.users(sender) == ["one", "two", "three", "four"]  # nothing lost, nothing twice


async def test_a_turn_saved_by_a_process_that_then_died_is_answered_from_the_tracker_not_run_again(two):
    a, b, client, tracker = two
    sender = next(s for s in (f"c{i}" for i in range(100)) if owner(client, s, a, b)[0] is a)
    await client.send(sender, "hello")
    a.mode = "drop_after_save"
    turn = await client.send(sender, "status please")
    assert turn.utterances == [{"text": "A heard: status please",
                                "quick_replies": [{"content_type": "text", "title": "More", "payload": "/more"}]}]
    assert tracker.users(sender) == ["hello", "status please"]  # once
    assert b.turns == []  # B only read the tracker


async def test_a_turn_dropped_before_it_was_saved_is_run_once_on_the_next_process(two):
    a, b, client, tracker = two
    sender = next(s for s in (f"c{i}" for i in range(100)) if owner(client, s, a, b)[0] is a)
    a.mode = "drop_before_save"
    turn = await client.send(sender, "hi")
    assert turn.utterances[0]["text"] == "B heard: hi"
    assert tracker.users(sender) == ["hi"]
    assert b.turns == [sender]


async def test_a_5xx_moves_the_turn_on_and_every_process_failing_is_rasa_unavailable(two):
    a, b, client, tracker = two
    sender = next(s for s in (f"c{i}" for i in range(100)) if owner(client, s, a, b)[0] is a)
    a.mode = "error"
    turn = await client.send(sender, "hi")
    assert turn.utterances[0]["text"] == "B heard: hi"
    b.mode = "error"
    with pytest.raises(RasaUnavailable):
        await client.send(sender, "again")
    assert tracker.users(sender) == ["hi"]


async def test_a_timeout_is_not_retried_elsewhere(two):
    a, b, client, tracker = two
    sender = next(s for s in (f"c{i}" for i in range(100)) if owner(client, s, a, b)[0] is a)
    a.mode, a.delay = "slow", 3.0  # the client's timeout is 2 s
    with pytest.raises(RasaUnavailable):
        await client.send(sender, "slow one")
    assert b.turns == []  # the slow process may still finish it: sending it again could run it twice
    await asyncio.sleep(1.2)
    assert tracker.users(sender) == ["slow one"]


async def test_every_process_down_is_rasa_unavailable_and_the_health_loop_marks_them_up():
    tracker = SharedTracker()
    a, b = FakeRasaProcess("A", tracker), FakeRasaProcess("B", tracker)
    client = RasaClient([a.url, b.url], timeout_s=2, health_interval_s=0.1)
    try:
        with pytest.raises(RasaUnavailable):
            await client.send("x", "hi")
        assert not any(p.up for p in client.processes)
        await a.start()
        await b.start()
        for _ in range(50):
            if all(p.up for p in client.processes):
                break
            await asyncio.sleep(0.05)
        assert all(p.up for p in client.processes)
        assert (await client.send("x", "hi")).utterances
    finally:
        await client.close()
        await a.stop()
        await b.stop()


def test_settings_read_a_list_of_rasa_urls_and_their_action_servers():
    from livechat.settings import HubSettings

    one = HubSettings.from_env({"RASA_URL": "http://r:5005/"})
    assert one.rasa_processes() == (["http://r:5005"], ["http://127.0.0.1:5055"])
    two = HubSettings.from_env({"RASA_URLS": "http://r1:5005, http://r2:5005",
                                "ACTION_SERVER_URLS": "http://a1:5055,http://a2:5055"})
    assert two.rasa_processes() == (["http://r1:5005", "http://r2:5005"], ["http://a1:5055", "http://a2:5055"])
    shared = HubSettings.from_env({"RASA_URLS": "http://r1:5005,http://r2:5005", "ACTION_SERVER_URL": ""})
    assert shared.rasa_processes() == (["http://r1:5005", "http://r2:5005"], [None, None])
    with pytest.raises(ValueError):
        HubSettings.from_env({"RASA_URLS": "http://r1:5005,http://r2:5005",
                              "ACTION_SERVER_URLS": "http://a1:5055"}).rasa_processes()


async def test_one_url_behaves_as_before():
    tracker = SharedTracker()
    a = await FakeRasaProcess("A", tracker).start()
    client = RasaClient(a.url, timeout_s=2)
    try:
        await client.start()
        assert client._health_task is None  # no health loop for a single process
        assert (await client.send("s", "hi")).utterances[0]["text"] == "A heard: hi"
        assert tracker["s"][0]["metadata"] == {}  # no turn id: nothing to retry on
    finally:
        await client.close()
        await a.stop()
