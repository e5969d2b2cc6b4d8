"""Turning any report's plain dataclasses into what a page shows: a summary
(scalars), tables (lists of rows), CSV, and a bar chart as server-side SVG."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Flat:
    summary: list[tuple[str, Any]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _is_rowlike(v: Any) -> bool:
    return dataclasses.is_dataclass(v) or isinstance(v, dict)


def _items(v: Any) -> list[tuple[str, Any]]:
    if dataclasses.is_dataclass(v):
        return [(f.name, getattr(v, f.name)) for f in dataclasses.fields(v)]
    return list(v.items())


def _cells(row: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in _items(row):
        if _is_rowlike(v):
            out.extend(_cells(v, f"{prefix}{k}."))
        elif isinstance(v, (list, tuple)):
            out.append((prefix + k, ", ".join(str(x) for x in v if not _is_rowlike(x)) or (f"{len(v)} rows" if v else "")))
        else:
            out.append((prefix + k, v))
    return out


def table(name: str, rows: list[Any]) -> Table:
    if not rows:
        return Table(name, [], [])
    if not _is_rowlike(rows[0]):
        return Table(name, [name], [[r] for r in rows])
    first = _cells(rows[0])
    return Table(name, [k for k, _ in first], [[v for _, v in _cells(r)] for r in rows])


def flatten(result: Any) -> Flat:
    flat = Flat()
    if isinstance(result, (list, tuple)):
        flat.tables.append(table("rows", list(result)))
        return flat

    def walk(obj: Any, prefix: str) -> None:
        for k, v in _items(obj):
            if isinstance(v, (list, tuple)) and v and _is_rowlike(v[0]):
                flat.tables.append(table(prefix + k, list(v)))
            elif isinstance(v, (list, tuple)) and not v:
                flat.tables.append(Table(prefix + k, [], []))
            elif _is_rowlike(v):
                walk(v, f"{prefix}{k}.")
            else:
                flat.summary.append((prefix + k, v if not isinstance(v, (list, tuple)) else ", ".join(map(str, v))))

    walk(result, "")
    return flat


def cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, datetime):
        return v.isoformat(timespec="minutes")
    if isinstance(v, (date, Decimal)):
        return str(v)
    return str(v)


def to_csv(t: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(t.columns)
    for r in t.rows:
        w.writerow([_csv_safe(cell(v)) for v in r])
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula."""
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _number(text)):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def chart_of(t: Table, limit: int = 15) -> tuple[str, list[tuple[str, float]]] | None:
    """The first numeric column against the first text column, when there is one."""
    if not t.rows:
        return None
    label_i = next((i for i, v in enumerate(t.rows[0]) if isinstance(v, (str, date))), None)
    num_i = next((i for i, v in enumerate(t.rows[0]) if isinstance(v, (int, Decimal, float)) and not isinstance(v, bool)
                  and not t.columns[i].endswith("id")), None)
    if label_i is None or num_i is None:
        return None
    data = [(cell(r[label_i])[:24], float(r[num_i] or 0)) for r in t.rows[:limit]]
    return t.columns[num_i], data


def bar_chart(title: str, data: list[tuple[str, float]], *, width: int = 640) -> Markup:
    """A horizontal bar chart as inline SVG (no script, no library)."""
    bar_h, gap, label_w, top = 22, 6, 190, 30
    height = top + len(data) * (bar_h + gap) + 10
    peak = max((abs(v) for _, v in data), default=0) or 1
    span = width - label_w - 90
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="8" y="20" font-size="15" font-weight="600" fill="#1d2327">{escape(title)}</text>']
    for i, (label, value) in enumerate(data):
        y = top + i * (bar_h + gap)
        w = max(1, int(span * abs(value) / peak))
        colour = "#0b6e4f" if value >= 0 else "#a4161a"
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" font-size="13" text-anchor="end" fill="#1d2327">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="3" fill="{colour}"/>')
        shown = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13" fill="#1d2327">{shown}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Filter:
    name: str
    kind: str  # date | int | text
    default: Any
    choices: tuple[str, ...] = ()


def filters_of(fn: Any) -> list[Filter]:
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind != inspect.Parameter.KEYWORD_ONLY:
            continue
        ann = str(p.annotation)
        kind = "date" if "date" in ann else "int" if "int" in ann and "Any" not in ann else "text"
        out.append(Filter(p.name, kind, None if p.default is inspect.Parameter.empty else p.default))
    return out


def parse_filters(fn: Any, query: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The report's own filters from the query string (the report checks them)."""
    from backend.errors import invalid

    given, kept = {}, {}
    for f in filters_of(fn):
        raw = (query.get(f.name) or "").strip()
        kept[f.name] = raw
        if not raw:
            continue
        if f.kind == "int":
            try:
                given[f.name] = int(raw)
            except ValueError:
                raise invalid(f"{f.name} must be a whole number", field=f.name) from None
        else:
            given[f.name] = raw
    return given, kept
