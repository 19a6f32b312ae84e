"""Events as CSV, streamed in constant memory and safe to open in a spreadsheet.

PostgreSQL writes the CSV itself (`COPY (SELECT …) TO STDOUT`), several times faster than
formatting rows in Python; SQLite rows go through the csv module. Both read the same SELECT, in
which text cells that a spreadsheet would run as a formula already carry a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Integer,
    String,
    Text,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.sql.elements import ColumnElement

from coder.dedup import groups_of, merged_row
from coder.formats import FORMULA_START
from coder.record import RECORD_FIELDS
from service.storage.engine import read_connection
from service.storage.events import EventFilter
from service.storage.tables import articles, events

# Text the coder writes itself in a fixed form (hex ids, digit codes, ISO dates, versions) can
# never start with one; checking it would only slow the export.
GENERATED_TEXT = frozenset(
    ("event_id", "event_code", "event_base_code", "event_root_code", "date", "date_precision",
     "date_source", "location_country", "location_precision", "location_reason", "coder_version",
     "dictionary_version")
)  # fmt: skip
CHUNK_BYTES = 64 * 1024
ROWS_PER_FETCH = 5000


FORMULA_CODE_POINTS = tuple(ord(character) for character in FORMULA_START)


def spreadsheet_safe(column: Any, dialect: str) -> ColumnElement[str]:
    """Prefix a formula-like text cell with an apostrophe, so that it shows as text."""
    # Comparing the first code point as a number skips the collation that comparing a
    # one-character string would go through, for every cell (twice as fast on PostgreSQL).
    first = func.ascii(column) if dialect == "postgresql" else func.unicode(column)
    return case((first.in_(FORMULA_CODE_POINTS), literal("'") + column), else_=column)


def csv_cell(name: str, dialect: str) -> ColumnElement[Any]:
    """Return a column as it goes into the CSV: text made safe, booleans as true/false."""
    column = events.c[name]
    if isinstance(column.type, Boolean):
        expression = case((column, literal("true")), else_=literal("false"))
    elif isinstance(column.type, String | Text) and name not in GENERATED_TEXT:
        expression = spreadsheet_safe(column, dialect)
    else:
        expression = column
    return expression.label(name)


def export_query(where: EventFilter, columns: Sequence[str], dialect: str) -> Any:
    """Select the matching events' CSV cells in id order."""
    cells = [csv_cell(name, dialect) for name in columns]
    return select(*cells).where(*where.clauses()).order_by(events.c.id)


def csv_stream(
    engine: Engine, where: EventFilter, columns: Sequence[str]
) -> tuple[Iterator[bytes], Callable[[], None]]:
    """Connect now (an outage fails before the first byte); return the CSV chunks and a close.

    Call the close when the response closes: a HEAD request, or a client that leaves before
    the first chunk, never starts the generator, so its own clean-up would never run.
    """
    connection = checked_connection(engine)
    query = export_query(where, columns, engine.dialect.name)
    if engine.dialect.name == "postgresql":
        return _copied(connection, query), connection.close
    return _formatted(connection, query, columns), connection.close


def checked_connection(engine: Engine) -> Connection:
    """Connect and check the connection works, so an outage fails before the first byte."""
    connection = engine.connect()
    try:
        connection.exec_driver_sql("SELECT 1")
    except BaseException:
        connection.close()
        raise
    return connection


def gathered(chunks: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Gather small chunks (a row each) into blocks of about `size` bytes."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= size:
            yield bytes(buffer)
            buffer.clear()
    yield bytes(buffer)


def _copied(connection: Any, query: Any, delimiter: str = ",") -> Iterator[bytes]:
    """Let PostgreSQL write the CSV (or tab-separated) file with its header, in large chunks."""
    # Expand the IN lists now: COPY cannot take them as parameters at execution.
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    separator = "E'\\t'" if delimiter == "\t" else "','"
    statement = (
        f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER true, DELIMITER {separator})"
    )
    with connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(statement, compiled.params) as copy:
            yield from gathered(bytes(data) for data in copy)


def _formatted(connection: Any, query: Any, columns: Sequence[str]) -> Iterator[bytes]:
    """Format rows with the csv module, a fetch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # \r\n ends rows, so a \r inside a cell gets quoted
    writer.writerow(columns)
    with connection:
        result = connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query)
        for rows in result.partitions():
            writer.writerows(rows)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- records for the layouts: events joined with their article, in deduplication order ------

# What a layout or a merge reads from the event's article.
ARTICLE_FIELDS = ("url", "source", "published_at")


def article_columns() -> list[ColumnElement[Any]]:
    """Return what a record takes from its article: url, outlet, publication and ingest time."""
    return [*(articles.c[name] for name in ARTICLE_FIELDS),
            articles.c.created_at.label("date_added")]  # fmt: skip


def dedup_order(mode: str) -> list[ColumnElement[Any]]:
    """Return the ORDER BY that puts each merge group's rows next to each other, earliest first.

    It follows coder.dedup.sort_key: rows of one group are adjacent and in mention order.
    """
    published = func.coalesce(articles.c.published_at, events.c.date)
    dyad = [events.c.date, events.c.source_code, events.c.event_code, events.c.target_code]
    if mode == "story":
        return [events.c.article_id, *dyad, published, events.c.id]
    if mode == "day":
        return [*dyad, published, events.c.id]
    if mode == "cluster":
        source_root = func.substr(events.c.source_code, 1, 3)
        target_root = func.substr(events.c.target_code, 1, 3)
        first, second = (
            case((source_root <= target_root, source_root), else_=target_root),
            case((source_root <= target_root, target_root), else_=source_root),
        )
        coarse = case((events.c.date_precision == "day", 0), else_=1)
        return [first, second, events.c.event_root_code, coarse, events.c.date, published,
                events.c.id]  # fmt: skip
    return [events.c.id]


def records_query(where: EventFilter, mode: str) -> Any:
    """Select the matching events as records, with their article's fields, in merge order."""
    return (
        select(*(events.c[name] for name in RECORD_FIELDS), *article_columns())
        .join(articles, articles.c.id == events.c.article_id)
        .where(*where.clauses())
        .order_by(*dedup_order(mode))
    )


def record_stream(
    engine: Engine, where: EventFilter, mode: str
) -> tuple[Iterator[dict[str, Any]], Callable[[], None]]:
    """Connect now; return the matching events as records (with their article's url, source
    and publication date) in `dedup_order(mode)`, and a close for the response's end."""
    connection = checked_connection(engine)
    query = records_query(where, mode)

    def rows() -> Iterator[dict[str, Any]]:
        with connection:
            result = connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query)
            for row in result.mappings():
                yield dict(row)

    return rows(), connection.close


def merge_candidates(row: dict[str, Any], mode: str) -> list[ColumnElement[bool]]:
    """Return the clauses that narrow the events to those that could merge with `row`."""
    if mode == "none":
        return [events.c.event_id == row["event_id"]]
    same_codes = [
        events.c[name] == row[name] for name in ("source_code", "event_code", "target_code", "date")
    ]
    if mode == "story":
        return [events.c.article_id == row["article_id"], *same_codes]
    if mode == "day":
        return same_codes
    source_root = func.substr(events.c.source_code, 1, 3)
    target_root = func.substr(events.c.target_code, 1, 3)
    mine, other = row["source_code"][:3], row["target_code"][:3]
    return [
        events.c.event_root_code == row["event_root_code"],
        or_(and_(source_root == mine, target_root == other),
            and_(source_root == other, target_root == mine)),
    ]  # fmt: skip


def mention_group(
    engine: Engine, event_id: str, mode: str, where: EventFilter
) -> list[dict[str, Any]] | None:
    """Return the mentions merged with an event under a mode (and filters), earliest first;
    None when no matching event has that id."""
    columns = [events.c[name] for name in RECORD_FIELDS]
    with read_connection(engine) as connection:
        found = connection.execute(
            select(*columns).where(events.c.event_id == event_id, *where.clauses())
        ).mappings().first()
        if found is None:
            return None
        query = records_query(where, mode).where(*merge_candidates(dict(found), mode))
        candidates = [dict(row) for row in connection.execute(query).mappings()]
    for group in groups_of(candidates, mode):
        if any(mention["event_id"] == event_id for mention in group):
            return group
    return None


def copies_layout(
    engine: Engine, layout: str, fmt: str, mode: str, scheme: str | None = None
) -> bool:
    """Tell whether PostgreSQL can write this export itself (GDELT csv or tsv, nothing merged,
    standard quad classes)."""
    return (engine.dialect.name == "postgresql" and layout == "gdelt" and mode == "none"
            and fmt in ("csv", "tsv") and scheme in (None, "standard"))  # fmt: skip


def gdelt_copy_stream(
    engine: Engine, where: EventFilter, fmt: str
) -> tuple[Iterator[bytes], Callable[[], None]]:
    """Connect now; return the GDELT csv or tsv chunks PostgreSQL writes, and a close."""
    from service.storage.layout_sql import gdelt_query

    connection = checked_connection(engine)
    query = gdelt_query(where, lambda cell: spreadsheet_safe(cell, "postgresql"))
    return _copied(connection, query, "\t" if fmt == "tsv" else ","), connection.close


def cursor_values(order: list[ColumnElement[Any]], after: list[Any]) -> list[Any]:
    """Bind a page cursor's values with their sort expressions' types.

    Raises ValueError for a cursor that does not fit the order (one this service did not make).
    """
    if len(after) != len(order):
        raise ValueError("the cursor does not fit this deduplication mode")
    values = []
    for expression, value in zip(order, after, strict=True):
        kind = int if isinstance(expression.type, Integer | BigInteger) else str
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError("the cursor does not fit this deduplication mode")
        if (kind is int and not -(2**63) <= value < 2**63) or (kind is str and "\x00" in value):
            raise ValueError("the cursor holds a value no row can have")
        values.append(literal(value, type_=expression.type))
    return values


def merged_page(
    engine: Engine, where: EventFilter, mode: str, after: list[Any] | None, limit: int
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """Return up to `limit` merged events after the sort key `after`, and the next page's key.

    Pages end at group boundaries, so a cluster is never split: the next page starts at the
    first row after the last group, which is where a new group begins in the whole stream too.
    """
    order = dedup_order(mode)
    keys = [expression.label(f"_key{index}") for index, expression in enumerate(order)]
    query = records_query(where, mode).add_columns(*keys)
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(*cursor_values(order, after)))
    groups: list[list[dict[str, Any]]] = []
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query)
        try:
            for group in groups_of((dict(row) for row in result.mappings()), mode):
                groups.append(group)
                if len(groups) > limit:
                    break
        finally:
            result.close()  # a server-side cursor left open would outlive the page
    page = groups[:limit]
    next_after = [page[-1][-1][key.name] for key in keys] if len(groups) > limit else None
    return [merged_row(group) for group in page], next_after
