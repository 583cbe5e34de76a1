"""Shapes of staff-account management and password resets."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from app.domain.errors import FieldCodeError
from app.schemas.common import body_config


def _encodable(value: str) -> str:
    # JSON may carry a lone UTF-16 surrogate ("\\ud83d") or a NUL, which no hash nor
    # PostgreSQL text takes.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldCodeError("invalid") from None
    if "\x00" in value:
        raise FieldCodeError("invalid")
    return value


class PasswordResetIn(BaseModel):
    """The email of a staff account."""

    model_config = body_config({"email": "agent@acaps.ma"}, strip_whitespace=True)

    email: str = Field(min_length=1, max_length=254)

    _check_email = field_validator("email")(_encodable)


class PasswordResetConfirmIn(BaseModel):
    """The token of the emailed link and the new password."""

    model_config = body_config(
        {
            "token": "the token from the link",
            "password": "four random words, a long passphrase",
        }
    )

    token: str = Field(min_length=1, max_length=128)
    # The bounds that matter (PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH) are checked with a field
    # error of their own; this one only keeps bodies sane.
    password: str = Field(max_length=1024)

    _check = field_validator("token", "password")(_encodable)


class StaffAccountOut(BaseModel):
    id: int
    email: str
    full_name: str
    role: str
    administration: str | None
    active: bool
    second_factor: bool = Field(description="Whether logging in asks for a TOTP code.")


class PasswordResetSent(BaseModel):
    sent_to: str = Field(description="Where the one-time link is emailed.")
    expires_at: datetime = Field(description="When the link stops working.")


class PasswordChangeIn(BaseModel):
    """The current password and the new one."""

    model_config = body_config(
        {
            "current_password": "the password used to log in",
            "new_password": "four random words, a long passphrase",
        }
    )

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)

    _check = field_validator("current_password", "new_password")(_encodable)
