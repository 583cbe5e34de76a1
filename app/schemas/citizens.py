"""Shapes of the citizen's own space: one-time codes, the session, "my requests"."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.domain.errors import FieldCodeError
from app.models.enums import Kind, State
from app.schemas.attachments import AttachmentOut
from app.schemas.common import body_config
from app.schemas.contacts import Email, Phone
from app.schemas.requests import AdministrationRef, MessageOut, RequestDetail
from app.schemas.text import VisibleText

CODE_PATTERN = r"^\s*[0-9]{6}\s*$"


class ContactIn(BaseModel):
    """An email *or* a phone (E.164 or Moroccan national form), normalized as at submission."""

    model_config = body_config({"email": "fatima@example.ma"}, strip_whitespace=True)

    email: Email = Field(default=None, max_length=254)
    phone: Phone = Field(default=None, max_length=32)

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


class ExportedAttachment(AttachmentOut):
    download_url: str = Field(
        description="Where to download it, with this session's (or a tracking) token."
    )


class ExportedRequest(BaseModel):
    request: RequestDetail = Field(description="The request and its public history.")
    messages: list[MessageOut] = Field(description="The conversation (never internal notes).")
    attachments: list[ExportedAttachment]


class CitizenExport(BaseModel):
    """Everything the portal holds on the requests bearing the verified contact (law 09-08,
    right of access), newest first."""

    contact: str = Field(description="The verified email or phone the export is for.")
    exported_at: datetime
    requests: list[ExportedRequest]
    truncated: bool = Field(
        description="True when there were more requests than one export holds: the most "
        "recent are given; the others stay readable one by one from `GET /me/requests`."
    )
    note: str | None = Field(default=None, description="Why the export is truncated, if it is.")


class CitizenPatch(BaseModel):
    """A corrected name (on every request), and/or a new email or phone with the code sent to
    it (`POST /api/v1/citizens/otp`): the previous contact is told."""

    model_config = body_config(
        {"email": "fatima.new@example.ma", "code": "042917"}, strip_whitespace=True
    )

    full_name: VisibleText | None = Field(default=None, min_length=2, max_length=200)
    email: Email = Field(default=None, max_length=254)
    phone: Phone = Field(default=None, max_length=32)
    code: str | None = Field(
        default=None, pattern=CODE_PATTERN, description="The code sent to the new contact."
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.email and self.phone:
            raise FieldCodeError("contact_required")  # one new contact at a time
        if not (self.full_name or self.email or self.phone):
            raise FieldCodeError("required")
        return self


class CitizenUpdated(BaseModel):
    updated: int = Field(description="How many requests were changed (the others held it already).")
    access_token: str | None = Field(
        default=None,
        description="A new session for the new contact, when the session's own one changed.",
    )
    expires_in: int | None = None
