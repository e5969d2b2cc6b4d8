"""Two real Rasa processes, each with its own action server, on the
production profile's shared stores (deploy/prodconf.py): Rasa's SQL tracker
store on PostgreSQL and its Redis lock store, and the identity-check miss
count in Redis. One module-wide pair of processes (Rasa takes most of a
minute to start); the SIGKILL test comes last.

What it shows:
- a conversation whose turns alternate between the two processes keeps its
  form and slots (either process carries on from the shared tracker);
- the five-misses limit on a reference holds across the two action servers;
- a Rasa process SIGKILLed in the middle of a turn: the hub's client
  (livechat.rasa.RasaClient, as the hub uses it) gets the answer from the
  other process, and the next message too; Rasa's tracker holds every
  message once, in order.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.tokens import issue_token
from backend.jobs.models import JobState as S
from deploy.prodconf import shared_stores_yaml
from livechat.rasa import TURN_KEY, RasaClient, rendezvous_order
from tests.conftest import _require
from tests.factories import build_world
from tests.support.rasa_stack import MODEL, start_stack, texts
from tests.unit.core.flows import drive_to

pytestmark = [pytest.mark.rasa, pytest.mark.postgres, pytest.mark.redis]
SECRET = "two-rasa-secret"
LOCK_LIFETIME = 5  # seconds (TICKET_LOCK_LIFETIME): how long a killed process's lock holds its conversation


@pytest.fixture(scope="module")
def pair(tmp_path_factory, sqlite_template):
    pg_url = _require("TEST_DATABASE_URL", "PostgreSQL")
    redis_url = _require("TEST_REDIS_URL", "Redis")
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test trains first)")
    folder = tmp_path_factory.mktemp("two-rasa")
    shutil.copy(sqlite_template, folder / "core.sqlite3")
    core_url = f"sqlite:///{folder / 'core.sqlite3'}"  # the core's database, shared by both action servers
    engine = make_engine(core_url)
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)

    tag = uuid.uuid4().hex[:10]
    schema = f"rasa_{tag}"  # Rasa's tracker tables in a schema of their own
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    tracker_url = pg_url.replace("+psycopg", "")  # Rasa's driver is psycopg2
    stores = shared_stores_yaml(tracker_url, redis_url, key_prefix=f"t{tag}")
    env = {"POSTGRESQL_SCHEMA": schema, "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME),
           "IDENTITY_MISS_REDIS_URL": redis_url, "IDENTITY_MISS_PREFIX": f"test-{tag}",
           "ACTION_SERVER_TOKEN": "two-rasa-token"}
    stacks: dict[str, object] = {}
    errors: list[BaseException] = []

    def start(name: str) -> None:
        try:
            stacks[name] = start_stack(folder / name, database_url=core_url, secret_key=SECRET, env=env,
                                       stores_yaml=stores)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        if errors:
            raise errors[0]
        yield stacks["a"], stacks["b"], uow, world
    finally:
        for stack in stacks.values():
            stack.stop()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def login(actor) -> dict:
    return {"token": issue_token(SECRET, actor)}


def user_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


FORM = [  # (what the customer says, what the bot's answer contains)
    ("I want to raise a service request", "Which product"),
    ("washing machine", "serial number"),
    ("WM-CMC-1", "problem"),
    ("The drum does not spin", "technician come"),
    ("1 Elm St, second floor", "When would suit you"),
    ("tomorrow 11am", "Shall I raise the request"),
    ("yes", "Your request number is SR-"),
]


def test_a_form_carries_on_whichever_process_takes_each_turn(pair):
    a, b, _, world = pair
    me, who = f"alternating-{uuid.uuid4().hex[:6]}", login(world.alice)
    for i, (said, expected) in enumerate(FORM):
        this, other = (a, b) if i % 2 == 0 else (b, a)
        reply = texts(this.say(me, said, who))
        assert expected in reply, (i, said, reply)
        seen = other.tracker(me)  # the other process reads the same tracker
        assert user_texts(seen) == [s for s, _ in FORM[: i + 1]]
        if 0 < i < len(FORM) - 1:
            assert seen["active_loop"].get("name") == "service_request_form"
        if i == 4:  # the slots A and B filled, as the other sees them (a submitted form clears them)
            slots = seen["slots"]
            assert slots["product"] and slots["serial_number"] == "WM-CMC-1" and "drum" in slots["problem"]
            assert "Elm St" in slots["site"]


def test_the_identity_miss_limit_is_shared_by_the_two_action_servers(pair):
    a, b, uow, world = pair
    ref = drive_to(uow, world, S.SCHEDULED)

    def miss(bot, me: str, first: bool) -> str:
        if first:
            assert "mobile number or e-mail" in texts(bot.say(me, f"what is the status of {ref}"))
        else:
            bot.say(me, ref)
        return texts(bot.say(me, "bob@example.com"))

    v1, v2, v3 = (f"visitor-{n}-{uuid.uuid4().hex[:6]}" for n in (1, 2, 3))
    assert "don't match" in miss(a, v1, True)       # misses 1, 2, 3 through A's action server
    assert "don't match" in miss(a, v1, False)
    miss(a, v1, False)                              # the chat stops after its third miss
    assert "don't match" in miss(b, v2, True)       # misses 4 and 5 through B's
    assert "don't match" in miss(b, v2, False)
    # A's own process saw three misses; the shared count is five: blocked, even with the right contact
    assert "mobile number or e-mail" in texts(a.say(v3, f"what is the status of {ref}"))
    reply = texts(a.say(v3, "alice@example.com"))
    assert "too many attempts" in reply and "verified" not in reply


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def test_a_rasa_killed_mid_turn_loses_and_doubles_nothing(pair):
    a, b, _, world = pair
    me = next(s for s in (f"killed-{uuid.uuid4().hex[:6]}-{i}" for i in range(100))
              if rendezvous_order(s, [a.url, b.url])[0] == a.url)  # a conversation that prefers A
    who = login(world.alice)
    action_a = a.procs[0]  # A's action server

    async def run() -> None:
        client = RasaClient([a.url, b.url], action_server_url=[a.action_url, b.action_url], timeout_s=60,
                            health_interval_s=0)
        try:
            for said, expected in FORM[:2]:  # two turns on A
                turn = await client.send(me, said, who)
                assert expected in " ".join(u.get("text") or "" for u in turn.utterances)
            # The third turn: A takes it, calls its (frozen) action server and is killed while it waits.
            frozen = [action_a.pid, *descendants(action_a.pid)]  # rasa-sdk serves from a Sanic worker process
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            try:
                task = asyncio.ensure_future(client.send(me, FORM[2][0], who))
                await asyncio.sleep(3)  # A has the message and holds the conversation's lock
                assert not task.done()
                a.kill_rasa()
            finally:
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
            started = time.monotonic()
            turn = await task  # answered by B, after A's lock expired
            assert FORM[2][1] in " ".join(u.get("text") or "" for u in turn.utterances)
            assert time.monotonic() - started < LOCK_LIFETIME + 30
        finally:
            await client.close()
        # The next message, from a hub that does not know A is dead: A refuses, B answers.
        fresh = RasaClient([a.url, b.url], action_server_url=[a.action_url, b.action_url], timeout_s=60,
                           health_interval_s=0)
        try:
            turn = await fresh.send(me, FORM[3][0], who)
            assert FORM[3][1] in " ".join(u.get("text") or "" for u in turn.utterances)
            assert [p.up for p in fresh.processes] == [False, True]
        finally:
            await fresh.close()

    asyncio.run(run())
    tracker = b.tracker(me)
    assert user_texts(tracker) == [s for s, _ in FORM[:4]]  # every message once, in order
    turn_ids = [e["metadata"][TURN_KEY] for e in tracker["events"] if e["event"] == "user"]
    assert len(set(turn_ids)) == 4
    assert tracker["active_loop"].get("name") == "service_request_form"
    assert tracker["slots"]["serial_number"] == "WM-CMC-1"
    bot_said = [e.get("text") or "" for e in tracker["events"] if e["event"] == "bot"]
    assert sum(FORM[2][1] in t for t in bot_said) == 1  # the killed turn answered once
