"""Statements on password-reset links: how many an account got lately, spending one, voiding
the pending ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.user import PasswordReset


async def count_since(session: AsyncSession, user_id: int, since: datetime) -> int:
    """Links issued to the account after `since`."""
    recent = await session.scalar(
        select(func.count()).where(
            PasswordReset.user_id == user_id,
            PasswordReset.created_at > since,
        )
    )
    return recent or 0


async def spend(session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """Mark the unused, unexpired link with this digest used; the account's id, or None."""
    user_id: int | None = await session.scalar(
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == token_hash,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordReset.user_id)
    )
    return user_id


async def void_pending(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Every unused link of the account stops working."""
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
