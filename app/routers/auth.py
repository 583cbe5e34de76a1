"""Staff authentication (OAuth2 password flow)."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordRequestForm

from app.deps import AppSettings, ClientAddress, CurrentStaff, Session
from app.errors import (
    FieldError,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    TooManyAttempts,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from app.routers import make_router
from app.schemas.auth import StaffOut, TokenOut
from app.services import auth, clock, users

router = make_router(prefix="/api/v1/auth", tags=["auth"])

USERNAME_MAX = 254  # an email address (RFC 5321)
PASSWORD_MAX = 1024


@router.post(
    "/token",
    summary="Log in (staff)",
    operation_id="login",
    responses=error_responses(InvalidCredentials, ValidationFailed, TooManyAttempts),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: Session,
    settings: AppSettings,
    client: ClientAddress,
) -> TokenOut:
    """OAuth2 password flow: `username` is the staff email. Swagger UI's *Authorize* uses it.
    Failed attempts are limited per account and per client address (429 with `Retry-After`)."""
    # No account's email is longer, and no password needs to be (hashing one costs time).
    too_long = [
        FieldError(name, "too_long", {"max": limit})
        for name, value, limit in (
            ("username", form.username, USERNAME_MAX),
            ("password", form.password, PASSWORD_MAX),
        )
        if len(value) > limit
    ]
    if too_long:
        raise ValidationFailed(errors=too_long)
    user = await users.login(
        session,
        email=form.username,
        password=form.password,
        client=client,
        settings=settings,
        now=clock.now(),
    )
    return TokenOut(
        access_token=auth.staff_token(user.id, settings),
        expires_in=settings.staff_token_ttl_seconds,
    )


@router.get(
    "/me",
    summary="Who am I",
    operation_id="whoAmI",
    responses=error_responses(Unauthorized, InvalidToken, Forbidden),
)
async def me(actor: CurrentStaff, session: Session) -> StaffOut:
    """The staff account behind the bearer token."""
    user = await users.get_active(session, actor.user_id or 0)
    assert user is not None
    return StaffOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        administration=user.administration.code if user.administration else None,
    )
