"""Statements on the fixed-window throttle counters: reading live windows, counting one (a new
window where the old one ended), counting one only under a limit (a CTE for a statement that
writes what the counter guards), holding a key until a moment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    DateTime,
    FromClause,
    Integer,
    String,
    Table,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.support import ThrottleCounter
from app.repositories import driver


async def live(
    session: AsyncSession, keys: Sequence[str], now: datetime
) -> list[tuple[str, int, datetime]]:
    """(key, count, window end) of those keys whose window is still open at `now`."""
    rows = await session.execute(
        select(ThrottleCounter.key, ThrottleCounter.count, ThrottleCounter.window_ends_at).where(
            ThrottleCounter.key.in_(keys), ThrottleCounter.window_ends_at > now
        )
    )
    return [(counter, count, ends) for counter, count, ends in rows.all()]


def _count_one(counter: str, ends: datetime, **on_conflict: Any) -> Insert:
    """Insert `counter` at one with a window ending at `ends`; an existing row takes
    `on_conflict` instead."""
    return (
        insert(ThrottleCounter)
        .values(key=counter, count=1, window_ends_at=ends)
        .on_conflict_do_update(index_elements=[ThrottleCounter.key], set_=on_conflict)
    )


def _one_more(expired: ColumnElement[bool], ends: Any) -> dict[str, Any]:
    """What an existing counter becomes when it counts one: one in a new window ending at
    `ends` where its window has `expired`, else one more in its window."""
    return {
        "count": case((expired, 1), else_=ThrottleCounter.count + 1),
        "window_ends_at": case((expired, ends), else_=ThrottleCounter.window_ends_at),
    }


async def bump(
    session: AsyncSession, counter: str, now: datetime, ends: datetime
) -> tuple[int, datetime]:
    """Count one against `counter`, starting a window ending at `ends` where the old one ended
    by `now`; the count and the window's end after it. The row stays locked until the
    transaction ends, so concurrent bumps of one key are counted one after the other."""
    expired = ThrottleCounter.window_ends_at <= now
    stmt = _count_one(counter, ends, **_one_more(expired, ends)).returning(
        ThrottleCounter.count, ThrottleCounter.window_ends_at
    )
    count, window_ends_at = (await session.execute(stmt)).one()
    return int(count), window_ends_at


@dataclass(frozen=True)
class Counter:
    """A ceiling's counter, for a statement counting it (`counted_under_limit`): its key, its
    limit, and where a new window of it would end."""

    key: str
    limit: int
    ends: datetime


def counted_under_limit(
    name: str,
    now: Any,
    after: FromClause | None = None,
    when: ColumnElement[bool] | None = None,
) -> CTE:
    """A CTE counting one against the counter bound as `<name>_key`, only while it is under
    its limit `<name>_limit` (or its window ended by `now`: then a new one, ending at
    `<name>_ends`); it returns the key when it counted, no row when the counter was full. A
    limit of 0 counts nothing (no ceiling, or a caller exempt from it). With `after`, it
    counts only if `after` (a CTE that wrote what is counted) has a row; with `when`, only if
    that holds.

    The full counter's row is locked and left as it is: a refusal is not counted. Concurrent
    statements counting one key take that lock one after the other, and the condition is
    judged on the row as the previous one left it, so exactly `limit` get through a window."""
    table = cast(Table, ThrottleCounter.__table__)
    limit = bindparam(f"{name}_limit", type_=Integer)
    ends = bindparam(f"{name}_ends", type_=DateTime(timezone=True))
    expired = table.c.window_ends_at <= now
    source = (
        select(
            bindparam(f"{name}_key", type_=String).label("key"),
            literal_column("1", Integer).label("count"),
            ends.label("window_ends_at"),
        )
        .select_from(*(() if after is None else (after,)))
        .where(limit > literal_column("0"), *(() if when is None else (when,)))
    )
    return (
        insert(table)
        .from_select(["key", "count", "window_ends_at"], source)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_=_one_more(expired, ends),
            where=or_(expired, table.c.count < limit),
        )
        .returning(table.c.key)
        .cte(f"{name}_counted")
    )


_WINDOW_ENDS = select(ThrottleCounter.window_ends_at).where(ThrottleCounter.key == bindparam("key"))
_WINDOW_ENDS_COMPILED = driver.Compiled(_WINDOW_ENDS)


async def window_ends(on: AsyncSession | driver.Direct, counter: str) -> datetime | None:
    """When the window of `counter` ends, if it has one (to tell a refused caller when to
    come back): one statement, in the session's transaction or on the driver."""
    row = await driver.run_one(on, _WINDOW_ENDS_COMPILED, {"key": counter})
    return None if row is None else row.window_ends_at


async def hold(session: AsyncSession, counter: str, until: datetime) -> None:
    """Set `counter` to one until `until`, or longer if its window ends later already."""
    await session.execute(
        _count_one(
            counter,
            until,
            count=1,
            window_ends_at=func.greatest(ThrottleCounter.window_ends_at, until),
        )
    )


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    """Counters whose window ended by `now` go."""
    await session.execute(delete(ThrottleCounter).where(ThrottleCounter.window_ends_at <= now))
