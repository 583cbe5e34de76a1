"""Integration API keys: one administration each, stored as SHA-256 only, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.integration import ApiKey
from app.repositories import api_keys as repository
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
    return await repository.active_by_hash(session, digest(key))


async def revoke(session: AsyncSession, key_id: int, now: datetime) -> None:
    if not await repository.revoke(session, key_id, now):
        raise ApiKeyError(f"no active key has the id {key_id}")


async def listing(
    session: AsyncSession, administration_code: str | None
) -> list[tuple[ApiKey, str]]:
    return await repository.listing(session, administration_code)
