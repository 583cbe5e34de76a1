"""Instants written as text: a day as messages quote it, an instant as ISO 8601.

A submission writes five of them (its history event's due date, its webhook's three instants,
its messages' two days); `datetime`'s own formatting parses a format for each field."""

from __future__ import annotations

from datetime import UTC, datetime

# "00" to "99", read instead of formatted.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def day(moment: datetime) -> str:
    """`moment.strftime("%d/%m/%Y")` (the year unpadded, as C's `%Y` writes it)."""
    return f"{_TWO_DIGITS[moment.day]}/{_TWO_DIGITS[moment.month]}/{moment.year}"


def isoformat(moment: datetime) -> str:
    """`moment.isoformat()`, written out for an instant in UTC past the year 999 (every
    instant the app makes); any other as `isoformat` writes it."""
    if moment.tzinfo is not UTC or moment.year < 1000:
        return moment.isoformat()
    two = _TWO_DIGITS
    microsecond = moment.microsecond
    # Microseconds as six digits, shown only when not zero (as `isoformat` does).
    fraction = f".{str(microsecond + 1_000_000)[1:]}" if microsecond else ""
    return (
        f"{moment.year}-{two[moment.month]}-{two[moment.day]}"
        f"T{two[moment.hour]}:{two[moment.minute]}:{two[moment.second]}{fraction}+00:00"
    )
