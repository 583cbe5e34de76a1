"""Shapes of authentication and tracking."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from app.domain.errors import FieldCodeError
from app.schemas.common import body_config


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the token stays valid.")


class TrackingIn(BaseModel):
    """The tracking number and the email *or* the phone given at submission."""

    model_config = body_config(
        {"tracking_number": "K7MD-Q2ZX-9PT", "email": "fatima@example.ma"}, strip_whitespace=True
    )

    tracking_number: str = Field(min_length=1, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _one_contact(self) -> Self:
        if not (self.email or self.phone):
            raise FieldCodeError("contact_required")
        return self


class StaffOut(BaseModel):
    id: int
    email: str
    full_name: str
    role: str
    administration: str | None
