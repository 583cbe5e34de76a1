"""The privacy notice (law 09-08, article 5): what is collected, why, for how long, for whom."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Where the notice is served; carried as `privacy_notice` by the catalogue's services and by
# the answer to a submission, so that it is read before and at collection.
PRIVACY_NOTICE_PATH = "/api/v1/privacy"


def privacy_notice_field() -> str:
    return Field(
        default=PRIVACY_NOTICE_PATH,
        description="The privacy notice (law 09-08): `GET` it, in the language you want, "
        "before giving personal data.",
        examples=[PRIVACY_NOTICE_PATH],
    )


class Controller(BaseModel):
    name: str = Field(description="Who decides what is done with the data: the portal's operator.")
    email: str = Field(examples=["donnees-personnelles@chikaya.ma"])
    postal_address: str | None = Field(description="Where to write by post, when configured.")
    website: str = Field(examples=["https://www.chikaya.ma"])


class LegalBasis(BaseModel):
    reference: str = Field(examples=["law 09-08"])
    text: str


class Retention(BaseModel):
    days_after_close: int = Field(
        description="Days personal data is kept after a request is closed or rejected "
        "(`RETENTION_DAYS_AFTER_CLOSE`).",
        examples=[1825],
    )
    text: str


class Right(BaseModel):
    right: Literal["access", "rectification", "objection"]
    text: str
    endpoints: list[str] = Field(
        description="The API operations that exercise it, when there are some.",
        examples=[["GET /api/v1/citizens/me/export"]],
    )


class PrivacyNotice(BaseModel):
    """The notice, in the language negotiated by `Accept-Language` (ar, fr or en)."""

    language: Literal["ar", "fr", "en"]
    title: str
    controller: Controller
    purposes: list[str]
    legal_basis: list[LegalBasis]
    retention: Retention
    recipients: list[str]
    rights: list[Right]
    how_to_exercise: str = Field(description="How to exercise the rights, by API, email or post.")
    cndp_declaration: str | None = Field(
        description="The reference of the declaration to the CNDP (`CNDP_DECLARATION`); null "
        "until it is configured.",
        examples=["D-GC-123/2026"],
    )
