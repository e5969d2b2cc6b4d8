"""Talking to Rasa over its REST channel, and turning its replies into the
``bot_uttered`` payloads of Rasa's Socket.IO channel (so Rasa web widgets see
exactly what Rasa itself would have sent them)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger("livechat.rasa")


class RasaUnavailable(Exception):
    """Rasa or its action server did not answer; the customer must not wait on it."""


@dataclass
class BotTurn:
    utterances: list[dict[str, Any]] = field(default_factory=list)  # bot_uttered payloads
    handoff: dict[str, Any] | None = None  # the bot's {"reason", "requested_by"} when it asks for a person


def split_text(text: str) -> list[str]:
    """Rasa's Socket.IO channel sends one message per blank-line-separated part."""
    return [part for part in text.strip().split("\n\n")] or [text]


def convert_reply(reply: dict[str, Any], turn: BotTurn) -> None:
    """One entry of the REST channel's answer → zero or more bot_uttered payloads."""
    text = reply.get("text")
    buttons = reply.get("buttons") or reply.get("quick_replies")
    if text and buttons:
        parts: list[dict[str, Any]] = [{"text": p, "quick_replies": []} for p in split_text(text)]
        parts[-1]["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons
        ]
        turn.utterances.extend(parts)
    elif text:
        turn.utterances.extend({"text": p} for p in split_text(text))
    custom = reply.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
        turn.handoff = custom["handoff"]
    elif custom is not None:
        data = custom.get("data", custom) if isinstance(custom, dict) else custom
        turn.utterances.append(data if isinstance(data, dict) else {"custom": data})
    if reply.get("image"):
        turn.utterances.append({"attachment": {"type": "image", "payload": {"src": reply["image"]}}})
    if reply.get("attachment"):
        turn.utterances.append({"attachment": reply["attachment"]})
    for element in reply.get("elements") or ():
        turn.utterances.append(
            {"attachment": {"type": "template", "payload": {"template_type": "generic", "elements": element}}}
        )


def convert_replies(replies: list[dict[str, Any]]) -> BotTurn:
    turn = BotTurn()
    for reply in replies:
        convert_reply(reply, turn)
    return turn


def rendezvous_order(key: str, urls: Sequence[str]) -> list[str]:
    """``urls`` in the order one conversation prefers them (highest random
    weight first): the same key always ranks them the same way, and taking a
    URL away moves only the conversations that preferred it."""
    def weight(url: str) -> int:
        return int.from_bytes(hashlib.blake2b(f"{url}\n{key}".encode(), digest_size=8).digest(), "big")
    return sorted(urls, key=weight, reverse=True)


def replies_from_tracker(events: list[dict[str, Any]], turn_id: str, sender: str) -> list[dict[str, Any]] | None:
    """The REST channel's answer to the turn ``turn_id`` rebuilt from the
    tracker's events (the bot's utterances after that user message), or None
    when the tracker does not hold that message. Rasa saves a turn's events
    at its end, in one write, so the message is there with its whole answer
    or not at all."""
    start = None
    for i in range(len(events) - 1, -1, -1):
        ev = events[i]
        if ev.get("event") == "user" and (ev.get("metadata") or {}).get(TURN_KEY) == turn_id:
            start = i
            break
    if start is None:
        return None
    replies: list[dict[str, Any]] = []
    for ev in events[start + 1:]:
        if ev.get("event") == "user":
            break
        if ev.get("event") != "bot":
            continue
        reply: dict[str, Any] = {"recipient_id": sender}
        if ev.get("text"):
            reply["text"] = ev["text"]
        data = ev.get("data") or {}
        for key in ("buttons", "quick_replies", "image", "attachment", "custom", "elements"):
            if data.get(key):
                reply[key] = data[key]
        if len(reply) > 1:
            replies.append(reply)
    return replies


# Errors that mean a request never reached the process: nothing was done there.
NOT_REACHED = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
TURN_KEY = "hub_turn"  # in a message's metadata: the hub's id for the turn, seen in Rasa's tracker


@dataclass
class RasaProcess:
    """One Rasa server the hub may send turns to, with what the hub knows of it."""
    url: str
    action_server_url: str | None = None
    up: bool = True
    changed_at: float = 0.0


class _NotReached(Exception):
    """The turn never reached this process (connection refused, unknown host)."""


class _Interrupted(Exception):
    """The turn reached this process, which then failed (dropped connection or
    HTTP 5xx): it may or may not have saved the turn in the shared tracker."""


class RasaClient:
    """Rasa's REST channel over one or several Rasa processes.

    With several (``RASA_URLS``), each conversation goes to the process it
    prefers (rendezvous hashing on the sender id) while that one is up, and
    to the next one in its order when it is not; a health check every
    ``health_interval_s`` (``GET /``) marks each process down or up again, and
    a refused connection marks it down at once. The processes must share
    their tracker store and lock store (``deploy/endpoints.prod.yml``), so any
    of them can carry on any conversation.

    With several processes a turn is sent with an id in its metadata
    (``hub_turn``, kept in the tracker's user event). When a process
    fails *after* it got the turn (its connection drops, or it answers 5xx),
    the next process first reads the shared tracker: if the turn is there,
    its answer is rebuilt from the tracker and nothing is sent again; if not,
    the turn is sent to that process. So a message is in Rasa's transcript
    once, whichever process dies when. A timeout is not retried (the slow
    process may still finish the turn): the hub hands the chat over as when
    Rasa is unreachable.
    """

    def __init__(
        self, base_url: str | Sequence[str], *, action_server_url: str | Sequence[str | None] | None = None,
        token: str | None = None, timeout_s: float = 15.0, health_interval_s: float = 2.0,
    ) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        urls = [u.strip().rstrip("/") for url in urls for u in url.split(",") if u.strip()]
        if not urls:
            raise ValueError("RasaClient needs at least one Rasa URL")
        if action_server_url is None or isinstance(action_server_url, str):
            actions: list[str | None] = [action_server_url] * len(urls)
        else:
            actions = list(action_server_url)
            if len(actions) != len(urls):
                raise ValueError("one action server URL per Rasa URL, or one for all")
        self.processes = [RasaProcess(u, a.rstrip("/") if a else None) for u, a in zip(urls, actions)]
        self._by_url = {p.url: p for p in self.processes}
        self.base_url = urls[0]
        self.action_server_url = self.processes[0].action_server_url
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(3.0, timeout_s))
        self.health_interval_s = health_interval_s
        self._session: aiohttp.ClientSession | None = None
        self._health_task: asyncio.Task | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        if len(self.processes) > 1 and self._health_task is None and self.health_interval_s > 0:
            self._health_task = asyncio.create_task(self._health_loop(), name="rasa-health")

    async def close(self) -> None:
        if self._health_task is not None:
            self._health_task.cancel()
            await asyncio.gather(self._health_task, return_exceptions=True)
            self._health_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    # -- which process ----------------------------------------------------------
    def order(self, sender: str) -> list[RasaProcess]:
        """The processes to try for ``sender``: those up in its preferred
        order, then those marked down (a mark may be stale; a refused
        connection costs little)."""
        ranked = [self._by_url[u] for u in rendezvous_order(sender, list(self._by_url))]
        return [p for p in ranked if p.up] + [p for p in ranked if not p.up]

    def _mark(self, process: RasaProcess, up: bool, why: str = "") -> None:
        if process.up != up:
            process.up = up
            process.changed_at = time.monotonic()
            if up:
                log.info("Rasa at %s is up again", process.url)
            else:
                log.warning("Rasa at %s is down (%s); its conversations go to the others", process.url, why)

    async def check_health(self) -> None:
        """One health check of every process (``GET /``, 3 s at most)."""
        await self.start()

        async def one(process: RasaProcess) -> None:
            try:
                async with self._session.get(f"{process.url}/", timeout=aiohttp.ClientTimeout(total=3)) as resp:
                    ok = resp.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            self._mark(process, ok, "health check failed")

        await asyncio.gather(*(one(p) for p in self.processes))

    async def _health_loop(self) -> None:
        while True:
            try:
                await self.check_health()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the loop die
                log.exception("Rasa health check failed")
            await asyncio.sleep(self.health_interval_s)

    # -- turns ----------------------------------------------------------------------
    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> BotTurn:
        await self.start()
        turn_id = uuid.uuid4().hex
        metadata = dict(metadata or {})
        if len(self.processes) > 1:  # only a retry on another process needs it; one process: as before
            metadata[TURN_KEY] = turn_id
        body = {"sender": sender, "message": message, "metadata": metadata}
        interrupted = False
        last_error = "no Rasa process"
        for process in self.order(sender):
            try:
                if interrupted:  # the previous process may have saved the turn before it failed
                    replies = await self._saved_turn(process, sender, turn_id)
                    if replies is not None:
                        log.info("conversation %s: turn %s was saved before its process failed; answered "
                                 "from the tracker", sender, turn_id)
                        return convert_replies(replies)
                replies = await self._post_turn(process, body)
            except _NotReached as exc:
                self._mark(process, False, str(exc))
                last_error = str(exc)
                continue
            except _Interrupted as exc:
                log.warning("conversation %s: %s; trying the next Rasa process", sender, exc)
                interrupted, last_error = True, str(exc)
                continue
            self._mark(process, True)
            if not replies and not await self.action_server_up(process):
                # Rasa swallows a failed custom action and answers nothing.
                raise RasaUnavailable("the action server is unreachable")
            return convert_replies(replies)
        raise RasaUnavailable(f"Rasa is unreachable: {last_error}")

    async def _post_turn(self, process: RasaProcess, body: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            async with self._session.post(
                f"{process.url}/webhooks/rest/webhook", json=body, params=self._params()
            ) as resp:
                if resp.status >= 500:
                    raise _Interrupted(f"Rasa at {process.url} answered HTTP {resp.status}")
                if resp.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {resp.status}")
                replies = await resp.json(content_type=None)
        except NOT_REACHED as exc:
            raise _NotReached(f"{process.url}: {exc.__class__.__name__}") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            self._mark(process, False, exc.__class__.__name__)
            raise _Interrupted(f"Rasa at {process.url} dropped the turn ({exc.__class__.__name__})") from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {exc.__class__.__name__}") from exc
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa's answer was not a list of messages")
        return replies

    async def _saved_turn(self, process: RasaProcess, sender: str, turn_id: str) -> list[dict[str, Any]] | None:
        """The turn's answer from the shared tracker, read through ``process``;
        None when the tracker does not hold the turn."""
        url = f"{process.url}/conversations/{quote(sender, safe='')}/tracker"
        try:
            async with self._session.get(url, params={**self._params(), "include_events": "ALL"}) as resp:
                if resp.status >= 500:
                    raise _Interrupted(f"Rasa at {process.url} answered HTTP {resp.status} to a tracker read")
                if resp.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {resp.status} to a tracker read")
                tracker = await resp.json(content_type=None)
        except NOT_REACHED as exc:
            raise _NotReached(f"{process.url}: {exc.__class__.__name__}") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            self._mark(process, False, exc.__class__.__name__)
            raise _Interrupted(f"Rasa at {process.url} dropped a tracker read") from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {exc.__class__.__name__}") from exc
        return replies_from_tracker((tracker or {}).get("events") or [], turn_id, sender)

    async def resume(self, sender: str, *, new_session: bool = True) -> None:
        """Un-pause the tracker after an agent closed the chat and, by default,
        start a fresh bot session (slots carried over): the bot's dialogue
        state from before the handoff is stale, and without it a trained bot
        may just listen to the next "hello"."""
        await self.start()
        path = f"/conversations/{quote(sender, safe='')}"
        await self._post(sender, f"{path}/tracker/events", {"event": "resume"}, "resume")
        if new_session:
            await self._post(sender, f"{path}/execute", {"name": "action_session_start"}, "a new session")

    async def _post(self, sender: str, path: str, body: dict, what: str) -> None:
        last_error = "no Rasa process"
        for process in self.order(sender):  # only a refused connection moves on: nothing was done
            try:
                async with self._session.post(f"{process.url}{path}", json=body,
                                              params={**self._params(), "include_events": "NONE"}) as resp:
                    if resp.status >= 300:
                        raise RasaUnavailable(f"Rasa answered HTTP {resp.status} to {what}")
                    return
            except NOT_REACHED as exc:
                self._mark(process, False, exc.__class__.__name__)
                last_error = exc.__class__.__name__
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise RasaUnavailable(f"Rasa is unreachable: {exc.__class__.__name__}") from exc
        raise RasaUnavailable(f"Rasa is unreachable: {last_error}")

    async def action_server_up(self, process: RasaProcess | None = None) -> bool:
        url = (process or self.processes[0]).action_server_url
        if not url:
            return True
        try:
            async with self._session.get(f"{url}/health", timeout=aiohttp.ClientTimeout(total=3)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
