"""Statements on integration keys: the lookup by hash on every keyed call, revocation and the
command line's listing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration
from app.models.integration import ApiKey

_BY_HASH = select(ApiKey).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)
_LISTING = select(ApiKey, Administration.code).join(
    Administration, Administration.id == ApiKey.administration_id
)


async def active_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    """The unrevoked key with this SHA-256 digest (one index probe)."""
    return (await session.scalars(_BY_HASH, {"key_hash": key_hash})).one_or_none()


async def revoke(session: AsyncSession, key_id: int, now: datetime) -> bool:
    """Revoke an active key; False when no active key has that id."""
    # Built per call: an ORM UPDATE evaluates its values against loaded objects, which a bind
    # parameter filled at execution would defeat.
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiKey.id)
    )
    return result.scalar_one_or_none() is not None


async def listing(
    session: AsyncSession, administration_code: str | None
) -> list[tuple[ApiKey, str]]:
    """Every key with its administration's code, by id; only one administration's when given."""
    stmt = _LISTING
    if administration_code:
        stmt = stmt.where(Administration.code == administration_code.upper())
    return [(key, code) for key, code in (await session.execute(stmt.order_by(ApiKey.id))).all()]
