"""Backups: `dyad db backup FILE` and `dyad db restore FILE`, for SQLite and PostgreSQL.

The database is the source of truth (the broker only delivers, and the reconciler re-publishes
whatever a restored database still has to code), so one file holds everything worth keeping.
SQLite is copied with its online backup API: one consistent snapshot, even while the service
writes. PostgreSQL goes through pg_dump's custom format and back through pg_restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Connection, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from service.storage.engine import get_engine, normalise_url
from service.storage.migrate import head_revision, revisions
from service.storage.tables import metadata

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # the custom format's signature
BACKUP_KINDS = {"sqlite": "SQLite backup", "postgresql": "PostgreSQL backup (pg_dump)"}
DATABASE_KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
VERSION_TABLE = "alembic_version"
SQLITE_TIMEOUT_SECONDS = 30

Counts = dict[str, int]
Facts = tuple[str, Counts]  # a database's Alembic revision and its rows per table


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is one line for the user."""


def backup(url: str, target: Path) -> str:
    """Write a backup of the database at `url` to `target`; return a one-line summary."""
    url = normalise_url(url)
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the backup a file name")
    if is_sqlite(url):
        revision, counts = backup_sqlite(sqlite_path(url), target)
    else:
        revision, counts = backup_postgres(url, target)
    return f"backed up {shown(url)} to {target}: {describe(revision, counts)}"


def restore(url: str, source: Path) -> str:
    """Replace the database at `url` with the backup in `source`; return a one-line summary."""
    url = normalise_url(url)
    kind, wanted = backup_kind(source), "sqlite" if is_sqlite(url) else "postgresql"
    if kind != wanted:
        raise BackupError(f"{source} is a {BACKUP_KINDS[kind]}, but the configured database "
                          f"is {DATABASE_KINDS[wanted]}")  # fmt: skip
    if is_sqlite(url):
        revision, counts = restore_sqlite(source, sqlite_path(url))
    else:
        revision, counts = restore_postgres(source, url)
    summary = f"restored {shown(url)} from {source}: {describe(revision, counts)}"
    if revision != head_revision():
        summary += f"; run `dyad db upgrade` to bring it to {head_revision()}"
    return summary


# --- checks and summaries shared by both databases -------------------------------------------


def is_sqlite(url: str) -> bool:
    """Tell whether `url` names a SQLite database."""
    return url.startswith("sqlite")


def shown(url: str) -> str:
    """Name the database for the user: a SQLite file's path, else the URL without password."""
    if is_sqlite(url):
        return str(sqlite_path(url))
    return make_url(url).render_as_string(hide_password=True)


def describe(revision: str, counts: Counts) -> str:
    """Summarise a database: its revision and the rows of each table."""
    rows = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    return f"revision {revision}; rows: {rows}"


def backup_kind(source: Path) -> str:
    """Tell a SQLite backup from a pg_dump archive by its first bytes."""
    try:
        with source.open("rb") as handle:
            start = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"no such file: {source}") from None
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror}") from None
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{source} is not a Dyad backup (neither SQLite nor a pg_dump archive)")


def check_revision(revision: str | None, source: Path) -> str:
    """Accept a backup at a revision this version knows; refuse one it cannot run or upgrade."""
    if revision is None:
        raise BackupError(f"{source} is not a Dyad backup: it has no Alembic revision")
    if revision not in revisions():
        raise BackupError(f"{source} is at revision {revision}, which this version of Dyad does "
                          f"not know (its newest is {head_revision()}): restore it with the "
                          "version that wrote it")  # fmt: skip
    return revision


def check_replaceable(tables: set[str], name: str) -> None:
    """Refuse to overwrite a database that holds tables but is not Dyad's."""
    if tables and VERSION_TABLE not in tables:
        raise BackupError(f"{name} holds tables but is not a Dyad database: not overwriting it")


def table_facts(rows_of: Callable[[str], list[Any]], tables: set[str]) -> tuple[str | None, Counts]:
    """Return the revision and the rows of each Dyad table among `tables`, via `rows_of(sql)`."""
    revision = None
    if VERSION_TABLE in tables:
        found = rows_of(f"SELECT version_num FROM {VERSION_TABLE}")
        revision = found[0][0] if found else None
    counts = {name: rows_of(f'SELECT count(*) FROM "{name}"')[0][0]
              for name in metadata.tables if name in tables}  # fmt: skip
    return revision, counts


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """Yield a scratch file beside `target`, moved onto it only when the block succeeds."""
    # A failed or interrupted backup must neither leave half a file nor clobber the last one.
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                        dir=target.parent)  # fmt: skip
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror}") from None
    os.close(handle)
    scratch = Path(name)
    try:
        yield scratch
        scratch.replace(target)
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror}") from None
    finally:
        scratch.unlink(missing_ok=True)


# --- SQLite: the online backup API, both ways --------------------------------------------------


def sqlite_path(url: str) -> Path:
    """Return the file of a SQLite URL; refuse an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the configured SQLite database is not a plain file")
    return Path(database)


def sqlite_tables(connection: sqlite3.Connection) -> set[str]:
    """Return the names of a SQLite database's own tables."""
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def sqlite_facts(connection: sqlite3.Connection) -> tuple[str | None, Counts]:
    """Return a SQLite database's revision and rows per table."""
    return table_facts(lambda sql: connection.execute(sql).fetchall(), sqlite_tables(connection))


def backup_sqlite(database: Path, target: Path) -> Facts:
    """Copy a live SQLite database into `target` as one self-contained file."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    if target.resolve() == database.resolve():
        raise BackupError(f"{target} is the database itself: give the backup another file")
    try:
        with closing(sqlite3.connect(database, timeout=SQLITE_TIMEOUT_SECONDS)) as source:
            if sqlite_facts(source)[0] is None:
                raise BackupError(f"{database} is not a Dyad database: it has no Alembic revision")
            with staged(target) as scratch, closing(sqlite3.connect(scratch)) as copy:
                # All pages in one step: one read transaction, so one consistent snapshot.
                source.backup(copy)
                # The copy inherits WAL mode; a rollback journal keeps it to a single file.
                copy.execute("PRAGMA journal_mode=DELETE")
                revision, counts = sqlite_facts(copy)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {database}: {error}") from None
    return str(revision), counts


def restore_sqlite(source: Path, database: Path) -> Facts:
    """Check a SQLite backup, then copy it over the configured database."""
    if source.resolve() == database.resolve():
        raise BackupError(f"{source} is the configured database itself")
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup_file:
        try:
            revision = sqlite_facts(backup_file)[0]
        except sqlite3.Error as error:
            raise BackupError(f"{source} is not a Dyad backup: {error}") from None
        revision = check_revision(revision, source)
        return revision, copy_sqlite_over(backup_file, database)


def copy_sqlite_over(backup_file: sqlite3.Connection, database: Path) -> Counts:
    """Copy a backup over a Dyad (or empty) database through SQLite's locks; count the rows."""
    with closing(open_sqlite_target(database)) as target:
        try:
            check_replaceable(sqlite_tables(target), str(database))
        except sqlite3.DatabaseError:
            raise BackupError(f"{database} is not a SQLite database: not overwriting it") from None
        try:
            # Unlike copying the file, this cannot leave the old database's WAL to be replayed
            # onto the new one, and it waits for the service's writers instead of racing them;
            # connections the service holds open read the restored pages.
            backup_file.backup(target)
            return sqlite_facts(target)[1]
        except sqlite3.Error as error:
            raise BackupError(f"cannot restore into {database}: {error}") from None


def open_sqlite_target(database: Path) -> sqlite3.Connection:
    """Open (creating it and its folder if need be) the SQLite database to restore into."""
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(database, timeout=SQLITE_TIMEOUT_SECONDS)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"cannot write {database}: {error}") from None


# --- PostgreSQL: pg_dump's custom format and pg_restore ----------------------------------------


def client_tool(name: str) -> str:
    """Return the path of a PostgreSQL client program, or refuse when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client tools "
                          "(the server's major version or newer)")  # fmt: skip
    return path


def libpq_connection(url: str) -> tuple[str, dict[str, str]]:
    """Turn a SQLAlchemy URL into a libpq connection string and an environment with the password."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    options = {"host": parsed.host, "port": parsed.port, "dbname": parsed.database,
               "user": parsed.username, **parsed.query}  # fmt: skip
    environment = dict(os.environ)
    if parsed.password is not None:
        # In the environment, not in the arguments, where `ps` would show it to every user.
        environment["PGPASSWORD"] = parsed.password
    given = {key: str(value) for key, value in options.items() if value is not None}
    return make_conninfo("", **given), environment


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a failed connection or query into one line naming the database."""
    try:
        yield
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0]
        raise BackupError(f"database error on {shown(url)}: {reason}") from None


def postgres_facts(connection: Connection) -> tuple[str | None, Counts]:
    """Return a PostgreSQL database's revision and rows per table."""
    tables = set(inspect(connection).get_table_names())
    return table_facts(lambda sql: connection.exec_driver_sql(sql).all(), tables)


def error_line(stderr: str, program: str) -> str:
    """Pick the line of a client program's error output that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return line.removeprefix(f"{program}: ").removeprefix("error: ")
    return lines[0] if lines else "no message"


def backup_postgres(url: str, target: Path) -> Facts:
    """Dump the database with pg_dump, in the snapshot its row counts were taken in."""
    pg_dump = client_tool("pg_dump")
    conninfo, environment = libpq_connection(url)
    with database_errors(url), get_engine(url).connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads this transaction's snapshot, so the summary describes the file.
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            revision, counts = postgres_facts(connection)
            if revision is None:
                raise BackupError(f"{shown(url)} is not a Dyad database: it has no revision")
            with staged(target) as scratch:
                command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password",
                           f"--file={scratch}", f"--dbname={conninfo}"]  # fmt: skip
                run_client(command, environment)
    return revision, counts


def run_client(command: list[str], environment: dict[str, str]) -> str:
    """Run a client program; return its output, or raise its error as one line."""
    finished = subprocess.run(command, env=environment, capture_output=True, text=True,
                              check=False)  # fmt: skip
    if finished.returncode != 0:
        program = Path(command[0]).name
        raise BackupError(f"{program} failed: {error_line(finished.stderr, program)}")
    return finished.stdout


def archive_revision(source: Path, environment: dict[str, str]) -> str | None:
    """Read the Alembic revision out of a pg_dump archive, without touching a database."""
    command = [client_tool("pg_restore"), "--data-only", f"--table={VERSION_TABLE}", "--file=-",
               str(source.resolve())]  # fmt: skip
    try:
        lines = run_client(command, environment).splitlines()
    except BackupError as error:
        raise BackupError(f"{source} is not a readable pg_dump archive ({error})") from None
    for index, line in enumerate(lines[:-1]):
        if line.startswith("COPY ") and f".{VERSION_TABLE} " in line:
            value = lines[index + 1]
            return None if value == "\\." else value
    return None


def restore_postgres(source: Path, url: str) -> Facts:
    """Replace the database's Dyad tables with an archive's, in one transaction."""
    pg_restore, psql = client_tool("pg_restore"), client_tool("psql")
    conninfo, environment = libpq_connection(url)
    revision = check_revision(archive_revision(source, environment), source)
    engine = get_engine(url)
    with database_errors(url):
        check_replaceable(set(inspect(engine).get_table_names()), shown(url))
    script = [pg_restore, "--clean", "--if-exists", "--no-owner", "--file=-",
              str(source.resolve())]  # fmt: skip
    loader = [psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
              f"--dbname={conninfo}", "--file=-"]  # fmt: skip
    load_in_one_transaction(script, loader, environment)
    with database_errors(url), engine.connect() as connection:
        counts = postgres_facts(connection)[1]
    return revision, counts


def load_in_one_transaction(
    script: list[str], loader: list[str], environment: dict[str, str]
) -> None:
    """Feed pg_restore's SQL to psql inside one transaction, committed only if both succeed."""
    # pg_restore --clean drops only what the archive holds: a table of a newer revision would
    # outlive the restore of an older backup, and `dyad db upgrade` could not create it again.
    dyad_tables = ", ".join([VERSION_TABLE, *metadata.tables])
    opening = f"BEGIN;\nDROP TABLE IF EXISTS {dyad_tables} CASCADE;\n".encode()
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as loader_errors:
        producer = subprocess.Popen(script, stdout=subprocess.PIPE, stderr=script_errors,
                                    env=environment)  # fmt: skip
        consumer = subprocess.Popen(loader, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=loader_errors, env=environment)  # fmt: skip
        relay(producer, consumer, opening)
        failures = [(consumer.wait(), loader[0], loader_errors),
                    (producer.wait(), script[0], script_errors)]  # fmt: skip
        for status, command, errors in failures:
            if status != 0:
                program = Path(command).name
                errors.seek(0)
                reason = error_line(errors.read().decode(errors="replace"), program)
                raise BackupError(f"{program} failed, the database is unchanged: {reason}")


def relay(producer: subprocess.Popen[bytes], consumer: subprocess.Popen[bytes],
          opening: bytes) -> None:  # fmt: skip
    """Feed `opening`, then the producer's output, to the consumer; COMMIT if all went well."""
    source, sink = cast(IO[bytes], producer.stdout), cast(IO[bytes], consumer.stdin)
    try:
        sink.write(opening)
        shutil.copyfileobj(source, sink)
        # Without the COMMIT, psql reaches the end of its input inside the transaction and
        # disconnects: the server rolls everything back.
        if producer.wait() == 0:
            sink.write(b"COMMIT;\n")
    except BrokenPipeError:
        pass  # psql stopped at an error (ON_ERROR_STOP); its own message says which
    finally:
        source.close()
        with suppress(BrokenPipeError):
            sink.close()
