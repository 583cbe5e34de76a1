"""Statements on one-time codes: clearing a contact's expired ones, locking its live ones,
spending them (by id, or by the code itself in one statement for a filing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.citizen import VerificationCode


async def delete_expired(session: AsyncSession, contact_key: str, now: datetime) -> None:
    """The contact's codes that expired by `now` go."""
    await session.execute(
        delete(VerificationCode).where(
            VerificationCode.contact_key == contact_key, VerificationCode.expires_at <= now
        )
    )


async def live_codes(
    session: AsyncSession, contact_key: str, now: datetime, limit: int
) -> list[tuple[int, str]]:
    """The contact's unexpired, unused codes, newest first, at most `limit`, locked:
    (id, code_hash)."""
    rows = await session.execute(
        select(VerificationCode.id, VerificationCode.code_hash)
        .where(
            VerificationCode.contact_key == contact_key,
            VerificationCode.expires_at > now,
            VerificationCode.used_at.is_(None),
        )
        .order_by(VerificationCode.id.desc())
        .limit(limit)
        .with_for_update()
    )
    return [(row_id, code_hash) for row_id, code_hash in rows.all()]


async def mark_used(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    await session.execute(
        update(VerificationCode).where(VerificationCode.id.in_(list(ids))).values(used_at=now)
    )


async def spend_matching(
    session: AsyncSession, contact_keys: list[str], hashes: list[str], now: datetime
) -> str | None:
    """In one statement: find a live code among these contacts' with one of these hashes, and
    spend every live code of that contact. The contact key proved, or None. A concurrent
    spender finds the rows spent when it gets their lock, so a code serves once."""
    hit = (
        select(VerificationCode.contact_key)
        .where(
            VerificationCode.contact_key.in_(contact_keys),
            VerificationCode.code_hash.in_(hashes),
            VerificationCode.expires_at > now,
            VerificationCode.used_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )
    spent = await session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.contact_key == hit,
            VerificationCode.expires_at > now,
            VerificationCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(VerificationCode.contact_key)
        .execution_options(synchronize_session=False)
    )
    proved: str | None = spent.scalars().first()
    return proved
