"""Responses are the core's frozen dataclasses: their type hints give both the
JSON shape (:func:`to_json`) and its JSON Schema (:class:`SchemaBook`), so the
two cannot drift apart."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from backend.api.schema import DECIMAL_PATTERN, nullable_schema


def to_json(value: Any) -> Any:
    """Plain JSON from what a service returns: dataclasses, Decimals, dates, enums."""
    if value is None or isinstance(value, (bool, int, str)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    return str(value)


def decimal_text(value: Decimal) -> str:
    """Money with two decimals; a quantity keeps its finer places (1.250 -> "1.25", 0.125 -> "0.125")."""
    cents = value.quantize(Decimal("0.01")) if value.is_finite() else value
    if cents == value:
        return f"{cents:f}"
    return f"{value.normalize():f}"


DECIMAL_SCHEMA = {"type": "string", "pattern": DECIMAL_PATTERN}


class SchemaBook:
    """Collects named component schemas while describing dataclasses."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self._names: dict[type, str] = {}

    def schema_of(self, tp: Any) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is type(None):
            return {"type": "null"}
        if origin in (typing.Union, types.UnionType):
            non_null = [a for a in args if a is not type(None)]
            inner = self.schema_of(non_null[0]) if len(non_null) == 1 else {"anyOf": [self.schema_of(a) for a in non_null]}
            return nullable_schema(inner) if len(non_null) < len(args) else inner
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (list, tuple, set, frozenset) or tp in (list, tuple):
            if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.schema_of(args[0])}
            if origin is tuple and args:
                return {"type": "array", "items": {"anyOf": [self.schema_of(a) for a in set(args)]} if len(set(args)) > 1 else self.schema_of(args[0])}
            return {"type": "array", "items": self.schema_of(args[0]) if args else {}}
        if origin in (dict, Mapping) or tp in (dict, Mapping):
            value = self.schema_of(args[1]) if len(args) == 2 else {}
            return {"type": "object", "additionalProperties": value}
        if tp is typing.Any or tp is object:
            return {}
        if isinstance(tp, type):
            if issubclass(tp, bool):
                return {"type": "boolean"}
            if issubclass(tp, enum.Enum):
                return {"type": "string", "enum": [str(m.value) for m in tp]}
            if issubclass(tp, int):
                return {"type": "integer"}
            if issubclass(tp, float):
                return {"type": "number"}
            if issubclass(tp, Decimal):
                return dict(DECIMAL_SCHEMA)
            if issubclass(tp, str):
                return {"type": "string"}
            if issubclass(tp, datetime):
                return {"type": "string", "format": "date-time"}
            if issubclass(tp, date):
                return {"type": "string", "format": "date"}
            if dataclasses.is_dataclass(tp):
                return {"$ref": f"#/components/schemas/{self._component(tp)}"}
        raise TypeError(f"cannot describe {tp!r} in the OpenAPI document")

    def _component(self, cls: type) -> str:
        if cls in self._names:
            return self._names[cls]
        name = cls.__name__
        if name in self.components:  # two dataclasses with one name in different areas
            name = f"{cls.__module__.split('.')[-2].title()}{name}"
        self._names[cls] = name
        self.components[name] = {}  # placeholder for recursive types
        hints = typing.get_type_hints(cls)
        props = {f.name: self.schema_of(hints[f.name]) for f in dataclasses.fields(cls)}
        self.components[name] = {
            "type": "object",
            "properties": props,
            "required": list(props),
            "additionalProperties": False,
        }
        return name


def returns(fn: Any) -> Any:
    """The return type of a core service, as the response type of its route."""
    return typing.get_type_hints(fn)["return"]
