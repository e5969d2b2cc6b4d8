"""Socket event handlers answer with an acknowledgement ``{"ok": true, ...}``
or ``{"ok": false, "error": {"code", "message"}}``; they never leak a
traceback. Input is checked here, before any service is called."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from typing import Any

from backend.errors import DomainError, ErrorCode

log = logging.getLogger("livechat")


def refuse(code: ErrorCode, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, **details)


def guarded(handler):
    @functools.wraps(handler)
    async def wrapper(self, sid, *args):
        try:
            result = await handler(self, sid, *args)
        except DomainError as exc:
            await self.on_refused(sid, exc)
            return {"ok": False, "error": exc.as_dict()}
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("socket event %s failed (incident %s)", handler.__name__, incident)
            return {"ok": False, "error": {"code": "internal_error",
                                           "message": "something went wrong on our side; it has been logged",
                                           "details": {"incident": incident}}}
        return {"ok": True, **(result or {})}

    return wrapper


def as_dict(data: Any, what: str = "event") -> dict[str, Any]:
    if data is None:
        return {}
    if isinstance(data, str):  # some widgets send JSON text
        try:
            data = json.loads(data)
        except ValueError:
            raise refuse(ErrorCode.MALFORMED, f"the {what} data is not JSON") from None
    if not isinstance(data, dict):
        raise refuse(ErrorCode.MALFORMED, f"the {what} data must be an object")
    return data


def text_field(data: dict, key: str, *, limit: int, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise refuse(ErrorCode.MALFORMED, f"'{key}' must be text", field=key)
    value = value.strip()
    if required and not value:
        raise refuse(ErrorCode.INVALID_INPUT, f"'{key}' is empty", field=key)
    if len(value) > limit:
        raise refuse(ErrorCode.INVALID_INPUT, f"a message is at most {limit} characters", field=key,
                     limit=limit, reason="message_too_large")
    return value


def int_field(data: dict, key: str, *, required: bool = True, default: int | None = None) -> int | None:
    value = data.get(key, default)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(ErrorCode.MALFORMED, f"'{key}' must be a whole number", field=key)
    return value


def client_id_field(data: dict) -> str | None:
    value = data.get("client_id")
    if value is None:
        return None
    if not isinstance(value, str) or not (1 <= len(value) <= 64):
        raise refuse(ErrorCode.MALFORMED, "'client_id' must be text of 1 to 64 characters", field="client_id")
    return value
