"""Read articles from the files the CLI accepts: text, HTML, JSON and JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEXT_SUFFIXES = frozenset({".txt", ".text", ".html", ".htm"})
JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})


class InputError(ValueError):
    """An input file or record cannot be read as an article; the message says where."""


@dataclass(frozen=True)
class Article:
    """One article to code."""

    id: str
    text: str
    published: str | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None


def read_inputs(
    names: list[str], stdin_text: str | None, published: str | None
) -> Iterator[Article]:
    """Yield the articles of every named input (`-` is standard input)."""
    for name in names:
        if name == "-":
            yield from read_stream(stdin_text or "", "<stdin>", None, published)
        else:
            yield from read_path(Path(name), published)


def read_path(path: Path, published: str | None) -> Iterator[Article]:
    """Yield the articles of one file, chosen by its suffix."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | JSON_SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix or '(none)'}")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if suffix in TEXT_SUFFIXES:
        yield text_article(content, path.stem, str(path), published)
    elif suffix == ".json":
        yield from json_articles(content, str(path), path.parent, published)
    else:
        yield from jsonl_articles(content, str(path), path.parent, published)


def read_stream(
    content: str, label: str, base: Path | None, published: str | None
) -> Iterator[Article]:
    """Yield the articles of standard input: JSON when it looks like JSON, else one text."""
    stripped = content.lstrip()
    if stripped.startswith("["):
        yield from json_articles(content, label, base, published)
    elif stripped.startswith("{"):
        yield from jsonl_articles(content, label, base, published)
    else:
        yield text_article(content, "stdin", label, published)


def text_article(content: str, article_id: str, label: str, published: str | None) -> Article:
    """Return a whole text or HTML file as one article."""
    if not content.strip():
        raise InputError(f"{label}: article has no text")
    return Article(id=article_id, text=content, published=published)


def json_articles(
    content: str, label: str, base: Path | None, published: str | None
) -> Iterator[Article]:
    """Yield the articles of a JSON document: a list, {"articles": [...]} or one object."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        raise InputError(f"{label}:{error.lineno}: invalid JSON ({error.msg})") from None
    if isinstance(data, dict):
        data = data.get("articles", [data])
    if not isinstance(data, list):
        raise InputError(f"{label}: expected a list of articles")
    for number, record in enumerate(data, start=1):
        yield record_article(record, f"{label}[{number}]", base, published)


def jsonl_articles(
    content: str, label: str, base: Path | None, published: str | None
) -> Iterator[Article]:
    """Yield the articles of a JSON Lines document, one object per line."""
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{label}:{number}: invalid JSON ({error.msg})") from None
        yield record_article(record, f"{label}:{number}", base, published)


def record_article(record: Any, label: str, base: Path | None, published: str | None) -> Article:
    """Build an article from one JSON object (`text`, or `file` relative to the input)."""
    if not isinstance(record, dict):
        raise InputError(f"{label}: expected a JSON object")
    text = record.get("text")
    if text is None and record.get("file") and base is not None:
        text = read_linked_file(base / str(record["file"]), label)
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{label}: article has no text")
    return Article(
        id=str(record.get("id") or label),
        text=text,
        published=record.get("published_at") or record.get("date") or published,
        title=record.get("title"),
        url=record.get("url"),
        source=record.get("source"),
    )


def read_linked_file(path: Path, label: str) -> str:
    """Read the text file a JSON record points to."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InputError(f"{label}: cannot read {path}") from None
