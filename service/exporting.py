"""Event exports shared by the API and `dyad export`: streamed files and citable bundles.

An export is a filter, a layout, a format, a deduplication mode and a quad-class scheme. It
streams from the database in constant memory: PostgreSQL writes GDELT csv/tsv itself when
nothing is merged; everything else goes through coder.dedup and coder.layouts.

A bundle is a .zip for a paper's replication archive: the data file (and GDELT's mentions
table with the gdelt layout), codebook.md and codebook.json describing every column, and
provenance.json (coder and dictionary versions, filters, mode, row counts, when it was made,
and each data file's sha256).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from coder.dedup import merge
from coder.formats import parquet_chunks, text_chunks
from coder.layouts import Layout, layout_for
from service.storage.events import EventFilter
from service.storage.export import copies_layout, gathered, gdelt_copy_stream, record_stream


@dataclass(frozen=True)
class ExportRequest:
    """What to export and how."""

    where: EventFilter = field(default_factory=EventFilter)
    layout: str = "native"
    fmt: str = "csv"
    dedup: str = "none"
    scheme: str | None = None

    @property
    def filename(self) -> str:
        """Return the data file's name: events.<layout>.<format>."""
        return f"events.{self.layout}.{self.fmt}"


def export_chunks(
    engine: Engine, request: ExportRequest
) -> tuple[Iterator[bytes], Callable[[], None]]:
    """Connect now; return the export's bytes, in blocks, and a close for the end."""
    if copies_layout(engine, request.layout, request.fmt, request.dedup, request.scheme):
        return gdelt_copy_stream(engine, request.where, request.fmt)
    records, close = record_stream(engine, request.where, request.dedup)
    layout = layout_for(request.layout, merged=request.dedup != "none")
    rows = layout.rows(merge(records, request.dedup, presorted=True), request.scheme)
    return gathered(file_chunks(layout, request.fmt, rows)), close


def file_chunks(layout: Layout, fmt: str, rows: Iterable[list]) -> Iterator[bytes]:
    """Yield a file's bytes in a format."""
    if fmt == "parquet":
        return parquet_chunks(layout.columns, rows, layout.types)
    return (text.encode("utf-8") for text in text_chunks(fmt, layout.columns, rows))


# --- bundles ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What went into a data file: its rows, the versions that coded them, what was merged."""

    rows: int = 0
    coded_with: set[tuple[str, str]] = field(default_factory=set)
    merged_into: dict[str, str] = field(default_factory=dict)

    def note(self, records: Iterable[dict]) -> Iterator[dict]:
        """Pass records through, noting their coder versions and merges."""
        for record in records:
            self.coded_with.add((record["coder_version"], record["dictionary_version"]))
            for mention in record.get("mention_ids") or ():
                self.merged_into[mention] = record["event_id"]
            yield record

    def counted(self, rows: Iterable[list]) -> Iterator[list]:
        """Pass rows through, counting them."""
        for row in rows:
            self.rows += 1
            yield row


def write_bundle(engine: Engine, request: ExportRequest, target: Path) -> dict[str, Any]:
    """Write a bundle .zip to `target` and return its provenance."""
    with tempfile.TemporaryDirectory(prefix="dyad-bundle-") as scratch:
        folder = Path(scratch)
        tally = Tally()
        write_data(engine, request, folder / request.filename, tally)
        files = {request.filename: tally.rows}
        if request.layout == "gdelt":
            name = f"events.gdelt_mentions.{request.fmt}"
            files[name] = write_mentions(engine, request, folder / name, tally.merged_into)
        provenance = provenance_of(request, files, folder, tally)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name in files:
                bundle.write(folder / name, name)
            markdown, data = codebooks(request, files)
            bundle.writestr("codebook.md", markdown)
            bundle.writestr("codebook.json", json.dumps(data, indent=2, ensure_ascii=False))
            bundle.writestr("provenance.json", json.dumps(provenance, indent=2))
    return provenance


def write_data(engine: Engine, request: ExportRequest, path: Path, tally: Tally) -> None:
    """Write the export's data file, tallying its rows and versions."""
    records, close = record_stream(engine, request.where, request.dedup)
    layout = layout_for(request.layout, merged=request.dedup != "none")
    try:
        merged = tally.note(merge(records, request.dedup, presorted=True))
        rows = tally.counted(layout.rows(merged, request.scheme))
        write_file(path, file_chunks(layout, request.fmt, rows))
    finally:
        close()


def write_mentions(
    engine: Engine, request: ExportRequest, path: Path, merged_into: dict[str, str]
) -> int:
    """Write GDELT's mentions table: every coded mention, under the event it was merged into."""
    records, close = record_stream(engine, request.where, "none")
    layout = layout_for("gdelt_mentions", merged=False)
    tally = Tally()
    try:
        mentions = ({**r, "event_id": merged_into.get(r["event_id"], r["event_id"])}
                    for r in records)  # fmt: skip
        rows = tally.counted(layout.rows(mentions, request.scheme))
        write_file(path, file_chunks(layout, request.fmt, rows))
    finally:
        close()
    return tally.rows


def write_file(path: Path, chunks: Iterable[bytes]) -> None:
    """Write chunks to a file."""
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)


def sha256_of(path: Path) -> str:
    """Return a file's sha256, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(2**20):
            digest.update(block)
    return digest.hexdigest()


def file_facts(path: Path, rows: int) -> dict[str, Any]:
    """Return a data file's rows, size and sha256."""
    return {"rows": rows, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def provenance_of(
    request: ExportRequest, files: dict[str, int], folder: Path, tally: Tally
) -> dict[str, Any]:
    """Describe how the bundle was made, so that a dataset can be cited and rebuilt."""
    from coder.dictionaries import DATA_DIR, content_hash
    from coder.record import CODER_VERSION

    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "exported_by": {
            "coder_version": CODER_VERSION,
            "dictionary_version": content_hash(DATA_DIR),
        },
        "coded_with": [
            {"coder_version": coder, "dictionary_version": dictionaries}
            for coder, dictionaries in sorted(tally.coded_with)
        ],
        # Who asked is not a filter a reader of the dataset needs (nor should see).
        "filters": {
            name: value
            for name, value in asdict(request.where).items()
            if value is not None and name != "owner"
        },
        "layout": request.layout,
        "format": request.fmt,
        "dedup": request.dedup,
        "quad_scheme": request.scheme or layout_for(request.layout, False).default_scheme,
        "files": {name: file_facts(folder / name, rows) for name, rows in files.items()},
    }


def codebooks(request: ExportRequest, files: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """Return codebook.md and codebook.json: every column of every data file in the bundle."""
    from coder.layouts import column_codebook

    tables = []
    for name in files:
        layout_name = name.split(".")[1]
        layout = layout_for(layout_name, merged=request.dedup != "none")
        tables.append({"file": name, "layout": layout_name,
                       "columns": column_codebook(layout)})  # fmt: skip
    lines = [f"# Codebook: {request.filename}", "",
             f"Layout `{request.layout}`, format `{request.fmt}`, deduplication "
             f"`{request.dedup}`. Empty cells mean the coder has no value.", ""]  # fmt: skip
    for table in tables:
        lines += [f"## `{table['file']}`", "", "| column | type | description |",
                  "|---|---|---|"]  # fmt: skip
        lines += [f"| `{c['name']}` | {c['type']} | {c['description']} |" for c in table["columns"]]
        lines.append("")
    return "\n".join(lines), {"layout": request.layout, "format": request.fmt,
                               "dedup": request.dedup, "files": tables}  # fmt: skip
