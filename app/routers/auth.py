"""Staff authentication (OAuth2 password flow, TOTP second factor) and password resets."""

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Form, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.deps import AppSettings, ClientAddress, CurrentStaff, Session
from app.errors import (
    AUTH_ERRORS,
    FieldError,
    Forbidden,
    InvalidCharacters,
    InvalidCredentials,
    InvalidResetToken,
    InvalidToken,
    OtpInvalid,
    OtpNotEnrolled,
    OtpRequired,
    TooManyAttempts,
    Unauthorized,
    ValidationFailed,
    WrongCurrentPassword,
    error_responses,
)
from app.i18n import current_language
from app.routers import make_router
from app.schemas.auth import StaffOut, TokenOut
from app.schemas.users import PasswordChangeIn, PasswordResetConfirmIn, PasswordResetIn
from app.services import auth, clock, password_resets, users

router = make_router(prefix="/api/v1/auth", tags=["auth"])

USERNAME_MAX = 254  # an email address (RFC 5321)
PASSWORD_MAX = 1024


def basic_client_secret(request: Request) -> str | None:
    """The client secret of `Authorization: Basic base64(client_id:client_secret)` (RFC 6749
    §2.3.1), where Swagger UI's *Authorize* puts it by default ("Authorization header")."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _client_id, colon, secret = decoded.partition(":")
    return secret if colon else None


@router.post(
    "/token",
    summary="Log in (staff)",
    operation_id="login",
    responses=error_responses(
        InvalidCredentials,
        OtpRequired,
        OtpInvalid,
        OtpNotEnrolled,
        ValidationFailed,
        TooManyAttempts,
    ),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: Session,
    settings: AppSettings,
    client: ClientAddress,
    request: Request,
    otp: Annotated[
        str | None,
        Form(
            max_length=16,
            description="The current code of the authenticator app (accounts with a second "
            "factor). Also accepted in `client_secret`.",
        ),
    ] = None,
) -> TokenOut:
    """OAuth2 password flow: `username` is the staff email. Swagger UI's *Authorize* uses it.
    Failed attempts are limited per account and per client address (429 with `Retry-After`).

    Supervisors and national admins (and any account enrolled) also send the current 6-digit
    TOTP code, in the field `otp` or — so that Swagger UI's *Authorize* dialog works as is — as
    the client secret (`client_secret` in the form, or `Authorization: Basic` of
    `client_id:client_secret`, client id left empty or any). A missing code answers 401
    `otp_required`; a wrong, expired or already used one 401 `otp_invalid`."""
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
    now = clock.now()
    user = await users.login(
        session,
        email=form.username,
        password=form.password,
        client=client,
        settings=settings,
        now=now,
    )
    code = otp or form.client_secret or basic_client_secret(request)
    await users.verify_second_factor(session, user, code=code, settings=settings, now=now)
    return TokenOut(
        access_token=auth.staff_token(user.id, settings, version=user.token_version),
        expires_in=settings.staff_token_ttl_seconds,
    )


@router.get(
    "/me",
    summary="Who am I",
    operation_id="whoAmI",
    responses=error_responses(*AUTH_ERRORS),
)
async def me(actor: CurrentStaff, session: Session) -> StaffOut:
    """The staff account behind the bearer token."""
    user = await users.get_active(session, actor.user_id or 0)
    assert user is not None
    return users.staff_out(user)


@router.post(
    "/password-reset",
    summary="Ask for a password-reset link (staff)",
    operation_id="requestPasswordReset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={
        202: {"description": "Accepted, whether or not an account has this email."},
        **error_responses(ValidationFailed, InvalidCharacters),
    },
)
async def request_password_reset(
    body: PasswordResetIn, session: Session, settings: AppSettings
) -> Response:
    """When an active staff account has this email, it is sent a one-time link (valid
    `PASSWORD_RESET_TTL_MINUTES`) to the portal's page that chooses a new password. The answer
    is the same whether or not such an account exists; a few links per account and hour at
    most are sent."""
    language = current_language.get()
    await password_resets.request(session, body.email, settings, clock.now(), language)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    summary="Choose a new password with a reset link's token",
    operation_id="confirmPasswordReset",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(InvalidResetToken, ValidationFailed, InvalidCharacters),
)
async def confirm_password_reset(
    body: PasswordResetConfirmIn, session: Session, settings: AppSettings
) -> Response:
    """Sets the new password; the link then stops working, and so does every token the account
    held (log in again). A link is refused (400 `invalid_reset_token`) once used, once expired,
    or when the account was deactivated. A password shorter than `PASSWORD_MIN_LENGTH`, longer
    than `PASSWORD_MAX_LENGTH` or easy to guess is refused with a field error, and the link
    keeps working."""
    problems = await password_resets.confirm(
        session, body.token, body.password, settings, clock.now()
    )
    if problems:
        raise ValidationFailed(errors=problems)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password",
    summary="Change my password (staff)",
    operation_id="changeMyPassword",
    responses=error_responses(
        Unauthorized,
        InvalidToken,
        Forbidden,
        WrongCurrentPassword,
        ValidationFailed,
        InvalidCharacters,
        TooManyAttempts,
    ),
)
async def change_password(
    body: PasswordChangeIn, actor: CurrentStaff, session: Session, settings: AppSettings
) -> TokenOut:
    """Every token of the account stops working, this one included: the answer carries a new
    token. A wrong current password answers 422 `wrong_current_password` (counted: 429 with
    `Retry-After` after a few); a new password shorter than `PASSWORD_MIN_LENGTH`, longer than
    `PASSWORD_MAX_LENGTH` or easy to guess, a field error on `new_password`."""
    user = await users.change_password(
        session,
        actor.user_id or 0,
        current=body.current_password,
        new=body.new_password,
        settings=settings,
        now=clock.now(),
    )
    return TokenOut(
        access_token=auth.staff_token(user.id, settings, version=user.token_version),
        expires_in=settings.staff_token_ttl_seconds,
    )
