"""Instants written as text by hand (`app.domain.instants`) read exactly as `datetime` writes
them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.domain import instants


def _moments() -> list[datetime]:
    draw = random.Random(8)
    start = datetime(1000, 1, 1, tzinfo=UTC)
    span = int((datetime(9999, 12, 31, tzinfo=UTC) - start).total_seconds())
    moments = [start + timedelta(seconds=draw.randrange(span)) for _ in range(2000)]
    moments += [m.replace(microsecond=draw.randrange(1_000_000)) for m in moments]
    moments += [m.replace(microsecond=us) for m in moments[:50] for us in (0, 1, 10, 999_999)]
    last = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    return [*moments, datetime(2026, 1, 1, tzinfo=UTC), last]


def test_an_instant_in_utc_is_written_as_isoformat_writes_it() -> None:
    for moment in _moments():
        assert instants.isoformat(moment) == moment.isoformat()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 2, 9, 0, 5, 120, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 3, 2, 9, 0, 5, tzinfo=timezone(timedelta(0), "UTC")),  # not `UTC` itself
        datetime(2026, 3, 2, 9, 0, 5, 120),  # naive
        datetime(999, 3, 2, 9, 0, 5, 120, tzinfo=UTC),  # a year of three digits
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_any_other_instant_is_written_by_isoformat(moment: datetime) -> None:
    assert instants.isoformat(moment) == moment.isoformat()


def test_a_day_is_written_as_strftime_writes_it() -> None:
    for moment in _moments():
        assert instants.day(moment) == moment.strftime("%d/%m/%Y")
