"""The customers' (and technicians') socket, speaking Rasa's Socket.IO channel
protocol: ``session_request {session_id}`` → ``session_confirm``,
``user_uttered {message, session_id, customData}`` → ``bot_uttered``.

Additions a stock Rasa widget can ignore: ``last_seq`` in session_request
(replay what the client missed), ``client_id`` in user_uttered (retries are
stored once), and the events ``user_message``, ``handoff_state``, ``typing``,
``business_hours``, ``chat_error``; ``typing``, ``end_chat`` and
``leave_message`` from the client.

Limits that answer instead of dropping the socket: the engine accepts frames
up to ``ENGINE_FRAME_LIMIT`` (far above any message the hub accepts), so an
oversized message reaches ``user_uttered`` and is acknowledged with
``{"ok": false, "error": {"code": "message_too_large", "details": {"max": N, …}}}``
(N = ``HUB_MAX_MESSAGE_CHARS``), nothing stored, the socket kept. A frame
that cannot be decoded, or an event with arguments no handler takes, is
counted and logged in one line (``malformed frame from <sid> (<reason>); N so
far``), never with a traceback.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

import socketio
from socketio import packet as sio_packet

from backend.conversations import service as conv
from backend.conversations.lifecycle import HandoffReason, Sender
from backend.conversations.service import NewMessage
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.identity.tokens import actor_from_token
from livechat import desk, texts
from livechat.guard import as_dict, client_id_field, guarded, refuse, text_field
from livechat.hub import CUSTOMERS, Hub, conv_room, customer_echo, customer_payload
from livechat.limits import TokenBucket

log = logging.getLogger("livechat.customers")
ENGINE_FRAME_LIMIT = 1_000_000  # bytes per Engine.IO frame (engineio's default); above it the socket drops
TOO_LARGE = "message_too_large"


class MalformedFrames:
    """Counts malformed frames and logs each in one line, without a traceback."""

    def __init__(self) -> None:
        self.count = 0

    def seen(self, sid: str | None, reason: str) -> None:
        self.count += 1
        log.warning("livechat: malformed frame from %s (%s); %d so far", sid or "?", reason[:200], self.count)


class MalformedFrame(ValueError):
    """A Socket.IO packet that does not decode, or an event without a name."""


def _checked_packet_class(base: type) -> type:
    """``base`` whose decoding raises ``MalformedFrame`` (one JSON parse, as before)."""
    if getattr(base, "frame_guard", False):
        return base

    class CheckedPacket(base):
        frame_guard = True

        def decode(self, encoded_packet):
            try:
                count = super().decode(encoded_packet)
            except (ValueError, TypeError, IndexError) as exc:
                raise MalformedFrame(f"{type(exc).__name__}: {exc}") from None
            if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT) and not (
                    isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
                raise MalformedFrame("an event without a name")
            return count

    CheckedPacket.__name__ = CheckedPacket.__qualname__ = f"Checked{base.__name__}"
    return CheckedPacket


def guard_frames(server: socketio.AsyncServer, malformed: MalformedFrames) -> None:
    """Raise the engine's frame limit to ``ENGINE_FRAME_LIMIT`` (the app's own
    limit is lower, and a frame over it drops the socket without an answer), and
    turn what python-socketio raises while decoding a frame (and would log with
    a traceback: bad JSON, an event that is not a named list, an unexpected
    binary attachment) into one counted log line."""
    eio = server.eio
    eio.max_http_buffer_size = max(eio.max_http_buffer_size, ENGINE_FRAME_LIMIT)
    server.packet_class = _checked_packet_class(server.packet_class)
    original = eio.handlers.get("message")
    if original is None or getattr(original, "frame_guard", False):
        return

    def who(eio_sid: str) -> str:
        try:
            return server.manager.sid_from_eio_sid(eio_sid, CUSTOMERS) or eio_sid
        except Exception:  # noqa: BLE001 - only for the log line
            return eio_sid

    async def on_message(eio_sid, data):
        try:
            return await original(eio_sid, data)
        except MalformedFrame as exc:
            malformed.seen(who(eio_sid), str(exc))
        except ValueError as exc:  # socketio's own: "Unexpected binary packet/attachment"
            if "binary" not in str(exc):
                raise
            server._binary_packet.pop(eio_sid, None)
            malformed.seen(who(eio_sid), str(exc))

    on_message.frame_guard = True
    eio.handlers["message"] = on_message


@dataclass
class CustomerSocket:
    bucket: TokenBucket
    conversation_id: int | None = None
    session_id: str | None = None
    actor: Actor | None = None
    token: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)


class CustomerNamespace(socketio.AsyncNamespace):
    NOT_EVENTS = frozenset({"refused"})  # on_refused is the guard's callback, not something a client may call

    def __init__(self, hub: Hub) -> None:
        super().__init__(CUSTOMERS)
        self.hub = hub
        self.sockets: dict[str, CustomerSocket] = {}
        self.malformed = MalformedFrames()

    def _set_server(self, server):
        super()._set_server(server)
        guard_frames(server, self.malformed)

    async def trigger_event(self, event, *args):
        """An event whose arguments its handler cannot take (``["typing", 1, 2, 3]``)
        is a malformed frame: one log line and a ``malformed`` acknowledgement."""
        if not isinstance(event, str) or event in self.NOT_EVENTS:
            self.malformed.seen(args[0] if args else None, f"event name {str(event)[:40]!r}")
            return {"ok": False, "error": {"code": "malformed", "message": "unknown event"}}
        handler = getattr(self, "on_" + event, None)
        if handler is not None:
            try:
                inspect.signature(handler).bind(*args)
            except TypeError:
                self.malformed.seen(args[0] if args else None, f"{event} with {max(len(args) - 1, 0)} arguments")
                return {"ok": False, "error": {"code": "malformed", "message": f"unexpected arguments for {event}"}}
        return await super().trigger_event(event, *args)

    # -- connection -----------------------------------------------------------
    async def on_connect(self, sid, environ, auth=None):
        s = self.hub.settings
        self.sockets[sid] = CustomerSocket(TokenBucket(s.rate_burst, s.rate_per_s))

    async def on_disconnect(self, sid, reason=None):
        sock = self.sockets.pop(sid, None)
        if sock and sock.conversation_id is not None:
            self._forget(sid, sock.conversation_id)

    def _forget(self, sid: str, conversation_id: int) -> None:
        sids = self.hub.local_customers.get(conversation_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.hub.local_customers[conversation_id]

    async def on_refused(self, sid: str, exc: DomainError) -> None:
        body = exc.as_dict()
        reason = exc.details.get("reason")
        await self.emit("chat_error", {**body, "code": reason or body["code"]}, to=sid)

    def _socket(self, sid: str) -> CustomerSocket:
        sock = self.sockets.get(sid)
        if sock is None:
            raise refuse(ErrorCode.UNAUTHENTICATED, "connect first")
        return sock

    def _identify(self, sock: CustomerSocket, custom: dict[str, Any]) -> None:
        """``customData.token`` is the signed login token of a customer or technician."""
        token = custom.get("token") if isinstance(custom, dict) else None
        if not token or token == sock.token:
            return
        if not isinstance(token, str) or len(token) > 2000:
            raise refuse(ErrorCode.MALFORMED, "the login token is not valid")
        actor = actor_from_token(self.hub.settings.core.secret_key, token, channel="chat")
        if actor.role not in (Role.CUSTOMER, Role.TECHNICIAN):
            raise refuse(ErrorCode.FORBIDDEN, "staff use the agent console, not the customer chat")
        sock.actor, sock.token = actor, token

    async def _identify_or_warn(self, sid: str, sock: CustomerSocket, custom: dict[str, Any]) -> None:
        """A bad or expired token leaves the visitor anonymous, and says so."""
        try:
            self._identify(sock, custom)
        except DomainError as exc:
            sock.token = custom.get("token") if isinstance(custom.get("token"), str) else None
            await self.on_refused(sid, exc)

    # -- Rasa's protocol ----------------------------------------------------------
    @guarded
    async def on_session_request(self, sid, data=None):
        sock = self._socket(sid)
        data = as_dict(data, "session_request")
        custom = as_dict(data.get("customData") or data.get("metadata"), "customData")
        await self._identify_or_warn(sid, sock, custom)
        sock.custom = custom
        wanted = data.get("session_id") if isinstance(data.get("session_id"), str) else None
        view = await self._open(sock, wanted)
        if sock.conversation_id not in (None, view.id):
            await self.leave_room(sid, conv_room(sock.conversation_id))
            self._forget(sid, sock.conversation_id)
        sock.conversation_id, sock.session_id = view.id, view.session_id
        await self.enter_room(sid, conv_room(view.id))
        self.hub.local_customers[view.id].add(sid)
        self.hub._pushed.pop(view.id, None)
        await self.emit("session_confirm", view.session_id, to=sid)
        last_seq = data.get("last_seq")
        replayed = 0
        if isinstance(last_seq, int) and not isinstance(last_seq, bool) and last_seq >= 0:
            replayed = await self._replay(sid, view.id, last_seq)
        await self.hub.push_state(view)
        await self.emit("business_hours", self.hub.business_hours(), to=sid)
        return {"session_id": view.session_id, "state": view.state, "last_seq": view.last_seq,
                "replayed": replayed, "agent_name": view.agent_name}

    async def _open(self, sock: CustomerSocket, wanted: str | None):
        channel = "technician" if sock.actor and sock.actor.role == Role.TECHNICIAN else "web"
        try:
            return await self.hub.db(conv.open_session, session_id=wanted, channel=channel, actor=sock.actor)
        except DomainError as exc:
            if exc.code != ErrorCode.FORBIDDEN:
                raise
            return await self.hub.db(conv.open_session, session_id=None, channel=channel, actor=sock.actor)

    async def _replay(self, sid: str, conversation_id: int, last_seq: int) -> int:
        count = 0
        while True:
            batch = await self.hub.db(conv.messages_since, conversation_id=conversation_id, after_seq=last_seq)
            for m in batch:
                if m.sender == Sender.CUSTOMER:
                    await self.emit("user_message", {**customer_echo(m), "replay": True}, to=sid)
                else:
                    body = customer_payload(m)
                    body["metadata"]["replay"] = True
                    await self.emit("bot_uttered", body, to=sid)
                last_seq = m.seq
            count += len(batch)
            if len(batch) < 1000:
                return count

    async def on_user_uttered(self, sid, data=None):
        ack = await self._user_uttered(sid, data)
        error = ack.get("error") if isinstance(ack, dict) else None
        if error and (error.get("details") or {}).get("reason") == TOO_LARGE:
            error["code"] = TOO_LARGE  # the same stable code as the chat_error event
        return ack

    @guarded
    async def _user_uttered(self, sid, data=None):
        sock = self._socket(sid)
        data = as_dict(data, "user_uttered")
        settings = self.hub.settings
        message = data.get("message")
        if isinstance(message, str) and len(message) > settings.max_message_chars and \
                len(message.strip()) > settings.max_message_chars:  # before anything is opened or stored
            raise refuse(ErrorCode.INVALID_INPUT, f"a message is at most {settings.max_message_chars} characters",
                         field="message", limit=settings.max_message_chars, max=settings.max_message_chars,
                         reason=TOO_LARGE)
        if sock.conversation_id is None:  # a widget that skipped session_request
            await self.on_session_request(sid, {"session_id": data.get("session_id"),
                                                "customData": data.get("customData")})
            if sock.conversation_id is None:
                raise refuse(ErrorCode.MALFORMED, "send session_request first")
        elif data.get("session_id") not in (None, "", sock.session_id):
            raise refuse(ErrorCode.FORBIDDEN, "this socket belongs to another chat session")
        text = text_field(data, "message", limit=settings.max_message_chars)
        if not sock.bucket.take():
            raise refuse(ErrorCode.RATE_LIMITED, "you are sending messages too fast; wait a moment",
                         retry_after=round(sock.bucket.retry_after(), 1))
        custom = as_dict(data.get("customData") or data.get("metadata"), "customData")
        await self._identify_or_warn(sid, sock, custom)
        if custom:
            sock.custom = custom
        title = data.get("title") if isinstance(data.get("title"), str) else None
        stored = await self.hub.customer_said(
            sock.conversation_id, text, client_id=client_id_field(data), metadata=sock.custom,
            title=title[:200] if title else None, sid=sid,
        )
        m = stored.message
        return {"seq": m.seq, "message_id": m.id, "duplicate": stored.duplicate,
                "state": stored.conversation.state}

    # -- additions ------------------------------------------------------------------
    async def on_typing(self, sid, data=None):
        sock = self.sockets.get(sid)
        if sock and sock.conversation_id is not None and isinstance(data, dict):
            await self.hub.to_watchers(sock.conversation_id, "typing",
                                       {"conversation_id": sock.conversation_id, "on": bool(data.get("on")),
                                        "who": "customer"})

    @guarded
    async def on_end_chat(self, sid, data=None):
        sock = self._socket(sid)
        if sock.conversation_id is None:
            raise refuse(ErrorCode.MALFORMED, "send session_request first")
        view = await self.hub.customer_ended(sock.conversation_id)
        return {"state": view.state}

    @guarded
    async def on_leave_message(self, sid, data=None):
        """After hours: a message for the team. A known customer (logged in, or
        a reference number with the phone or e-mail on file) gets a help-desk
        ticket; anyone else's message waits in the queue with their contact."""
        sock = self._socket(sid)
        if sock.conversation_id is None:
            raise refuse(ErrorCode.MALFORMED, "send session_request first")
        data = as_dict(data, "leave_message")
        text = text_field(data, "text", limit=self.hub.settings.max_message_chars)
        name = text_field(data, "name", limit=120, required=False)
        contact = text_field(data, "contact", limit=254, required=False)
        reference = text_field(data, "reference", limit=30, required=False)
        if not sock.bucket.take():
            raise refuse(ErrorCode.RATE_LIMITED, "you are sending messages too fast; wait a moment")
        hub, cid = self.hub, sock.conversation_id
        stored = await hub.writer.write(NewMessage(
            cid, Sender.CUSTOMER, text, {"left_message": {"name": name, "contact": contact, "reference": reference}},
            client_id_field(data),
        ))
        if stored.error:
            raise stored.error
        if not stored.duplicate:
            await hub.deliver(stored.message)
        who = sock.actor if sock.actor and sock.actor.role == Role.CUSTOMER else None
        if who is None and reference:
            who = await hub.db(desk.identify, reference=reference, contact=contact)
        if who is not None and who.customer_id is not None:
            try:
                number = await hub.db(desk.leave_message_ticket, who, conversation_id=cid, text=text, name=name,
                                      contact=contact, message_id=stored.message.id)
                await hub.say(cid, texts.LEFT_TICKET.format(ticket=number))
                return {"ticket": number}
            except DomainError:
                log.exception("conversation %s: the left message did not become a ticket", cid)
        view = await hub.db(conv.get_conversation, conversation_id=cid)
        if view.state == "bot":
            hub.forget(cid)
            await hub.db(conv.hand_off, conversation_id=cid, reason=HandoffReason.LEFT_MESSAGE, by="customer")
            hub.kick()
        await hub.say(cid, texts.LEFT_QUEUED.format(how=f" at {contact}" if contact else ""))
        return {"ticket": None}
