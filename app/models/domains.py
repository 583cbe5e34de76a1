"""The columns of `requests`, `request_events` and `outbox` restricted to a few values, typed by
PostgreSQL domains (migration 0026) instead of checked by their tables' CHECK constraints.

PostgreSQL reads each CHECK constraint of a table from its stored text and plans it again at
every statement that writes the table (nothing keeps it between statements): the fifteen of
these three tables were a fifth of a filing's work. A domain's constraints are read and planned
once per connection (its type cache) and checked only on the values written to a column of
that type. The same conditions, the same values allowed; a violation is named after the domain
(`request_state_check`). Only the conditions over several columns stay checks of their table
(`ck_requests_contact`, `ck_requests_coordinates`: both coordinates or neither).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Double, SmallInteger, String
from sqlalchemy.dialects.postgresql import DOMAIN
from sqlalchemy.sql.operators import OperatorClass
from sqlalchemy.types import TypeEngine

from app.models.base import one_of
from app.models.enums import Channel, Kind, Outcome, PersonType, RejectionReason, Role, State


class Domain(DOMAIN):
    """SQLAlchemy's DOMAIN, compared with the operators of its base type (SQLAlchemy 2.1 warns
    at every comparison of a type that names none). Its parameters are sent cast to it, as
    asyncpg's are to their column's type, so that PostgreSQL never has to guess their type (a
    parameter in the list of an `INSERT ... SELECT` would be text)."""

    render_bind_cast = True

    @property
    def operator_classes(self) -> OperatorClass:  # type: ignore[override]
        return self.data_type.operator_classes


def domain(name: str, base: TypeEngine[Any], check: str) -> Domain:
    """A domain over `base` whose values pass `check` (on `VALUE`; a NULL passes, as it passes
    a CHECK constraint), its constraint named `<name>_check`."""
    return Domain(name, base, check=check, constraint_name=f"{name}_check")


def one_of_enum(name: str, length: int, values: type[StrEnum]) -> Domain:
    return domain(name, String(length), one_of("VALUE", [member.value for member in values]))


REQUEST_KIND = one_of_enum("request_kind", 32, Kind)
REQUEST_STATE = one_of_enum("request_state", 32, State)
REQUEST_CHANNEL = one_of_enum("request_channel", 32, Channel)
PERSON_TYPE = one_of_enum("person_type", 16, PersonType)
REJECTION_REASON = one_of_enum("rejection_reason", 32, RejectionReason)
REQUEST_OUTCOME = one_of_enum("request_outcome", 32, Outcome)
REQUEST_LANGUAGE = domain("request_language", String(2), one_of("VALUE", ("ar", "fr", "en")))
ESCALATION_LEVEL = domain("escalation_level", SmallInteger(), "VALUE BETWEEN 0 AND 2")
RATING_SCORE = domain("rating_score", SmallInteger(), "VALUE BETWEEN 1 AND 5")
LATITUDE = domain("latitude", Double(), "VALUE BETWEEN '-90'::float8 AND '90'::float8")
LONGITUDE = domain("longitude", Double(), "VALUE BETWEEN '-180'::float8 AND '180'::float8")
ROLE = one_of_enum("role", 32, Role)
# `fanout`: a filing's messages, in one row, until the dispatcher writes them out (migration 0029).
OUTBOX_CHANNEL = domain(
    "outbox_channel", String(16), one_of("VALUE", ("email", "sms", "webhook", "fanout"))
)
OUTBOX_STATUS = domain(
    "outbox_status", String(16), one_of("VALUE", ("pending", "sent", "parked", "expired"))
)
