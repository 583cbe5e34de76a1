"""Statements on `Idempotency-Key` records: the per-key transaction lock, the stored answer,
its upsert and the purge of expired ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.support import IdempotencyRecord

_TRY_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("lock_id")))


async def try_lock(session: AsyncSession, lock_id: int) -> bool:
    """The transaction-scoped advisory lock `lock_id`, without waiting: whether it was taken."""
    return bool(await session.scalar(_TRY_LOCK, {"lock_id": lock_id}))


async def get_fresh(session: AsyncSession, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of (scope, key), read again from the database even when already loaded."""
    return await session.get(IdempotencyRecord, (scope, key), populate_existing=True)


async def upsert(session: AsyncSession, scope: str, key: str, values: dict[str, Any]) -> None:
    stmt = insert(IdempotencyRecord).values(scope=scope, key=key, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["scope", "key"], set_=values)
    await session.execute(stmt)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
