"""Shapes shared by every part of the API."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Localized(BaseModel):
    """A label in the portal's three languages."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"ar": "التأمين", "fr": "Assurance", "en": "Insurance"}},
    )

    ar: str = Field(min_length=1, max_length=2000)
    fr: str = Field(min_length=1, max_length=2000)
    en: str = Field(min_length=1, max_length=2000)


class ProblemFieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `complainant.email`.")
    code: str = Field(description="Stable machine code of the error, e.g. `required`.")
    message: str = Field(description="Localized explanation, by `Accept-Language`.")


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable `code` and, for invalid data, field `errors`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/problems/validation_failed"])
    title: str
    status: int
    detail: str
    code: str = Field(examples=["validation_failed"])
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None
    allowed_actions: list[str] | None = Field(
        default=None, description="With `409` refusals of the lifecycle: what the caller may do."
    )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a keyset-paginated list; pass `next_cursor` back as `cursor` for the next."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor of the next page; absent on the last page."
    )


JSONDict = dict[str, Any]
