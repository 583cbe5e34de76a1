"""The back office's staff accounts: deactivate, reactivate, send a password-reset link."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, status

from app.deps import AppSettings, Session, StaffActor
from app.domain.actors import Actor
from app.errors import (
    AUTH_ERRORS,
    AccountInactive,
    Forbidden,
    OwnAccount,
    UserNotFound,
    ValidationFailed,
    error_responses,
)
from app.i18n import current_language
from app.models.enums import Role
from app.models.user import User
from app.routers import make_router
from app.schemas.users import PasswordResetSent, StaffAccountOut
from app.services import clock, password_resets, users

router = make_router(prefix="/api/v1/backoffice/users", tags=["staff accounts"])

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The staff account's id.")]
_ERRORS = (*AUTH_ERRORS, UserNotFound, ValidationFailed)
_SCOPE = (
    "National admins manage every account; supervisors the accounts of their own "
    "administration (any other answers 404, as if it did not exist)."
)


async def require_account_manager(actor: StaffActor) -> Actor:
    if actor.role not in (Role.national_admin, Role.supervisor):
        raise Forbidden()
    return actor


AccountManager = Annotated[Actor, Depends(require_account_manager)]


def _out(user: User) -> StaffAccountOut:
    return StaffAccountOut(
        **users.staff_out(user).model_dump(),
        active=user.active,
        second_factor=user.totp_secret is not None,
    )


@router.get(
    "/{user_id}",
    summary="A staff account",
    operation_id="getStaffAccount",
    responses=error_responses(*_ERRORS),
    description=f"The account's role, administration, whether it is active and whether it "
    f"logs in with a second factor. {_SCOPE}",
)
async def get_account(user_id: UserId, actor: AccountManager, session: Session) -> StaffAccountOut:
    return _out(await users.get_managed(session, actor, user_id))


@router.post(
    "/{user_id}/deactivate",
    summary="Deactivate a staff account",
    operation_id="deactivateStaffAccount",
    responses=error_responses(*_ERRORS, OwnAccount),
    description="The account can no longer log in, every token it holds stops working at "
    "once, and its pending password-reset links are voided. Idempotent. Nobody deactivates "
    f"their own account (409 `own_account`). {_SCOPE}",
)
async def deactivate(user_id: UserId, actor: AccountManager, session: Session) -> StaffAccountOut:
    user = await users.get_managed(session, actor, user_id)
    if user.id == actor.user_id:
        raise OwnAccount()
    if user.active:
        await users.deactivate(session, user, clock.now())
    return _out(user)


@router.post(
    "/{user_id}/reactivate",
    summary="Reactivate a staff account",
    operation_id="reactivateStaffAccount",
    responses=error_responses(*_ERRORS),
    description="The account can log in again (with a new token: those revoked at "
    f"deactivation stay revoked). Idempotent. {_SCOPE}",
)
async def reactivate(user_id: UserId, actor: AccountManager, session: Session) -> StaffAccountOut:
    user = await users.get_managed(session, actor, user_id)
    await users.reactivate(session, user)
    return _out(user)


@router.post(
    "/{user_id}/password-reset",
    summary="Email a password-reset link to a staff account",
    operation_id="sendStaffPasswordReset",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(*_ERRORS, AccountInactive),
    description="Emails the account a one-time link (valid `PASSWORD_RESET_TTL_MINUTES`) to "
    "choose a new password at the portal; the current password keeps working until then. "
    f"Only for active accounts (409 `account_inactive`). {_SCOPE}",
)
async def send_password_reset(
    user_id: UserId, actor: AccountManager, session: Session, settings: AppSettings
) -> PasswordResetSent:
    user = await users.get_managed(session, actor, user_id)
    if not user.active:
        raise AccountInactive()
    language = current_language.get()
    expires_at = await password_resets.issue(session, user, settings, clock.now(), language)
    return PasswordResetSent(sent_to=user.email, expires_at=expires_at)
