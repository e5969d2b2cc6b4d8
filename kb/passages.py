"""Split an article into passages: by heading, then by length; the title stays with each.

Only ATX headings (``#``..``######``) outside fenced code split sections;
an unclosed fence or other broken Markdown just stays text. Sections longer
than ``max_words`` are cut at paragraph, then sentence, then word boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_WORDS = 160  # all-MiniLM-L6-v2 reads 256 word pieces; title + heading + 160 words fit
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SENTENCE = re.compile(r"(?<=[.!?।。])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Passage:
    ordinal: int
    heading: str  # "Section › Subsection", "" before the first heading
    text: str  # the passage itself, lightly de-marked

    def indexed_text(self, title: str) -> str:
        """What is embedded and scored: the title and heading give the passage its context."""
        head = f"{title} — {self.heading}" if self.heading else title
        return f"{head}\n{self.text}"


def plain(line: str) -> str:
    """Drop the Markdown that only adds noise to search (links keep their text)."""
    line = _LINK.sub(r"\1", line)
    line = line.replace("**", "").replace("__", "").replace("`", "")
    return re.sub(r"^\s*>\s?", "", line)


def _sections(body: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False

    def close() -> None:
        heading = " › ".join(text for level, text in path if level > 1 or len(path) == 1)
        if any(line.strip() for line in lines):
            sections.append((heading, list(lines)))
        lines.clear()

    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            close()
            level = len(match.group(1))
            path = [(lv, tx) for lv, tx in path if lv < level] + [(level, plain(match.group(2)).strip())]
            continue
        if _TABLE_RULE.match(line) and "|" in line:
            continue
        lines.append(plain(line).rstrip())
    close()
    return sections


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _pieces(paragraph: str, max_words: int) -> list[str]:
    """A paragraph that is too long → sentences → word runs, each at most max_words."""
    if len(paragraph.split()) <= max_words:
        return [paragraph]
    out: list[str] = []
    for sentence in _SENTENCE.split(paragraph):
        words = sentence.split()
        for start in range(0, len(words), max_words):
            out.append(" ".join(words[start : start + max_words]))
    return out


def _chunks(pieces: list[str], max_words: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    count = 0
    for piece in pieces:
        n = len(piece.split())
        if current and count + n > max_words:
            chunks.append("\n\n".join(current))
            current, count = [], 0
        current.append(piece)
        count += n
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def split_passages(body: str, *, max_words: int = MAX_WORDS) -> list[Passage]:
    passages: list[Passage] = []
    for heading, lines in _sections(body):
        pieces = [p for para in _paragraphs(lines) for p in _pieces(para, max_words)]
        for chunk in _chunks(pieces, max_words):
            passages.append(Passage(len(passages), heading, chunk))
    if not passages and body.strip():
        passages.append(Passage(0, "", " ".join(body.split())[:4000]))
    return passages
