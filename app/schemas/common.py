"""Shapes shared by every part of the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.domain.errors import FieldCodeError

# Every id the API takes is bounded by its column's type, PostgreSQL's `integer` or `bigint`:
# past it, the driver fails before the database can say "not found".
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1  # requests, attachments, outbox messages
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
BigId = Annotated[int, Field(ge=1, le=MAX_BIG_ID)]

# Moments the API takes, once in UTC, stay a year inside Python's calendar (years 1 to 9999),
# so that the arithmetic done on them (deadlines, 90-day spans) cannot overflow either.
EARLIEST_MOMENT = datetime(2, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(9998, 12, 31, tzinfo=UTC)


def in_calendar(value: datetime) -> bool:
    """True when `value` (naive read as UTC) lies between the earliest and latest moments."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return EARLIEST_MOMENT <= value.astimezone(UTC) <= LATEST_MOMENT
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is in year 0 once in UTC
        return False


def _bounded_moment(value: datetime) -> datetime:
    if not in_calendar(value):
        raise FieldCodeError(
            "out_of_range",
            min=EARLIEST_MOMENT.date().isoformat(),
            max=LATEST_MOMENT.date().isoformat(),
        )
    return value


Moment = Annotated[datetime, AfterValidator(_bounded_moment)]


def _aware_moment(value: datetime) -> datetime:
    if value.tzinfo is None:  # compared with the server's clock: never guessed
        raise FieldCodeError("not_a_datetime")
    return _bounded_moment(value)


# A moment that must name its offset (`Z`, `+01:00`): one compared with the present.
AwareMoment = Annotated[datetime, AfterValidator(_aware_moment)]


def body_config(
    example: dict[str, Any] | None = None,
    *,
    examples: list[Any] | None = None,
    strip_whitespace: bool = False,
) -> ConfigDict:
    """The config of a body the API takes: unknown fields are refused, `example` (or
    `examples`) is what the docs show, and with `strip_whitespace` strings lose their
    surrounding blanks."""
    shown: dict[str, Any] = {"example": example} if examples is None else {"examples": examples}
    config = ConfigDict(extra="forbid", json_schema_extra=shown)
    if strip_whitespace:
        config["str_strip_whitespace"] = True
    return config


class Localized(BaseModel):
    """A label in the portal's three languages."""

    model_config = body_config({"ar": "التأمين", "fr": "Assurance", "en": "Insurance"})

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
