"""What every table module shares: the time, ids, ISO dates and the widest integer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

# The largest value every Integer column holds: PostgreSQL's int4, narrower than SQLite's.
INT_MAX = 2**31 - 1


def now() -> datetime:
    """The current UTC time (timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random identifier for rows that appear in URLs."""
    return uuid.uuid4().hex


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a UTC offset (SQLite drops tzinfo, so it is added back)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()
