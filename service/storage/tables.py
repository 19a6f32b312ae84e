"""The tables. SQL is the source of truth for every job, article and event."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

# Named constraints, so that Alembic can alter them later on SQLite and PostgreSQL alike.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

REJECTIONS_KEPT = 100
# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", Timestamp, nullable=False, index=True),
    Column("n_articles", Integer, nullable=False),
    # Items refused at submission: how many, and the first REJECTIONS_KEPT as JSON
    # [{"index": …, "reason": …}] (the POST's answer listed them all).
    Column("n_rejected", Integer, nullable=False, default=0),
    Column("rejected", Text, nullable=False),
    # Running counts of the job's articles by state, moved in the same transaction as each
    # article's own state (service/storage/work.py), so that reading a job is one row.
    Column("n_running", Integer, nullable=False, default=0),
    Column("n_coded", Integer, nullable=False, default=0),
    Column("n_failed", Integer, nullable=False, default=0),
    Column("n_events", Integer, nullable=False, default=0),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    # The API key that created the job (NULL when access control is off): only it, and admin
    # keys, may read the job, its articles and their events.
    Column("owner", String(32), index=True),
)

articles = Table(
    "articles",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # sha256 of the normalised text and url: re-uploading the same article finds this row.
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("client_id", String(200)),
    Column("title", Text),
    Column("url", Text),
    Column("source", String(200)),
    Column("published_at", String(40)),
    Column("language", String(20)),
    Column("metadata", Text),
    Column("text", Text, nullable=False),
    # queued → running → coded | failed
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("publishes", Integer, nullable=False, default=0),
    Column("lease_expires_at", Timestamp, nullable=False),
    # Fences a stale execution: only the holder of the current token may write results.
    Column("lease_token", String(32)),
    Column("error", Text),
    Column("n_events", Integer),
    Column("created_at", Timestamp, nullable=False),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    Index("ix_articles_status_lease", "status", "lease_expires_at"),
)

job_articles = Table(
    "job_articles",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("article_id", BigId, ForeignKey("articles.id"), nullable=False, index=True),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("article_id", BigId, ForeignKey("articles.id"), nullable=False, index=True),
    # Stable per (article, sentence, triple): a task run twice cannot leave two copies.
    Column("event_id", String(32), nullable=False, unique=True),
    Column("sentence_index", Integer, nullable=False),
    Column("sentence", Text, nullable=False),
    Column("source_code", String(40), nullable=False, index=True),
    Column("source_name", Text, nullable=False),
    Column("source_text", Text, nullable=False),
    Column("source_start", Integer),
    Column("source_end", Integer),
    Column("target_code", String(40), nullable=False, index=True),
    Column("target_name", Text, nullable=False),
    Column("target_text", Text, nullable=False),
    Column("target_start", Integer),
    Column("target_end", Integer),
    Column("event_code", String(4), nullable=False, index=True),
    Column("event_base_code", String(3), nullable=False),
    Column("event_root_code", String(2), nullable=False),
    Column("quad_class", SmallInteger, nullable=False),
    Column("goldstein", Float, nullable=False),
    Column("event_text", Text, nullable=False),
    Column("event_start", Integer),
    Column("event_end", Integer),
    Column("negated", Boolean, nullable=False),
    Column("hypothetical", Boolean, nullable=False),
    Column("future", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("date", String(32), nullable=False, index=True),
    Column("date_precision", String(8), nullable=False, server_default=""),
    Column("date_text", Text, nullable=False, server_default=""),
    Column("date_source", String(12), nullable=False, server_default=""),
    Column("location_name", Text, nullable=False),
    Column("location_country", String(2), nullable=False, server_default="", index=True),
    Column("admin1", String(20), nullable=False, server_default=""),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("geonameid", BigInteger),
    Column("location_precision", String(8), nullable=False, server_default=""),
    Column("location_reason", String(12), nullable=False, server_default=""),
    Column("coder_version", String(20), nullable=False),
    Column("dictionary_version", String(40), nullable=False),
)

# Bundle exports (POST /exports): built by a worker into DATA_DIR/exports/<id>.zip.
exports = Table(
    "exports",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(12), nullable=False, index=True),  # queued running done failed
    # The export's filters and options as JSON (ExportRequest's fields).
    Column("request", Text, nullable=False),
    Column("rows", BigInteger),
    Column("bytes", BigInteger),
    Column("error", Text),
    Column("created_at", Timestamp, nullable=False),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    Column("owner", String(32), index=True),  # the API key that asked for it, as for jobs
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    # sha256 of method, path and body: the same key with another request is refused.
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in events.columns if c.name != "id")

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    # sha256 of the secret: the secret itself is shown once, at creation, and never stored.
    Column("secret_hash", String(64), nullable=False, unique=True),
    # The secret's first characters, so that a listing can say which key is which.
    Column("prefix", String(16), nullable=False),
    Column("role", String(8), nullable=False),  # user | admin
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
)
