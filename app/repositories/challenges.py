"""Spent proof-of-work challenges: recording one, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.support import UsedChallenge

_SPEND = (
    insert(UsedChallenge)
    .values(challenge=bindparam("challenge"), expires_at=bindparam("expires_at"))
    .on_conflict_do_nothing(index_elements=[UsedChallenge.challenge])
    .returning(UsedChallenge.challenge)
)


async def spend(session: AsyncSession, challenge: str, expires_at: datetime) -> bool:
    """Record the challenge as spent until it expires; False when it was already (also when
    the first use is still being committed: the insert waits for that transaction)."""
    result = await session.execute(_SPEND, {"challenge": challenge, "expires_at": expires_at})
    return result.scalar_one_or_none() is not None


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    """Spent challenges past their expiry go: they no longer verify anyway."""
    await session.execute(delete(UsedChallenge).where(UsedChallenge.expires_at <= now))
