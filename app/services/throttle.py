"""Throttling of failed attempts (tracking, login) with fixed-window counters in PostgreSQL.

Counters live in the database so that every API process sees the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import TooManyAttempts
from app.models.support import ThrottleCounter


async def ensure_allowed(
    session: AsyncSession, limits: Sequence[tuple[str, int]], now: datetime
) -> None:
    """Refuse with 429 and `Retry-After` when any key has reached its limit in its window."""
    keys = [key for key, _ in limits]
    rows = (
        await session.execute(
            select(
                ThrottleCounter.key, ThrottleCounter.count, ThrottleCounter.window_ends_at
            ).where(ThrottleCounter.key.in_(keys), ThrottleCounter.window_ends_at > now)
        )
    ).all()
    limit_of = dict(limits)
    blocked_until = [ends for key, count, ends in rows if count >= limit_of[key]]
    if blocked_until:
        retry_after = max(1, math.ceil((max(blocked_until) - now).total_seconds()))
        raise TooManyAttempts(
            params={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )


async def record_failure(
    session: AsyncSession, keys: Sequence[str], now: datetime, window_seconds: int
) -> None:
    """Count one failure against each key, starting a new window where the old one ended."""
    ends = now + timedelta(seconds=window_seconds)
    for key in keys:
        stmt = insert(ThrottleCounter).values(key=key, count=1, window_ends_at=ends)
        expired = ThrottleCounter.window_ends_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[ThrottleCounter.key],
            set_={
                "count": case((expired, 1), else_=ThrottleCounter.count + 1),
                "window_ends_at": case((expired, ends), else_=ThrottleCounter.window_ends_at),
            },
        )
        await session.execute(stmt)
