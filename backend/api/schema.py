"""Request schemas that validate and describe themselves.

A request field is declared once (``Obj(amount=Money(), note=Str(max_len=200))``);
the same object parses an incoming JSON value (refusing unknown or ill-typed
fields with ``invalid_input`` naming the field) and emits its JSON Schema for
the OpenAPI document. Responses are described in ``responses.py``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.errors import DomainError, ErrorCode

MISSING: Any = object()

# Limits that keep "absurd" numbers out before they reach the core.
MAX_AMOUNT = Decimal("9999999999.99")  # fits Numeric(14, 2)
MAX_QTY = Decimal("100000")
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def refuse(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


class Field:
    """One value in a request: parses it and describes it."""

    nullable: bool = False
    default: Any = MISSING
    description: str | None = None

    def parse(self, value: Any, where: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        out = self.json_schema()
        if self.nullable:
            out = nullable_schema(out)
        if self.description:
            out["description"] = self.description
        return out

    def load(self, value: Any, where: str) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise refuse(where, "must not be null")
        return self.parse(value, where)

    def from_text(self, text: str, where: str) -> Any:
        """Parse a query-string or path value (always text on the wire)."""
        return self.load(text, where)

    @property
    def required(self) -> bool:
        return self.default is MISSING and not self.nullable


def nullable_schema(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" in schema and isinstance(schema["type"], str):
        out = dict(schema)
        out["type"] = [schema["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


class _Opts:
    def __init__(self, *, nullable: bool = False, default: Any = MISSING, description: str | None = None):
        self.nullable = nullable
        self.default = default
        self.description = description


class Str(_Opts, Field):
    def __init__(self, *, min_len: int = 1, max_len: int = 200, pattern: str | None = None, **kw: Any):
        super().__init__(**kw)
        self.min_len, self.max_len, self.pattern = min_len, max_len, pattern

    def parse(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise refuse(where, "must be a string")
        if "\x00" in value or not _encodable(value):
            raise refuse(where, "contains characters that are not text")
        text = value.strip()
        if len(text) < self.min_len:
            raise refuse(where, f"needs at least {self.min_len} character(s)")
        if len(text) > self.max_len:
            raise refuse(where, f"is longer than {self.max_len} characters")
        if self.pattern and not re.search(self.pattern, value):
            raise refuse(where, "has the wrong format")
        return text

    def json_schema(self) -> dict[str, Any]:
        # parse() strips surrounding blanks before counting, so a blank-only
        # value that fits the schema is still refused (422), never stored.
        out: dict[str, Any] = {"type": "string", "minLength": self.min_len, "maxLength": self.max_len}
        if self.pattern:
            out["pattern"] = self.pattern
        return out


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" sent as a JSON escape
        return False
    return True


class Ref(Str):
    """A human reference such as ``JB-000045``."""

    def __init__(self, prefix: str, **kw: Any):
        super().__init__(max_len=16, pattern=rf"^{prefix}-?[0-9]{{1,9}}$", **kw)
        self.prefix = prefix

    def parse(self, value: Any, where: str) -> str:
        if isinstance(value, str) and value.strip().upper().startswith(self.prefix):
            value = value.strip().upper()
        return super().parse(value, where)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self.pattern, "maxLength": self.max_len,
                "example": f"{self.prefix}-000001"}


class Enum(_Opts, Field):
    def __init__(self, *choices: str, **kw: Any):
        super().__init__(**kw)
        self.choices = tuple(str(c) for c in choices)

    def parse(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise refuse(where, f"must be one of {', '.join(self.choices)}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}


class Int(_Opts, Field):
    def __init__(self, *, minimum: int = 1, maximum: int = 2**31 - 1, **kw: Any):
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def parse(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(where, "must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise refuse(where, f"must be between {self.minimum} and {self.maximum}")
        return value

    def from_text(self, text: str, where: str) -> int:
        if not re.fullmatch(r"-?\d{1,12}", text.strip()):
            raise refuse(where, "must be a whole number")
        return self.load(int(text), where)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Bool(_Opts, Field):
    def parse(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise refuse(where, "must be true or false")
        return value

    def from_text(self, text: str, where: str) -> bool:
        if text.lower() not in ("true", "false"):
            raise refuse(where, "must be true or false")
        return text.lower() == "true"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


class Num(_Opts, Field):
    """A decimal given as a JSON number or a string ("12.50"); floats never reach the core."""

    def __init__(self, *, minimum: Decimal, maximum: Decimal, places: int, exclusive_min: bool = True, **kw: Any):
        super().__init__(**kw)
        self.minimum, self.maximum, self.places = minimum, maximum, places
        self.exclusive_min = exclusive_min

    def parse(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise refuse(where, "must be a number or a numeric string")
        if isinstance(value, str) and not re.fullmatch(DECIMAL_PATTERN, value.strip()):
            raise refuse(where, "must be a number such as 12.50")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise refuse(where, "must be a number such as 12.50") from None
        if not number.is_finite():
            raise refuse(where, "must be a finite number")
        too_small = number <= self.minimum if self.exclusive_min else number < self.minimum
        if too_small:
            sign = "greater than" if self.exclusive_min else "at least"
            raise refuse(where, f"must be {sign} {self.minimum}")
        if number > self.maximum:
            raise refuse(where, f"must not exceed {self.maximum}")
        if number != number.quantize(Decimal(1).scaleb(-self.places)):
            raise refuse(where, f"has more than {self.places} decimal places")
        return number

    def json_schema(self) -> dict[str, Any]:
        number: dict[str, Any] = {"type": "number", "maximum": float(self.maximum)}
        if self.exclusive_min:
            number["exclusiveMinimum"] = float(self.minimum)
        else:
            number["minimum"] = float(self.minimum)
        number["multipleOf"] = float(Decimal(1).scaleb(-self.places))
        text = {"type": "string", "pattern": rf"^[0-9]{{1,10}}(\.[0-9]{{1,{self.places}}})?$"}
        return {"anyOf": [number, text]}


def Money(**kw: Any) -> Num:
    """A positive amount of money, at most two decimals."""
    kw.setdefault("minimum", Decimal("0"))
    kw.setdefault("maximum", MAX_AMOUNT)
    return Num(places=2, **kw)


def Qty(**kw: Any) -> Num:
    kw.setdefault("minimum", Decimal("0"))
    kw.setdefault("maximum", MAX_QTY)
    return Num(places=3, **kw)


class Date(_Opts, Field):
    def parse(self, value: Any, where: str) -> date:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise refuse(where, "must be a date like 2025-01-31")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise refuse(where, "is not a real date") from None

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


class DateTime(_Opts, Field):
    """An ISO 8601 timestamp with its offset; naive times are refused."""

    def parse(self, value: Any, where: str) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise refuse(where, "must be a timestamp like 2025-01-31T10:00:00+05:30")
        try:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            raise refuse(where, "must be a timestamp like 2025-01-31T10:00:00+05:30") from None
        if moment.tzinfo is None:
            raise refuse(where, "needs a time-zone offset (e.g. Z or +05:30)")
        if not 2000 <= moment.year <= 2100:
            raise refuse(where, "is outside the years 2000-2100")
        return moment.astimezone(timezone.utc)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


class Arr(_Opts, Field):
    def __init__(self, item: Field, *, min_items: int = 1, max_items: int = 50, **kw: Any):
        super().__init__(**kw)
        self.item, self.min_items, self.max_items = item, min_items, max_items

    def parse(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise refuse(where, "must be a list")
        if not self.min_items <= len(value) <= self.max_items:
            raise refuse(where, f"needs {self.min_items} to {self.max_items} entries")
        return [self.item.load(v, f"{where}[{i}]") for i, v in enumerate(value)]

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema(), "minItems": self.min_items, "maxItems": self.max_items}


class Obj(_Opts, Field):
    """A JSON object with exactly these fields (unknown fields are refused)."""

    def __init__(self, _description: str | None = None, **fields: Field):
        super().__init__(description=_description)
        self.fields = fields

    def parse(self, value: Any, where: str = "") -> dict[str, Any]:
        if not isinstance(value, dict):
            raise refuse(where or "body", "must be a JSON object")
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            name = f"{where}.{unknown[0]}" if where else unknown[0]
            raise refuse(name, "is not a known field")
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            path = f"{where}.{name}" if where else name
            if name in value:
                out[name] = spec.load(value[name], path)
            elif spec.default is not MISSING:
                out[name] = spec.default
            elif spec.nullable:
                out[name] = None
            else:
                raise refuse(path, "is required")
        return out

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "properties": {k: f.schema() for k, f in self.fields.items()},
            "additionalProperties": False,
        }
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            out["required"] = required
        return out
