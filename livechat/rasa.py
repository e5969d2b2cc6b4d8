"""Talking to Rasa over its REST channel, and turning its replies into the
``bot_uttered`` payloads of Rasa's Socket.IO channel (so Rasa web widgets see
exactly what Rasa itself would have sent them)."""

from __future__ import annotations

import asyncio
import logging
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


class RasaClient:
    def __init__(
        self, base_url: str, *, action_server_url: str | None = None, token: str | None = None, timeout_s: float = 15.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.action_server_url = action_server_url.rstrip("/") if action_server_url else None
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(3.0, timeout_s))
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> BotTurn:
        await self.start()
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        try:
            async with self._session.post(
                f"{self.base_url}/webhooks/rest/webhook", json=body, params=self._params()
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {resp.status}")
                replies = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {exc.__class__.__name__}") from exc
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa's answer was not a list of messages")
        if not replies and not await self.action_server_up():
            # Rasa swallows a failed custom action and answers nothing.
            raise RasaUnavailable("the action server is unreachable")
        return convert_replies(replies)

    async def resume(self, sender: str, *, new_session: bool = True) -> None:
        """Un-pause the tracker after an agent closed the chat and, by default,
        start a fresh bot session (slots carried over): the bot's dialogue
        state from before the handoff is stale, and without it a trained bot
        may just listen to the next "hello"."""
        await self.start()
        base = f"{self.base_url}/conversations/{quote(sender, safe='')}"
        await self._post(f"{base}/tracker/events", {"event": "resume"}, "resume")
        if new_session:
            await self._post(f"{base}/execute", {"name": "action_session_start"}, "a new session")

    async def _post(self, url: str, body: dict, what: str) -> None:
        try:
            async with self._session.post(url, json=body, params={**self._params(), "include_events": "NONE"}) as resp:
                if resp.status >= 300:
                    raise RasaUnavailable(f"Rasa answered HTTP {resp.status} to {what}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {exc.__class__.__name__}") from exc

    async def action_server_up(self) -> bool:
        if not self.action_server_url:
            return True
        try:
            async with self._session.get(f"{self.action_server_url}/health",
                                         timeout=aiohttp.ClientTimeout(total=3)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
