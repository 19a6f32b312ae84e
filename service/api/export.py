"""CSV export, streamed in constant memory and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Response

# A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 2000
GZIP_WINDOW = 16 + zlib.MAX_WBITS


def csv_chunks(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], text_columns: frozenset[str]
) -> Iterator[bytes]:
    """Yield the CSV (header first) in UTF-8 chunks; formula-like text cells get a leading '."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    guarded = [index for index, name in enumerate(columns) if name in text_columns]
    for count, row in enumerate(rows, start=1):
        cells = list(row)
        for index in guarded:
            value = cells[index]
            if value and value[0] in FORMULA_START:
                cells[index] = "'" + value
        writer.writerow(cells)
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    """Return the buffer's text as UTF-8 and empty it."""
    chunk = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return chunk


def gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Compress a stream of chunks into one gzip member."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, GZIP_WINDOW)
    for chunk in chunks:
        if packed := compressor.compress(chunk):
            yield packed
    yield compressor.flush()


def csv_response(chunks: Iterator[bytes], filename: str, compress: bool) -> Response:
    """Stream CSV chunks as a download, gzipped as a .csv.gz file when asked."""
    if compress:
        chunks, filename, mimetype = gzipped(chunks), filename + ".gz", "application/gzip"
    else:
        mimetype = "text/csv"
    response = Response(chunks, mimetype=mimetype)
    if not compress:
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
