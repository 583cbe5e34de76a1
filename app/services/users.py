"""Staff accounts: creation, password login, the second factor, deactivation, new passwords."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, get_settings
from app.domain.actors import Actor
from app.errors import (
    FieldError,
    InvalidCredentials,
    OtpInvalid,
    OtpNotEnrolled,
    OtpRequired,
    UserNotFound,
    ValidationFailed,
    WrongCurrentPassword,
)
from app.i18n import translate
from app.models.enums import Role
from app.models.user import User
from app.repositories import password_resets as resets_repository
from app.repositories import users as repository
from app.repositories.driver import Direct
from app.repositories.users import ActorRow
from app.schemas.auth import StaffOut
from app.services import auth, catalogue, throttle, totp


class UserError(ValueError):
    """A user cannot be created as asked (command-line message)."""


def staff_out(user: User) -> StaffOut:
    """A staff account as the API shows it (its administration loaded)."""
    return StaffOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        administration=user.administration.code if user.administration else None,
    )


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    administration_code: str | None,
    full_name: str = "",
    settings: Settings | None = None,
) -> User:
    """A new account; supervisors and national admins get a TOTP secret (their second factor)."""
    problems = password_problems(password, email, settings or get_settings())
    if problems:
        problem = problems[0]
        raise UserError(f"password: {translate(f'field.{problem.code}', 'en', **problem.params)}")
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
    if await repository.email_taken(session, normalized):
        raise UserError(f"a user with the email {normalized} exists already")
    user = User(
        email=normalized,
        full_name=full_name or normalized.split("@")[0],
        password_hash=await auth.hash_password(password),
        role=role.value,
        administration_id=administration_id,
        active=True,
        token_version=0,
        totp_secret=totp.new_secret() if role in totp.REQUIRED_FOR else None,
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
    user = await repository.by_email(session, normalized)
    ok = await auth.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        await throttle.record_failed_attempt(session, attempts, now)
        raise InvalidCredentials()
    return user


async def get_active(session: AsyncSession, user_id: int) -> User | None:
    return await repository.active(session, user_id)


async def get_active_actor(session: AsyncSession, user_id: int) -> ActorRow | None:
    """Who an active account is (`id`, `role`, `administration_id`, `token_version`)."""
    return await repository.get_active_actor(session, user_id)


async def active_actor_on_driver(direct: Direct, user_id: int) -> ActorRow | None:
    """`get_active_actor` for the reads that run on the driver, without a session."""
    return await repository.active_actor(direct, user_id)


async def colleagues(session: AsyncSession, administration_id: int) -> list[User]:
    return await repository.colleagues(session, administration_id)


# Words people build passwords on; a password that is one of them once letters are kept is weak.
_COMMON_WORDS = frozenset(
    {"password", "motdepasse", "azerty", "qwerty", "chikaya", "admin", "administrateur"}
)


def password_problems(password: str, email: str, settings: Settings) -> list[FieldError]:
    """Why `password` is refused (length bounds, guessable patterns); empty when it is fine."""
    if len(password) < settings.password_min_length:
        return [FieldError("password", "too_short", {"min": settings.password_min_length})]
    if len(password) > settings.password_max_length:
        return [FieldError("password", "too_long", {"max": settings.password_max_length})]
    lowered = password.lower()
    local_part = email.strip().lower().split("@")[0]
    letters = "".join(c for c in lowered if c.isalpha())
    if (
        len(set(password)) < 6
        or (len(local_part) >= 4 and local_part in lowered)
        or letters in _COMMON_WORDS
    ):
        return [FieldError("password", "password_too_weak")]
    return []


async def find_by_email(session: AsyncSession, email: str, *, lock: bool = False) -> User | None:
    return await repository.by_email(session, email.strip().lower(), lock=lock)


async def verify_second_factor(
    session: AsyncSession,
    user: User,
    *,
    code: str | None,
    settings: Settings,
    now: datetime,
) -> None:
    """After the right password: the current TOTP code when the account has one (or its role
    requires one). Wrong codes are counted per account, since only someone who knows the
    password gets this far; a code already used is refused (no replay within its window)."""
    if user.totp_secret is None:
        if Role(user.role) in totp.REQUIRED_FOR:
            raise OtpNotEnrolled()
        return
    key = f"login:otp:{user.id}"
    await throttle.ensure_allowed(session, [(key, settings.login_failures_per_account)], now)
    if not code:
        raise OtpRequired()
    step = totp.matching_step(user.totp_secret, code, now, user.totp_last_step)
    # Conditional, so two logins racing with the same code cannot both pass.
    if step is not None and await repository.claim_totp_step(session, user.id, step):
        user.totp_last_step = step
        return
    await throttle.record_failure(session, [key], now, settings.throttle_window_seconds)
    raise OtpInvalid()


async def _revoke_tokens(session: AsyncSession, user: User) -> None:
    """Every token issued to `user` so far stops working (the token check compares versions)."""
    user.token_version += 1
    await session.flush()


async def _void_resets(session: AsyncSession, user_id: int, now: datetime) -> None:
    await resets_repository.void_pending(session, user_id, now)


async def deactivate(session: AsyncSession, user: User, now: datetime) -> User:
    """No more logins, every token revoked, pending reset links voided."""
    user.active = False
    await _revoke_tokens(session, user)
    await _void_resets(session, user.id, now)
    return user


async def reactivate(session: AsyncSession, user: User) -> User:
    """Logins work again; the tokens revoked at deactivation stay revoked."""
    user.active = True
    await session.flush()
    return user


async def set_password(
    session: AsyncSession, user: User, password: str, settings: Settings, now: datetime
) -> list[FieldError]:
    """A new password — or, when it is refused, its problems and nothing changed. Revokes every
    token and every pending reset link of the account."""
    problems = password_problems(password, user.email, settings)
    if problems:
        return problems
    user.password_hash = await auth.hash_password(password)
    await _revoke_tokens(session, user)
    await _void_resets(session, user.id, now)
    return []


async def enroll_totp(session: AsyncSession, user: User) -> str:
    """A new TOTP secret, replacing any former one and revoking the tokens issued under it."""
    secret = totp.new_secret()
    user.totp_secret = secret
    user.totp_last_step = None
    await _revoke_tokens(session, user)
    return secret


def may_manage(actor: Actor, user: User) -> bool:
    """National admins manage every account; supervisors those of their own administration."""
    if actor.role is Role.national_admin:
        return True
    return (
        actor.role is Role.supervisor
        and user.administration_id is not None
        and user.administration_id == actor.administration_id
    )


async def get_managed(session: AsyncSession, actor: Actor, user_id: int) -> User:
    """The account `user_id`, locked, if `actor` may manage it; otherwise 404 as if it did not
    exist, the way other administrations' data is hidden everywhere."""
    user = await repository.locked_with_administration(session, user_id)
    if user is None or not may_manage(actor, user):
        raise UserNotFound()
    return user


async def change_password(
    session: AsyncSession,
    user_id: int,
    *,
    current: str,
    new: str,
    settings: Settings,
    now: datetime,
) -> User:
    """A staff member's new password, given the current one; every older token is revoked.
    Wrong current passwords are counted per account, so a stolen token cannot guess it."""
    user = await repository.active_locked_one(session, user_id)
    key = f"password-change:{user.id}"
    await throttle.ensure_allowed(session, [(key, settings.login_failures_per_account)], now)
    if not await auth.verify_password(user.password_hash, current):
        await throttle.record_failure(session, [key], now, settings.throttle_window_seconds)
        raise WrongCurrentPassword()
    problems = await set_password(session, user, new, settings, now)
    if problems:
        raise ValidationFailed(
            errors=[dataclasses.replace(problem, field="new_password") for problem in problems]
        )
    return user
