"""The one source of the current time, so tests and tasks can reason about deadlines."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
