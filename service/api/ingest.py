"""Reading submitted articles from JSON, NDJSON and uploaded files, item by item."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath
from typing import Any

from flask import Request, current_app
from flask_smorest import abort
from marshmallow import ValidationError
from werkzeug.datastructures import FileStorage

from schemas.articles import ArticleIn, BatchIn
from service.storage.jobs import NewArticle

JSON_TYPES = frozenset(("application/json",))
NDJSON_TYPES = frozenset(("application/x-ndjson", "application/jsonl", "application/x-jsonlines"))
MULTIPART_TYPES = frozenset(("multipart/form-data",))
TEXT_SUFFIXES = frozenset((".txt", ".text"))
HTML_SUFFIXES = frozenset((".html", ".htm"))
# Known CSV columns map to article fields; any other column is kept in `metadata`.
CSV_FIELDS = frozenset(ArticleIn().fields)


@dataclass
class Batch:
    """Items read from a request: the accepted articles and the refused ones, with reasons."""

    accepted: list[NewArticle] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, raw: Any, label: str | None = None) -> None:
        """Check one raw item and file it as accepted or rejected."""
        index = self.count
        self.count += 1
        self.check_size()
        try:
            self.accepted.append(load_article(raw))
        except ValidationError as error:
            self.refuse(index, error.messages, label)

    def refuse(self, index: int, reason: Any, label: str | None = None) -> None:
        """Record a refused item."""
        entry: dict[str, Any] = {"index": index, "reason": reason}
        if label:
            entry["file"] = label
        self.rejected.append(entry)

    def refuse_next(self, reason: Any, label: str | None = None) -> None:
        """Record a refused item that could not even be read."""
        self.refuse(self.count, reason, label)
        self.count += 1
        self.check_size()

    def check_size(self) -> None:
        """Answer 413 once the request holds more items than a batch may."""
        if self.count > current_app.config["MAX_BATCH_ARTICLES"]:
            abort(413, message=f"More than {current_app.config['MAX_BATCH_ARTICLES']} articles.")


@cache
def article_schema() -> ArticleIn:
    """Return one ArticleIn per process: building a schema costs more than loading an item."""
    return ArticleIn()


class TooLong(ValidationError):
    """An article's text is over the configured limit (413 on its own, a refusal in a batch)."""


def load_article(raw: Any) -> NewArticle:
    """Validate one raw item into a NewArticle; raise ValidationError with field messages."""
    data = article_schema().load(raw)
    limit = current_app.config["MAX_ARTICLE_CHARS"]
    if len(data["text"]) > limit:
        raise TooLong({"text": [f"Longer than the limit of {limit} characters."]})
    client_id = data.pop("id")
    return NewArticle(client_id=client_id, **data)


def decode_body(raw: bytes) -> str:
    """Decode a request body as UTF-8 (a BOM is allowed), or answer 400."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        abort(400, message="The body is not valid UTF-8.")
    raise AssertionError("unreachable")


def refuse_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which are not JSON and could not be written back as JSON."""
    raise ValueError(f"{name} is not a JSON number")


def finite_float(text: str) -> float:
    """Parse a JSON number, refusing one too large for a float (1e999), which is Infinity."""
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text[:40]} is too large for a number")
    return number


def loads(text: str) -> Any:
    """Parse strict JSON: no NaN or Infinity, whether written as such or as a huge number."""
    return json.loads(text, parse_constant=refuse_constant, parse_float=finite_float)


def parse_json(text: str) -> Any:
    """Parse JSON text, answering 400 for anything malformed, however deep."""
    try:
        return loads(text)
    except (ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        abort(400, message=f"Malformed JSON: {reason}")
    raise AssertionError("unreachable")


def body_bytes(request: Request) -> bytes:
    """Read the whole body; answer 413 when a body without a length runs past the limit."""
    data = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit and len(data) >= limit:
        # Werkzeug stops a chunked body at the limit without a word; one more read tells.
        request.stream.read(1)
    return data


def json_body(request: Request) -> Any:
    """Return the request's JSON body, or answer 415 (not JSON) or 400 (malformed)."""
    if request.mimetype not in JSON_TYPES:
        abort(415, message="Send the body as application/json.")
    return parse_json(decode_body(body_bytes(request)))


def read_batch(request: Request) -> Batch:
    """Read a batch from JSON, NDJSON or a multipart upload; answer 415 for anything else."""
    batch = Batch()
    if request.mimetype in JSON_TYPES:
        add_json_batch(batch, parse_json(decode_body(body_bytes(request))))
    elif request.mimetype in NDJSON_TYPES:
        add_lines(batch, decode_body(body_bytes(request)), None)
    elif request.mimetype in MULTIPART_TYPES:
        add_uploads(batch, request)
    else:
        abort(415, message="Send application/json, application/x-ndjson or multipart/form-data.")
    return batch


def add_json_batch(batch: Batch, body: Any) -> None:
    """Add the items of {"articles": [...]}; answer 422 for any other shape."""
    try:
        data = BatchIn().load(body)
    except ValidationError as error:
        abort(422, errors={"json": error.messages})
    for raw in data["articles"]:
        batch.add(raw)


def add_lines(batch: Batch, text: str, label: str | None) -> None:
    """Add one article per non-blank JSON line."""
    # Only \n ends a line: splitlines() would also split on U+2028 and others, which may sit
    # unescaped inside a JSON string.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            raw = loads(line)
        except (ValueError, RecursionError):
            batch.refuse_next(f"line {number}: malformed JSON", label)
            continue
        batch.add(raw, label)


def add_uploads(batch: Batch, request: Request) -> None:
    """Add the articles of every uploaded file."""
    uploads = [upload for key in request.files for upload in request.files.getlist(key)]
    if not uploads:
        abort(422, message="The upload holds no files.", errors={"files": ["No file uploaded."]})
    for upload in uploads:
        add_file(batch, upload)


def add_file(batch: Batch, upload: FileStorage) -> None:
    """Add the articles of one uploaded file, by its extension."""
    label = upload.filename or "upload"
    suffix = PurePath(label).suffix.lower()
    try:
        content = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        batch.refuse_next("the file is not valid UTF-8", label)
        return
    if suffix in TEXT_SUFFIXES | HTML_SUFFIXES:
        batch.add({"text": content, "id": label}, label)
    elif suffix in (".jsonl", ".ndjson"):
        add_lines(batch, content, label)
    elif suffix == ".json":
        add_json_file(batch, content, label)
    elif suffix == ".csv":
        add_csv(batch, content, label)
    else:
        batch.refuse_next(f"unsupported file type {suffix or '(none)'!r}", label)


def add_json_file(batch: Batch, content: str, label: str) -> None:
    """Add one article, a list of them, or {"articles": [...]} from a .json file."""
    try:
        body = loads(content)
    except (ValueError, RecursionError):
        batch.refuse_next("malformed JSON", label)
        return
    if isinstance(body, dict) and set(body) == {"articles"} and isinstance(body["articles"], list):
        body = body["articles"]
    for raw in body if isinstance(body, list) else [body]:
        batch.add(raw, label)


def add_csv(batch: Batch, content: str, label: str) -> None:
    """Add one article per CSV row; a file the csv module cannot read is refused from there."""
    try:
        for raw in csv_items(content):
            batch.add(raw, label)
    except csv.Error as error:
        batch.refuse_next(f"unreadable CSV: {error}", label)


def csv_items(content: str) -> Iterator[dict[str, Any]]:
    """Yield one raw article per CSV row; columns other than the article fields go to metadata."""
    csv.field_size_limit(current_app.config["MAX_ARTICLE_CHARS"] + 1)
    for row in csv.DictReader(io.StringIO(content, newline="")):
        raw: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, value in row.items():
            if name is None:  # cells beyond the header
                extra["_extra_cells"] = value
            elif name in CSV_FIELDS and name != "metadata":
                if value not in ("", None):
                    raw[name] = value
            else:
                extra[name] = value
        if extra:
            raw["metadata"] = extra
        yield raw
