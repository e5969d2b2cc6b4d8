"""The hub's drain on SIGTERM / SIGINT (``python -m livechat``) or any
graceful stop of its aiohttp runner.

aiohttp first stops listening (no new connections), then runs the
application's ``on_shutdown`` hooks while the open sockets are still up;
this is one of them:

1. from now on every socket event answers ``{"ok": false, "error": {"code":
   "shutting_down"}}`` on its acknowledgement, and a new Socket.IO connection
   is refused;
2. the events already being handled (a message on its way to the database)
   and the bot turns they started finish, for at most ``HUB_DRAIN_S``
   seconds (5);
3. every connected widget and console gets a ``server_draining`` event (a
   hint: ``{"code": "shutting_down", "reconnect": true}``), then its
   websocket is closed after what was queued for it, without an Engine.IO
   ``close`` packet or a Socket.IO ``disconnect`` (either tells a client
   not to reconnect): to the client it is a dropped transport, which
   Socket.IO clients, the widget included, answer by reconnecting with
   backoff; the widget resends its unacknowledged messages then (each stored
   once, by ``client_id``).

After that aiohttp has no open handler to wait for, so the process exits
within about a second of the drain.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import socketio
from aiohttp import web

log = logging.getLogger("livechat.drain")

SHUTTING_DOWN = "shutting_down"
HINT_EVENT = "server_draining"


class Drain:
    def __init__(self, sio: socketio.AsyncServer, hub: Any, *, bound_s: float | None = None) -> None:
        self.sio = sio
        self.hub = hub
        self.bound_s = float(os.environ.get("HUB_DRAIN_S", "5")) if bound_s is None else bound_s
        self.draining = False
        self.in_flight = 0
        self.refused = 0

    def refusal(self) -> dict[str, Any]:
        return {"ok": False, "error": {"code": SHUTTING_DOWN,
                                       "message": "the chat server is restarting; reconnect in a moment",
                                       "details": {"reconnect": True}}}

    def watch(self, namespace: socketio.AsyncNamespace) -> None:
        """Count the namespace's events in flight; refuse new ones while draining."""
        inner = namespace.trigger_event

        async def trigger_event(event: str, *args: Any) -> Any:
            if event == "disconnect":
                return await inner(event, *args)
            if self.draining:
                self.refused += 1
                return False if event == "connect" else self.refusal()
            self.in_flight += 1
            try:
                return await inner(event, *args)
            finally:
                self.in_flight -= 1

        namespace.trigger_event = trigger_event

    def _busy(self) -> tuple[int, int]:
        tasks = getattr(self.hub, "_tasks", ()) if self.hub is not None else ()
        return self.in_flight, sum(1 for t in tasks if not t.done())

    async def on_shutdown(self, _app: web.Application) -> None:
        await self.drain()

    async def drain(self) -> None:
        if self.draining:
            return
        self.draining = True
        started = time.monotonic()
        eio_sockets = list(self.sio.eio.sockets.values())
        events, turns = self._busy()
        log.info("draining: %d connections, %d events and %d bot turns in flight (at most %.0f s)",
                 len(eio_sockets), events, turns, self.bound_s)
        deadline = started + self.bound_s
        while any(self._busy()) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # the acknowledgements of the last events go out first
        left = self._busy()
        if any(left):
            log.warning("drain bound reached: %d events and %d bot turns still in flight are dropped", *left)
        for ns in list(self.sio.namespace_handlers):
            try:
                await asyncio.wait_for(self.sio.emit(HINT_EVENT, {"code": SHUTTING_DOWN, "reconnect": True},
                                                     namespace=ns), 1)
            except Exception:  # a hint only; the close below is what counts
                log.debug("could not send the drain hint on %s", ns, exc_info=True)
        # End each connection's writer after what is queued (the acknowledgements
        # and the hint): it closes the websocket without an Engine.IO ``close``
        # packet, so the clients see a dropped transport and reconnect (a
        # ``close`` packet or a Socket.IO ``disconnect`` would tell them not to).
        sockets = list(self.sio.eio.sockets.values())
        for sock in sockets:
            await sock.queue.put(None)
        deadline = time.monotonic() + 2
        while self.sio.eio.sockets and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for sock in list(self.sio.eio.sockets.values()):  # stragglers (a polling client, say)
            await sock.close(wait=False, abort=True)
        closes = sockets
        log.info("drained in %.2f s: %d connections closed (clients reconnect), %d events refused",
                 time.monotonic() - started, len(closes), self.refused)
