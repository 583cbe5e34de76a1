"""Staff accounts: creation (command line) and password login."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.config import Settings
from app.errors import InvalidCredentials
from app.models.enums import Role
from app.models.user import User
from app.repositories import users as repository
from app.services import auth, catalogue, throttle


class UserError(ValueError):
    """A user cannot be created as asked (command-line message)."""


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    administration_code: str | None,
    full_name: str = "",
) -> User:
    if len(password) < 12:
        raise UserError("the password must have at least 12 characters")
    administration_id = None
    if role in (Role.agent, Role.supervisor):
        if not administration_code:
            raise UserError(f"a {role.value} belongs to an administration: give --administration")
        administration = await catalogue.find_administration(session, administration_code)
        if administration is None:
            raise UserError(f"no administration has the code {administration_code}")
        administration_id = administration.id
    elif administration_code:
        raise UserError(f"a {role.value} does not belong to one administration")
    normalized = email.strip().lower()
    exists = await session.scalar(select(func.count()).where(User.email == normalized))
    if exists:
        raise UserError(f"a user with the email {normalized} exists already")
    user = User(
        email=normalized,
        full_name=full_name or normalized.split("@")[0],
        password_hash=await auth.hash_password(password),
        role=role.value,
        administration_id=administration_id,
        active=True,
    )
    session.add(user)
    await session.flush()
    return user


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    client: str,
    settings: Settings,
    now: datetime,
) -> User:
    """The active account with these credentials; failures are counted and throttled per
    (account, client) and per client, so nobody can lock someone else's account."""
    normalized = email.strip().lower()
    attempts = throttle.login_attempts(settings, normalized, client)
    await throttle.check_attempt(session, attempts, now)
    user = (await session.scalars(select(User).where(User.email == normalized))).one_or_none()
    ok = await auth.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        await throttle.record_failed_attempt(session, attempts, now)
        raise InvalidCredentials()
    return user


async def get_active(session: AsyncSession, user_id: int) -> User | None:
    stmt = (
        select(User)
        .where(User.id == user_id, User.active)
        .options(selectinload(User.administration))
    )
    return (await session.scalars(stmt)).one_or_none()


async def get_active_actor(session: AsyncSession, user_id: int) -> Row[int, str, int | None] | None:
    """Who an active account is (`id`, `role`, `administration_id`), for authorization."""
    return await repository.get_active_actor(session, user_id)


async def colleagues(session: AsyncSession, administration_id: int) -> list[User]:
    stmt = (
        select(User)
        .where(User.administration_id == administration_id, User.active)
        .options(selectinload(User.administration))
        .order_by(User.full_name, User.id)
    )
    return list((await session.scalars(stmt)).all())
