"""Checking and normalising article content; reading Markdown and CSV sources.

Pure functions: nothing here touches the database. Every refusal is a
``DomainError`` with ``ErrorCode.INVALID_INPUT`` and a ``reason`` detail
(``empty``, ``too_large``, ``bad_slug``, ``bad_language``, ``bad_tags``,
``bad_front_matter``, ``not_utf8``, ``bad_csv``) that callers can map to words.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from backend.errors import DomainError, ErrorCode

MAX_BODY_BYTES = 200_000
MAX_TITLE_CHARS = 300
MAX_SLUG_CHARS = 120
MAX_TAGS = 20
MAX_TAG_CHARS = 40
MAX_COMMENT_CHARS = 2_000
MAX_QUERY_CHARS = 500
MAX_CSV_BYTES = 50 * 1024 * 1024

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")


def refuse(reason: str, message: str, **details) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, reason=reason, **details)


@dataclass(frozen=True)
class ArticleInput:
    """Checked, normalised content of one article (what a version holds)."""

    slug: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    language: str = "en"
    status: str | None = None  # only from a source file's front matter
    source: str | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body, self.tags, self.language)


def content_hash(title: str, body: str, tags, language: str) -> str:
    blob = json.dumps([title, body, sorted(tags), language], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def clean_text(text: str) -> str:
    """Unix newlines, no control characters (PostgreSQL refuses NUL)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def slugify(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def slug_for(text: str) -> str:
    """A stable slug for any text, even one with no Latin letters."""
    return slugify(text) or "a-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def check_title(title: str | None) -> str:
    title = " ".join(clean_text(title or "").split())
    if not title:
        raise refuse("empty", "an article needs a title", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise refuse("too_large", f"the title is longer than {MAX_TITLE_CHARS} characters", field="title")
    return title


def check_body(body: str | None) -> str:
    body = clean_text(body or "").strip("\n")
    if not body.strip():
        raise refuse("empty", "the article has no text", field="body")
    size = len(body.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise refuse(
            "too_large",
            f"the article is {size // 1000} KB; the limit is {MAX_BODY_BYTES // 1000} KB",
            field="body",
            size=size,
            limit=MAX_BODY_BYTES,
        )
    return body


def check_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not slug or len(slug) > MAX_SLUG_CHARS or not _SLUG.match(slug):
        raise refuse(
            "bad_slug",
            "a slug is lowercase letters, digits and single hyphens, at most "
            f"{MAX_SLUG_CHARS} characters",
            field="slug",
            slug=slug[:MAX_SLUG_CHARS],
        )
    return slug


def check_language(language: str | None) -> str:
    language = (language or "en").strip().lower().replace("_", "-")
    if not _LANGUAGE.match(language) or len(language) > 16:
        raise refuse("bad_language", f"'{language[:20]}' is not a language code like 'en' or 'hi'",
                     field="language")
    return language


def check_tags(tags) -> tuple[str, ...]:
    if tags is None:
        return ()
    if isinstance(tags, str):
        tags = re.split(r"[;,]", tags)
    if not isinstance(tags, (list, tuple, set, frozenset)):
        raise refuse("bad_tags", "tags are a list of words", field="tags")
    out: list[str] = []
    for tag in tags:
        norm = slugify(str(tag), limit=MAX_TAG_CHARS + 1)
        if not norm:
            continue
        if len(norm) > MAX_TAG_CHARS:
            raise refuse("bad_tags", f"tag '{str(tag)[:50]}' is longer than {MAX_TAG_CHARS} characters",
                         field="tags")
        if norm not in out:
            out.append(norm)
    if len(out) > MAX_TAGS:
        raise refuse("bad_tags", f"at most {MAX_TAGS} tags per article", field="tags")
    return tuple(sorted(out))


def check_article(*, slug: str | None, title: str, body: str, tags=(), language: str | None = "en",
                  status: str | None = None, source: str | None = None) -> ArticleInput:
    title = check_title(title)
    return ArticleInput(
        slug=check_slug(slug if slug else slug_for(title)),
        title=title,
        body=check_body(body),
        tags=check_tags(tags),
        language=check_language(language),
        status=status,
        source=source,
    )


# --- Markdown files ---------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict, str]:
    """``---`` YAML ``---`` at the very top, if any; the rest is the body."""
    if not text.startswith("---\n"):
        return {}, text
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], flags=re.MULTILINE)
    if end is None:
        raise refuse("bad_front_matter", "the front matter (--- at the top) is never closed")
    raw = text[4 : 4 + end.start()]
    rest = text[4 + end.end() :].lstrip("\n")
    try:
        meta = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise refuse("bad_front_matter", f"the front matter is not valid YAML: {str(exc)[:200]}") from None
    if not isinstance(meta, dict):
        raise refuse("bad_front_matter", "the front matter must be 'key: value' lines")
    return meta, rest


def _meta_tags(meta: dict) -> list[str]:
    tags: list[str] = []
    for key in ("tags", "products", "product", "categories", "category"):
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            tags.extend(re.split(r"[;,]", value))
        elif isinstance(value, (list, tuple)):
            tags.extend(str(v) for v in value)
        else:
            raise refuse("bad_tags", f"front matter '{key}' must be a list or a comma-separated text")
    return tags


def parse_markdown(text: str, *, name: str, source: str | None = None) -> ArticleInput:
    """One Markdown document (optional front matter) → checked article content.

    Title: front matter ``title``, else the first ``# heading`` (removed from the
    body), else the file name. Broken Markdown is kept as text.
    """
    meta, body = split_front_matter(clean_text(text))
    title = meta.get("title")
    if not title:
        lines = body.split("\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            match = _H1.match(line)
            if match:
                title = match.group(1)
                body = "\n".join(lines[i + 1 :])
            break
    if not title:
        title = name.replace("-", " ").replace("_", " ").strip().capitalize()
    status = meta.get("status")
    if status is not None and str(status) not in ("draft", "published"):
        raise refuse("bad_front_matter", "front matter 'status' is 'draft' or 'published'")
    return check_article(
        slug=str(meta.get("slug") or slugify(name) or slug_for(str(title))),
        title=str(title),
        body=body,
        tags=_meta_tags(meta),
        language=str(meta.get("language") or meta.get("lang") or "en"),
        status=str(status) if status is not None else None,
        source=source,
    )


def read_utf8(path: Path, limit: int) -> str:
    size = path.stat().st_size
    if size > limit:
        raise refuse("too_large", f"{path.name} is {size // 1000} KB; the limit is {limit // 1000} KB",
                     size=size, limit=limit)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("not_utf8", f"{path.name} is not UTF-8 text") from None


def markdown_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise DomainError(ErrorCode.NOT_FOUND, f"folder {directory} does not exist", path=str(directory))
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in (".md", ".markdown"))


# --- CSV of question/answer pairs --------------------------------------------------------------

_COLUMNS = {
    "question": ("question", "q", "title"),
    "answer": ("answer", "a", "body"),
}


@dataclass
class CsvRow:
    line: int
    article: ArticleInput | None = None
    error: DomainError | None = None
    extra: dict = field(default_factory=dict)


def _column(header: list[str], wanted: str) -> str | None:
    lowered = {h.strip().lower(): h for h in header if h}
    for alias in _COLUMNS.get(wanted, (wanted,)):
        if alias in lowered:
            return lowered[alias]
    return None


def parse_qa_csv(text: str, *, source: str) -> Iterator[CsvRow]:
    """Rows of ``question,answer[,tags][,language][,slug]`` → checked articles (or errors)."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
    except csv.Error as exc:
        raise refuse("bad_csv", f"{source}: not a readable CSV file ({exc})") from None
    if not header:
        raise refuse("bad_csv", f"{source}: the file is empty")
    q_col, a_col = _column(header, "question"), _column(header, "answer")
    if q_col is None or a_col is None:
        raise refuse("bad_csv", f"{source}: the first row must name the columns 'question' and 'answer'",
                     header=header[:10])
    names = [h.strip().lower() for h in header]
    q_i, a_i = header.index(q_col), header.index(a_col)
    get = lambda row, key: row[names.index(key)] if key in names and names.index(key) < len(row) else None  # noqa: E731
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise refuse("bad_csv", f"{source}: line {reader.line_num}: {exc}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        try:
            question = row[q_i] if q_i < len(row) else ""
            answer = row[a_i] if a_i < len(row) else ""
            tags = [t for key in ("tags", "product", "category") if (t := get(row, key))]
            article = check_article(
                slug=get(row, "slug") or (slug_for(question) if question.strip() else None),
                title=question,
                body=answer,
                tags=";".join(tags),
                language=get(row, "language") or "en",
                source=f"{source}:{line}",
            )
            yield CsvRow(line=line, article=article)
        except DomainError as exc:
            yield CsvRow(line=line, error=exc)
