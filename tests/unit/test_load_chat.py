"""bench/load_chat.py counts turns, conversations, handoffs and percentiles
right: a short run against a fake hub (python-socketio on aiohttp, the hub's
protocol: session_request → session_confirm, user_uttered acked with the
message's seq, then bot_uttered with a later seq) and a fake REST channel."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
from pathlib import Path

import socketio
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("load_chat", ROOT / "bench" / "load_chat.py")
load_chat = importlib.util.module_from_spec(spec)
sys.modules["load_chat"] = load_chat  # dataclasses look their module up there
spec.loader.exec_module(load_chat)

DELAY = 0.02  # the fake bot's answer time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_app(seen: dict) -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    seqs: dict[str, int] = {}

    @sio.on("session_request")
    async def session_request(sid, data):
        seen["tokens"].add((data.get("customData") or {}).get("token"))
        seqs[sid] = 0
        await sio.emit("session_confirm", f"s-{sid}", to=sid)
        # a stale answer of an earlier conversation: not an answer to the next turn
        await sio.emit("bot_uttered", {"text": "old", "metadata": {"sender": "bot", "seq": 0}}, to=sid)

    @sio.on("user_uttered")
    async def user_uttered(sid, data):
        seqs[sid] += 1
        seq = seqs[sid]
        seen["texts"].append(data["message"])

        async def answer():
            await asyncio.sleep(DELAY)
            for _ in range(2):  # two utterances, like a form's question after its acknowledgement
                seqs[sid] += 1
                await sio.emit("bot_uttered", {"text": "ok", "metadata": {"sender": "bot", "seq": seqs[sid]}}, to=sid)

        asyncio.get_running_loop().create_task(answer())
        return {"seq": seq, "message_id": seq, "duplicate": False, "state": "bot"}

    async def rest(request):
        body = await request.json()
        seen["rest"].append(body["sender"])
        await asyncio.sleep(DELAY)
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    app.router.add_post("/webhooks/rest/webhook", rest)
    return app


async def run(path: str, **kw) -> tuple[dict, dict]:
    seen = {"tokens": set(), "texts": [], "rest": []}
    runner = web.AppRunner(fake_app(seen))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    customers = [load_chat.Customer("t1", "JB-1"), load_chat.Customer("t2", "JB-2")]
    try:
        row = await load_chat.run_level(path, 3, customers, url=url, rasa_urls=[url], warmup=0, timeout=5, **kw)
    finally:
        await runner.cleanup()
    return row, seen


def test_percentiles_are_nearest_rank():
    values = list(range(100, 0, -1))  # 1..100, unsorted
    assert (load_chat.pct(values, 50), load_chat.pct(values, 95), load_chat.pct(values, 99)) == (50, 95, 99)
    assert load_chat.pct([7.0], 99) == 7.0


def test_hub_run_counts_turns_and_stops_at_the_count():
    row, seen = asyncio.run(run("hub", duration=20, max_turns=25, handoff_every=2))
    assert row["errors"] == {}
    assert row["turns"] == 25 == sum(k["turns"] for k in row["by_kind"].values())
    assert len(seen["texts"]) <= 25 + 3  # at most one turn in flight per conversation past the count
    assert DELAY * 1000 <= row["p50"] <= row["p95"] <= row["p99"] < 1000
    assert row["turns_per_s"] > 0 and row["conversations"] >= 3
    # conversations 2, 4, … ask for a person after the status check (3 turns), the others run the whole mix
    assert row["handoffs"] >= 1 and "handoff" in row["by_kind"]
    assert seen["tokens"] == {"t1", "t2"}
    assert seen["texts"].count("hello") == row["conversations"]
    assert "what is the status of JB-1" in seen["texts"] and "what is the status of JB-2" in seen["texts"]


def test_rest_floor_is_bounded_in_time():
    row, seen = asyncio.run(run("rest", duration=0.6, max_turns=10_000))
    assert row["errors"] == {}
    assert 3 <= row["turns"] <= len(seen["rest"]) <= row["turns"] + 3  # the last turns in flight are not counted
    assert row["window_s"] < 1.5
    assert row["p50"] >= DELAY * 1000


def test_think_time_paces_each_customer():
    # pauses of 0.5·0.4–1.5·0.4 s before every message but the first: in 0.6 s each of the
    # 3 customers sends at most 1 + 0.6 / 0.2 messages (closed loop: dozens)
    row, seen = asyncio.run(run("rest", duration=0.6, max_turns=10_000, think=0.4))
    assert row["errors"] == {}
    assert 3 <= row["turns"] <= len(seen["rest"]) <= 3 * 4
