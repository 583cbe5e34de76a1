"""Statements on the FAQ: the filtered listing, one entry, deletion, and whether any exists."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.integration import FaqEntry

_LISTING = select(FaqEntry).order_by(FaqEntry.topic, FaqEntry.position, FaqEntry.id)
_ANY = select(FaqEntry.id).limit(1)


async def listing(
    session: AsyncSession, *, topic: str | None, pattern: str | None
) -> list[FaqEntry]:
    """Entries by topic and position; of one topic, and whose folded text is `LIKE pattern`,
    when given."""
    stmt = _LISTING
    if topic:
        stmt = stmt.where(FaqEntry.topic == topic)
    if pattern:
        stmt = stmt.where(FaqEntry.search_text.like(pattern))
    return list((await session.scalars(stmt)).all())


async def get(session: AsyncSession, entry_id: int) -> FaqEntry | None:
    return await session.get(FaqEntry, entry_id)


async def remove(session: AsyncSession, entry_id: int) -> bool:
    """Delete the entry; False when there was none."""
    result = await session.execute(
        delete(FaqEntry).where(FaqEntry.id == entry_id).returning(FaqEntry.id)
    )
    return result.scalar_one_or_none() is not None


async def any_entry(session: AsyncSession) -> bool:
    return await session.scalar(_ANY) is not None
