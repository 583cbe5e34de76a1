"""Reads of staff accounts that run on every authenticated call."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.user import User

_ACTIVE_ACTOR = select(User.id, User.role, User.administration_id, User.token_version).where(
    User.id == bindparam("id"), User.active
)

ActorRow = Row[int, str, int | None, int]


async def get_active_actor(session: AsyncSession, user_id: int) -> ActorRow | None:
    """`id`, `role`, `administration_id` and `token_version` of an active account: what a
    token's bearer may do, and whether the token is still valid, in one statement, without
    loading the account (or its administration) as ORM objects."""
    connection = await session.connection()
    row: ActorRow | None = (await connection.execute(_ACTIVE_ACTOR, {"id": user_id})).one_or_none()
    return row
