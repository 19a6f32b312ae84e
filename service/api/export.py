"""Streamed downloads (CSV and the other export formats), gzipped on request."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator

from flask import Response

GZIP_WINDOW = 16 + zlib.MAX_WBITS


def gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Compress a stream of chunks into one gzip member."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, GZIP_WINDOW)
    for chunk in chunks:
        if packed := compressor.compress(chunk):
            yield packed
    yield compressor.flush()


def csv_response(
    chunks: Iterator[bytes], close: Callable[[], None], filename: str, compress: bool
) -> Response:
    """Stream CSV chunks as a download (gzipped when asked), calling `close` at the end."""
    return file_response(chunks, close, filename, "text/csv; charset=utf-8; header=present",
                         compress)  # fmt: skip


def file_response(
    chunks: Iterator[bytes],
    close: Callable[[], None],
    filename: str,
    content_type: str,
    compress: bool,
) -> Response:
    """Stream a file's chunks as a download (gzipped when asked), calling `close` at the end."""
    if compress:
        chunks, filename, content_type = gzipped(chunks), filename + ".gz", "application/gzip"
    response = Response(chunks, mimetype=content_type.split(";")[0])
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.call_on_close(close)
    return response
