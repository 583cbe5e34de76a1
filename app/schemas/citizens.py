"""Shapes of the citizen's own space: one-time codes, the session, "my requests"."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.errors import FieldCodeError
from app.models.enums import Kind, State
from app.schemas.requests import AdministrationRef
from app.services.contacts import normalize_email, normalize_phone

CODE_PATTERN = r"^\s*[0-9]{6}\s*$"


class ContactIn(BaseModel):
    """An email *or* a phone (E.164 or Moroccan national form), normalized as at submission."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"example": {"email": "fatima@example.ma"}},
    )

    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @model_validator(mode="after")
    def _one_contact(self) -> Self:
        if bool(self.email) == bool(self.phone):
            raise FieldCodeError("contact_required")
        return self


class SessionIn(ContactIn):
    """The contact and the code it received."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"email": "fatima@example.ma", "code": "042917"}},
    )

    code: str = Field(pattern=CODE_PATTERN, description="The six digits received.")


class CodeSent(BaseModel):
    detail: str = Field(description="The same words whether or not any request bears this contact.")
    expires_in: int = Field(description="Seconds a code stays valid.")


class MyRequest(BaseModel):
    tracking_number: str
    kind: Kind
    state: State
    administration: AdministrationRef
    created_at: datetime
    due_at: datetime


class MyRequestsPage(BaseModel):
    """One page, newest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[MyRequest]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor of the next page; absent on the last page."
    )
