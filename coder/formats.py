"""Write layout rows as csv, tsv, jsonl, json or parquet, streamed in constant memory.

csv and tsv cells that a spreadsheet would run as a formula (starting with = + - @ or a tab or
carriage return) get a leading apostrophe, as the service's CSV does; numbers are written as
numbers and never touched. Lists of values (a merged event's article ids) are joined with ";",
and nested values (PLOVER's actors and place) are JSON text in csv, tsv and parquet; json and
jsonl keep both as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from itertools import islice
from typing import IO, Any

TEXT_FORMATS = ("csv", "tsv", "jsonl", "json")
FORMATS = (*TEXT_FORMATS, "parquet")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
# A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PARQUET_BATCH_ROWS = 10_000

Row = Sequence[Any]


def spreadsheet_safe(value: Any) -> Any:
    """Prefix a formula-like text cell with an apostrophe; leave other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def flat_cell(value: Any) -> Any:
    """Join a list of values with ";", write other nested values as JSON text and a boolean
    as true/false; keep the rest."""
    if isinstance(value, list) and not any(isinstance(item, dict | list) for item in value):
        return ";".join(str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def delimited_lines(columns: Sequence[str], rows: Iterable[Row], delimiter: str) -> Iterator[str]:
    """Yield a header line and one line per row, csv-quoted, formula cells neutralised."""
    buffer = _LineBuffer()
    # With \r\n as its terminator the csv module quotes every cell holding a \r, not only a \n:
    # every reader ends a row at a bare \r, and what followed it would start a new row with an
    # unguarded cell. The lines still end in \n.
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.take_line()
    for row in rows:
        writer.writerow([spreadsheet_safe(flat_cell(value)) for value in row])
        yield buffer.take_line()


class _LineBuffer:
    """A write-only text sink that hands back what was written since the last take."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        """Collect text written by csv.writer."""
        self.parts.append(text)
        return len(text)

    def take_line(self) -> str:
        """Return and forget the row written since the last take, ending it in \n, not \r\n."""
        text = "".join(self.parts)
        self.parts.clear()
        return text.removesuffix("\r\n") + "\n"


def json_lines(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """Yield one JSON object per row."""
    for row in rows:
        yield json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n"


def json_array(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """Yield a JSON array of objects, piece by piece."""
    yield "["
    for index, line in enumerate(json_lines(columns, rows)):
        yield ("," if index else "") + "\n" + line.rstrip("\n")
    yield "\n]\n"


def text_chunks(fmt: str, columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """Yield the text of a csv, tsv, jsonl or json file."""
    if fmt == "csv":
        return delimited_lines(columns, rows, ",")
    if fmt == "tsv":
        return delimited_lines(columns, rows, "\t")
    if fmt == "jsonl":
        return json_lines(columns, rows)
    if fmt == "json":
        return json_array(columns, rows)
    raise ValueError(f"not a text format: {fmt!r}")


def write_parquet(
    columns: Sequence[str],
    rows: Iterable[Row],
    sink: IO[bytes] | str,
    types: Mapping[str, str] | None = None,
) -> int:
    """Write rows to a parquet file; return how many were written."""
    written = 0
    with open(sink, "wb") if isinstance(sink, str) else nullcontext(sink) as handle:
        for chunk, count in parquet_batches(columns, rows, types):
            handle.write(chunk)
            written += count
    return written


def parquet_chunks(
    columns: Sequence[str], rows: Iterable[Row], types: Mapping[str, str] | None = None
) -> Iterator[bytes]:
    """Yield a parquet file's bytes, a row group at a time (for streamed downloads)."""
    for chunk, _ in parquet_batches(columns, rows, types):
        yield chunk


def parquet_batches(
    columns: Sequence[str], rows: Iterable[Row], types: Mapping[str, str] | None = None
) -> Iterator[tuple[bytes, int]]:
    """Yield (bytes, rows) per row group of one schema; the last chunk closes the file.

    `types` names the int, float and bool columns; every other column is text.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
    kinds = [(types or {}).get(name, "str") for name in columns]
    schema = pa.schema([(name, arrow[kind]) for name, kind in zip(columns, kinds, strict=True)])
    sink = _ByteSink()
    iterator = iter(rows)
    writer = pq.ParquetWriter(sink, schema)
    try:
        while batch := list(islice(iterator, PARQUET_BATCH_ROWS)):
            columns_of_cells = zip(*(typed_row(row, kinds) for row in batch), strict=True)
            arrays = [
                pa.array(list(cells), type=field.type)
                for cells, field in zip(columns_of_cells, schema, strict=True)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            yield sink.take(), len(batch)
    finally:
        writer.close()
    yield sink.take(), 0


class _ByteSink:
    """A write-only binary sink that hands back what was written since the last take."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.closed = False

    def write(self, data: bytes) -> int:
        """Collect bytes written by the parquet writer."""
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes are taken by the caller."""

    def take(self) -> bytes:
        """Return and forget the collected bytes."""
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def typed_row(row: Row, kinds: Sequence[str]) -> list[Any]:
    """Convert every cell of a row to its column's type."""
    return [converted(value, kind) for value, kind in zip(row, kinds, strict=True)]


def converted(value: Any, kind: str) -> Any:
    """Convert a cell to its column's type (text for nested values too), keeping None."""
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(flat_cell(value))
