"""Signed bearer tokens: the portal login, the chat widget's ``customData`` token
and the agent console all carry one. Stateless, expiring, tamper-evident."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role

TOKEN_MAX_AGE = 12 * 3600


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="fieldserv-token")


def issue_token(secret: str, actor: Actor) -> str:
    return _serializer(secret).dumps(
        {"uid": actor.user_id, "role": str(actor.role), "cid": actor.customer_id, "name": actor.name}
    )


def actor_from_token(secret: str, token: str, *, channel: str = "api", max_age: int = TOKEN_MAX_AGE) -> Actor:
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "your session has expired; log in again") from None
    except BadSignature:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "the login token is not valid; log in again") from None
    return Actor(Role(data["role"]), data.get("uid"), data.get("cid"), data.get("name", ""), channel)
