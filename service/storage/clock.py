"""Timestamps: always aware UTC in, always aware UTC out (SQLite hands back naive ones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def later(seconds: float) -> datetime:
    """Return the time `seconds` from now."""
    return now() + timedelta(seconds=seconds)


def as_utc(moment: datetime | None) -> datetime | None:
    """Mark a naive timestamp read back from SQLite as the UTC it was written in."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
