"""Statements on staff accounts: the actor row read on every authenticated call, the lookups
and locks of the account services, and the claim of a second-factor step."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.user import User
from app.repositories import driver

_ACTIVE_ACTOR = select(User.id, User.role, User.administration_id, User.token_version).where(
    User.id == bindparam("id"), User.active
)

_EMAIL_TAKEN = select(func.count()).where(User.email == bindparam("email"))
_BY_EMAIL = select(User).where(User.email == bindparam("email"))
_BY_EMAIL_LOCKED = _BY_EMAIL.with_for_update()
_ACTIVE = (
    select(User)
    .where(User.id == bindparam("id"), User.active)
    .options(selectinload(User.administration))
)
_ACTIVE_LOCKED = select(User).where(User.id == bindparam("id"), User.active).with_for_update()
_COLLEAGUES = (
    select(User)
    .where(User.administration_id == bindparam("administration_id"), User.active)
    .options(selectinload(User.administration))
    .order_by(User.full_name, User.id)
)
_LOCKED_WITH_ADMINISTRATION = (
    select(User)
    .where(User.id == bindparam("id"))
    .options(selectinload(User.administration))
    .with_for_update(of=User)
)

_ACTIVE_ACTOR_ON_DRIVER = driver.Compiled(_ACTIVE_ACTOR)

ActorRow = Row[int, str, int | None, int]


async def get_active_actor(session: AsyncSession, user_id: int) -> ActorRow | None:
    """`id`, `role`, `administration_id` and `token_version` of an active account: what a
    token's bearer may do, and whether the token is still valid, in one statement, without
    loading the account (or its administration) as ORM objects."""
    connection = await session.connection()
    row: ActorRow | None = (await connection.execute(_ACTIVE_ACTOR, {"id": user_id})).one_or_none()
    return row


async def active_actor(direct: driver.Direct, user_id: int) -> ActorRow | None:
    """`get_active_actor` on the driver, for the hot reads that run without a session."""
    row: ActorRow | None = await driver.fetch_one(direct, _ACTIVE_ACTOR_ON_DRIVER, {"id": user_id})
    return row


async def email_taken(session: AsyncSession, email: str) -> bool:
    """Whether an account has this (normalized) email."""
    return bool(await session.scalar(_EMAIL_TAKEN, {"email": email}))


async def by_email(session: AsyncSession, email: str, *, lock: bool = False) -> User | None:
    """The account with this (normalized) email, locked `FOR UPDATE` when asked."""
    stmt = _BY_EMAIL_LOCKED if lock else _BY_EMAIL
    return (await session.scalars(stmt, {"email": email})).one_or_none()


async def active(session: AsyncSession, user_id: int) -> User | None:
    """The active account with its administration loaded."""
    return (await session.scalars(_ACTIVE, {"id": user_id})).one_or_none()


async def active_locked(session: AsyncSession, user_id: int) -> User | None:
    """The active account, locked `FOR UPDATE`."""
    return (await session.scalars(_ACTIVE_LOCKED, {"id": user_id})).one_or_none()


async def active_locked_one(session: AsyncSession, user_id: int) -> User:
    """The active account, locked `FOR UPDATE`; raises `NoResultFound` when there is none."""
    return (await session.scalars(_ACTIVE_LOCKED, {"id": user_id})).one()


async def colleagues(session: AsyncSession, administration_id: int) -> list[User]:
    """An administration's active accounts by name, with the administration loaded."""
    rows = await session.scalars(_COLLEAGUES, {"administration_id": administration_id})
    return list(rows.all())


async def locked_with_administration(session: AsyncSession, user_id: int) -> User | None:
    """Any account (active or not), locked `FOR UPDATE`, with its administration loaded."""
    return (await session.scalars(_LOCKED_WITH_ADMINISTRATION, {"id": user_id})).one_or_none()


async def claim_totp_step(session: AsyncSession, user_id: int, step: int) -> bool:
    """Record `step` as the account's last TOTP step unless it (or a later one) was used:
    conditional, so two logins racing with the same code cannot both pass."""
    claimed = await session.scalar(
        update(User)
        .where(
            User.id == user_id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return claimed is not None
