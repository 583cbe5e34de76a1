"""Statements on staff accounts."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.user import User

_ACTIVE_ROLE = select(User.role, User.administration_id).where(
    User.id == bindparam("user_id"), User.active
)


async def active_role(session: AsyncSession, user_id: int) -> tuple[str, int | None] | None:
    """(role, administration id) of an active account, or None: all a bearer token needs."""
    connection = await session.connection()
    row = (await connection.execute(_ACTIVE_ROLE, {"user_id": user_id})).first()
    return None if row is None else (row.role, row.administration_id)
