"""Statements on the fixed-window throttle counters: reading live windows, counting one (a new
window where the old one ended), holding a key until a moment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.support import ThrottleCounter


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


async def live_one(
    session: AsyncSession, counter: str, now: datetime
) -> tuple[int, datetime] | None:
    """(count, window end) of one key when its window is still open at `now`."""
    row = (
        await session.execute(
            select(ThrottleCounter.count, ThrottleCounter.window_ends_at).where(
                ThrottleCounter.key == counter, ThrottleCounter.window_ends_at > now
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def _count_one(counter: str, ends: datetime, **on_conflict: Any) -> Insert:
    """Insert `counter` at one with a window ending at `ends`; an existing row takes
    `on_conflict` instead."""
    return (
        insert(ThrottleCounter)
        .values(key=counter, count=1, window_ends_at=ends)
        .on_conflict_do_update(index_elements=[ThrottleCounter.key], set_=on_conflict)
    )


async def bump(
    session: AsyncSession, counter: str, now: datetime, ends: datetime
) -> tuple[int, datetime]:
    """Count one against `counter`, starting a window ending at `ends` where the old one ended
    by `now`; the count and the window's end after it. The row stays locked until the
    transaction ends, so concurrent bumps of one key are counted one after the other."""
    expired = ThrottleCounter.window_ends_at <= now
    stmt = _count_one(
        counter,
        ends,
        count=case((expired, 1), else_=ThrottleCounter.count + 1),
        window_ends_at=case((expired, ends), else_=ThrottleCounter.window_ends_at),
    ).returning(ThrottleCounter.count, ThrottleCounter.window_ends_at)
    count, window_ends_at = (await session.execute(stmt)).one()
    return int(count), window_ends_at


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
