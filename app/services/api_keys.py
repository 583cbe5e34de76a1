"""Integration API keys: one administration each, stored as SHA-256 only, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration
from app.models.integration import ApiKey
from app.services import catalogue

PREFIX = "ck_"


def digest(key: str) -> str:
    # Keys are 256 random bits: a fast hash suffices (no dictionary to attack) and keeps the
    # lookup a single index probe.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyError(ValueError):
    """A key cannot be made or revoked as asked (command-line message)."""


async def create(
    session: AsyncSession, *, administration_code: str, name: str, now: datetime
) -> tuple[str, ApiKey]:
    administration = await catalogue.find_administration(session, administration_code)
    if administration is None:
        raise ApiKeyError(f"no administration has the code {administration_code}")
    key = PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        administration_id=administration.id, name=name, key_hash=digest(key), created_at=now
    )
    session.add(record)
    await session.flush()
    return key, record


async def authenticate(session: AsyncSession, key: str | None) -> ApiKey | None:
    if not key or not key.startswith(PREFIX) or len(key) > 100:
        return None
    stmt = select(ApiKey).where(ApiKey.key_hash == digest(key), ApiKey.revoked_at.is_(None))
    return (await session.scalars(stmt)).one_or_none()


async def revoke(session: AsyncSession, key_id: int, now: datetime) -> None:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiKey.id)
    )
    if result.scalar_one_or_none() is None:
        raise ApiKeyError(f"no active key has the id {key_id}")


async def listing(
    session: AsyncSession, administration_code: str | None
) -> list[tuple[ApiKey, str]]:
    stmt = select(ApiKey, Administration.code).join(
        Administration, Administration.id == ApiKey.administration_id
    )
    if administration_code:
        stmt = stmt.where(Administration.code == administration_code.upper())
    return [(key, code) for key, code in (await session.execute(stmt.order_by(ApiKey.id))).all()]
