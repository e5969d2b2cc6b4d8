"""The portal's session: a signed, expiring cookie; CSRF tokens bound to it;
logout that revokes it; a login rate limiter.

The cookie holds who is logged in (user id, role, customer id, name) and a
random session id ``sid``. It is signed with the settings' secret
(itsdangerous), HttpOnly, SameSite=Lax, and Secure whenever the request came
over HTTPS. A visitor who has not logged in still gets a session (anonymous),
so that the login form carries a CSRF token too. Logging in issues a fresh
``sid`` (no session fixation); logging out adds the ``sid`` to a revocation
list kept by the process until the cookie would have expired anyway. A
password reset ends every session of that user made before it the same way
(``revoke_user``: the cookie carries when it was issued).

The CSRF token of a form is ``HMAC(secret, sid)``: a page from another site
cannot read it, and it changes with every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer

from backend.identity.actor import Actor
from backend.identity.models import Role

COOKIE = "fieldserv_portal"
MAX_AGE = 12 * 3600
LOGIN_WINDOW_S = 300
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_PEER = 20


@dataclass
class Session:
    sid: str
    actor: Actor | None = None
    issued: float = field(default_factory=time.time)
    dirty: bool = False
    cleared: bool = False


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self._serializer = URLSafeTimedSerializer(secret, salt="fieldserv-portal-session")
        self._revoked: dict[str, float] = {}
        self._users_reset: dict[int, int] = {}  # user id → sessions issued before this (ms) are void

    def new(self, actor: Actor | None = None) -> Session:
        return Session(secrets.token_urlsafe(18), actor, dirty=True)

    def dumps(self, session: Session) -> str:
        a = session.actor
        data = {"sid": session.sid, "at": int(session.issued * 1000)}  # issued, in ms
        if a is not None:
            data.update(uid=a.user_id, role=str(a.role), cid=a.customer_id, name=a.name)
        return self._serializer.dumps(data)

    def loads(self, value: str | None) -> Session | None:
        if not value or len(value) > 4096:
            return None
        try:
            data = self._serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        sid = data.get("sid")
        if not isinstance(sid, str) or sid in self._revoked:
            return None
        issued = data.get("at") if isinstance(data.get("at"), int) else 0
        reset = self._users_reset.get(data.get("uid")) if data.get("uid") is not None else None
        if reset is not None and issued < reset:
            return None
        actor = None
        if data.get("role"):
            try:
                actor = Actor(Role(data["role"]), data.get("uid"), data.get("cid"), data.get("name", ""), "portal")
            except ValueError:
                return None
        return Session(sid, actor, issued=issued / 1000)

    def revoke(self, session: Session) -> None:
        now = time.time()
        self._revoked = {k: v for k, v in self._revoked.items() if v > now}
        self._revoked[session.sid] = now + MAX_AGE

    def revoke_user(self, user_id: int) -> None:
        """End every session of this user issued until now (after a password reset)."""
        now = time.time()
        self._users_reset = {k: v for k, v in self._users_reset.items() if v / 1000 + MAX_AGE > now}
        self._users_reset[user_id] = int(now * 1000)  # in ms, as the cookie keeps it

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._secret, b"csrf:" + session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), str(token))


class LoginLimiter:
    """Failed logins per e-mail and per client address in a sliding window."""

    def __init__(self, window_s: float = LOGIN_WINDOW_S, per_email: int = MAX_FAILURES_PER_EMAIL,
                 per_peer: int = MAX_FAILURES_PER_PEER) -> None:
        self.window_s, self.per_email, self.per_peer = window_s, per_email, per_peer
        self._fails: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        recent = [t for t in self._fails.get(key, []) if now - t < self.window_s]
        if recent:
            self._fails[key] = recent
        else:
            self._fails.pop(key, None)
        return recent

    def blocked(self, email: str, peer: str) -> bool:
        now = time.monotonic()
        return (len(self._recent("e:" + email.strip().lower(), now)) >= self.per_email
                or len(self._recent("p:" + peer, now)) >= self.per_peer)

    def failed(self, email: str, peer: str) -> None:
        now = time.monotonic()
        for key in ("e:" + email.strip().lower(), "p:" + peer):
            self._fails.setdefault(key, []).append(now)
        if len(self._fails) > 10_000:  # bound the memory a flood of addresses can take
            for key in list(self._fails)[:5_000]:
                self._fails.pop(key, None)

    def succeeded(self, email: str) -> None:
        self._fails.pop("e:" + email.strip().lower(), None)
