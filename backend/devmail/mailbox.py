"""The captured-mail folder: one ``.eml`` file per message, written by the
development mail server and read by the portal's mail page.

A file is named ``<received UTC date-time>-<hash of the Message-ID>.eml``, so
the names sort by arrival and a message sent again with the same
Message-ID (a delivery retried after a crash) is kept once: this is what
"exactly once, as the person sees it" means for the dev mailbox. Standard
library only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

NAME = re.compile(r"^(\d{8}-\d{6}-\d{6})-([0-9a-f]{16})\.eml$")
STAMP = "%Y%m%d-%H%M%S-%f"


@dataclass(frozen=True)
class MailSummary:
    name: str  # the file's name: the message's key on the mail page
    received: datetime
    sender: str
    to: str
    subject: str
    date: datetime | None  # the Date header
    message_id: str
    size: int


@dataclass(frozen=True)
class MailPart:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MailMessage:
    summary: MailSummary
    text: str | None
    html: str | None
    attachments: list[MailPart]
    headers: list[tuple[str, str]]


def key_of(raw: bytes) -> str:
    """A message's key: the hash of its Message-ID (of its bytes when it has none)."""
    head = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    message_id = str(head.get("Message-ID") or "").strip()
    return hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()[:16]


def find(folder: Path, key: str) -> Path | None:
    return next(iter(sorted(folder.glob(f"*-{key}.eml"))), None) if folder.is_dir() else None


def store(folder: Path, raw: bytes, *, now: datetime | None = None) -> tuple[Path, bool]:
    """Keep one message; ``(path, False)`` when one with its Message-ID is already there."""
    folder.mkdir(parents=True, exist_ok=True)
    key = key_of(raw)
    existing = find(folder, key)
    if existing is not None:
        return existing, False
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    path = folder / f"{when.strftime(STAMP)}-{key}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
    os.replace(tmp, path)  # readers never see half a message
    return path, True


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as f:
        return BytesParser(policy=policy.default).parse(f)


def _summary(path: Path, msg: EmailMessage) -> MailSummary:
    m = NAME.match(path.name)
    received = datetime.strptime(m.group(1), STAMP).replace(tzinfo=timezone.utc)
    try:
        date = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    return MailSummary(path.name, received, str(msg.get("From", "")), str(msg.get("To", "")),
                       str(msg.get("Subject", "")), date, str(msg.get("Message-ID", "")), path.stat().st_size)


def count(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if NAME.match(p.name)) if folder.is_dir() else 0


def list_mail(folder: Path, *, limit: int = 200) -> list[MailSummary]:
    """The captured messages, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.iterdir() if NAME.match(p.name)), key=lambda p: p.name, reverse=True)
    return [_summary(p, _parse(p)) for p in names[:limit]]


def _path(folder: Path, name: str) -> Path | None:
    if not NAME.match(name or ""):  # only our own file names: no way out of the folder
        return None
    path = folder / name
    return path if path.is_file() else None


def read_mail(folder: Path, name: str) -> MailMessage | None:
    path = _path(folder, name)
    if path is None:
        return None
    msg = _parse(path)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    parts = [MailPart(p.get_filename() or f"part-{i + 1}", p.get_content_type(), len(p.get_payload(decode=True) or b""))
             for i, p in enumerate(msg.iter_attachments())]
    return MailMessage(_summary(path, msg), text.get_content() if text is not None else None,
                       html.get_content() if html is not None else None, parts,
                       [(k, str(v)) for k, v in msg.items()])


def attachment(folder: Path, name: str, index: int) -> tuple[MailPart, bytes] | None:
    """The ``index``-th attachment (from 0) of a captured message, with its bytes."""
    path = _path(folder, name)
    if path is None:
        return None
    parts = list(_parse(path).iter_attachments())
    if not 0 <= index < len(parts):
        return None
    p = parts[index]
    data = p.get_payload(decode=True) or b""
    return MailPart(p.get_filename() or f"part-{index + 1}", p.get_content_type(), len(data)), data
