"""Declarative base with a constraint naming convention, so migrations name things predictably."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import DateTime, Dialect, ForeignKey, MetaData, String, func
from sqlalchemy.dialects.postgresql import DOMAIN, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {datetime: DateTime(timezone=True)}


M = TypeVar("M", bound=Base)


def loaded(model: type[M], values: Mapping[str, Any]) -> M:
    """An instance of `model` holding `values` as if the ORM had loaded them (what its loader
    does: straight into the instance's dict), without the attribute events of the mapped
    constructor, which tracks each assignment as a change (15 times the cost): for a view to
    read, or a row about to be inserted by hand."""
    instance: M = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AdministrationCoded:
    """A row one administration owns, picked by a code unique within that administration (the
    class declares `UniqueConstraint("administration_id", "code")`), with a localized name
    (`{"ar","fr","en"}`)."""

    # Ahead of the class's own columns, as the tables have them.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), sort_order=-1)
    code: Mapped[str] = mapped_column(String(48), sort_order=-1)
    name: Mapped[dict[str, str]] = mapped_column(JSONB, sort_order=-1)


def enum_check(column: str, values: type) -> str:
    """A CHECK expression restricting a string column to the members of a StrEnum.

    One array constant rather than `column IN ('a', 'b')`: PostgreSQL reads and plans a
    table's checks again at every statement writing it, and an `IN` list is stored as one
    cast constant per member, folded into an array each time (migration 0025)."""
    return one_of(column, [member.value for member in values])  # type: ignore[attr-defined]


def one_of(column: str, members: Iterable[str]) -> str:
    """A CHECK expression: `column` is one of `members` (see `enum_check`)."""
    return f"{column}::text = ANY ('{{{','.join(members)}}}'::text[])"


class EnumString(TypeDecorator[E]):
    """A StrEnum kept as its plain value in a `VARCHAR(length)` column (restricted by a CHECK,
    see `enum_check`), or in a column of `domain` (a PostgreSQL domain over `VARCHAR` whose
    constraint restricts it, `app.models.domains`): the database sees the same strings, Python
    sees the members."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 32, domain: DOMAIN | None = None) -> None:
        super().__init__(length)
        if domain is not None:
            self.impl = domain  # type: ignore[assignment]  # an instance, as String(length) is
        self.enum = enum
        self.length = length
        # Every row read converts its values: a dict look-up, not the enum's constructor.
        self._members: dict[str, E] = {str(member): member for member in enum}

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        if value is None:
            return None
        member = self._members.get(value)
        return member if member is not None else self.enum(value)  # unknown: its ValueError
