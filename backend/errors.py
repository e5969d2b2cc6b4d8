"""Stable error codes. Actions, the API and the console map these to words."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_INPUT = "invalid_input"
    ILLEGAL_TRANSITION = "illegal_transition"
    OUT_OF_STOCK = "out_of_stock"
    OVERPAYMENT = "overpayment"
    DUPLICATE = "duplicate"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    UPLOAD_TOO_LARGE = "upload_too_large"
    UPLOAD_TYPE = "upload_type_not_allowed"
    NOT_COVERED = "not_covered"
    ALREADY_DONE = "already_done"
    UNBALANCED = "unbalanced_voucher"
    MALFORMED = "malformed_request"
    RATE_LIMITED = "rate_limited"
    CONFLICT = "conflict"


class DomainError(Exception):
    """A refusal the caller can act on; raised before anything is written."""

    code: ErrorCode

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.details:
            body["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def not_found(what: str, ident: Any) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} {ident} does not exist", entity=what, id=ident)


def invalid(message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, **details)
