"""The back-office queue: one administration's requests, filtered, keyset-paginated."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.errors import FieldCodeError, FieldError, ValidationFailed
from app.models.catalogue import Service
from app.models.enums import Kind, State
from app.models.request import Request
from app.schemas.common import MAX_BIG_ID, MAX_ID, in_calendar
from app.services import tracking_numbers
from app.services.contacts import normalize_phone, phone_forms
from app.services.textnorm import tsquery_terms


class Sort(StrEnum):
    due_at = "due_at"  # the most urgent first
    newest = "-created_at"
    oldest = "created_at"


@dataclass(frozen=True)
class QueueFilter:
    states: list[State] | None = None
    kind: Kind | None = None
    service: str | None = None
    assignee: str | None = None  # a staff id, "me" or "none"
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None


def _encode_cursor(value: datetime, row_id: int) -> str:
    raw = json.dumps([value.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _as_phone(query: str) -> str | None:
    """A query typed as a phone number (spaces, national form, +212, 00212), in the digits the
    search text holds; None when it is not one."""
    if sum(ch.isdigit() for ch in query) < 8:
        return None
    try:
        return phone_forms(normalize_phone(query))[0]
    except FieldCodeError:
        return None


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Only what `_encode_cursor` writes: an aware moment within the calendar and a row id
    (a forged one may hold Infinity, a float, a huge integer, a moment of year 0 in UTC)."""
    invalid = ValidationFailed(errors=[FieldError("cursor", "invalid_cursor")])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = json.loads(raw, parse_constant=_refuse_constant)
        moment = datetime.fromisoformat(value)
    except (binascii.Error, ValueError, TypeError, json.JSONDecodeError):
        raise invalid from None
    if type(row_id) is not int or not 1 <= row_id <= MAX_BIG_ID:
        raise invalid
    if moment.tzinfo is None or not in_calendar(moment):
        raise invalid
    return moment, row_id


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity, -Infinity: not JSON, and never in a cursor


def _overdue(now: datetime) -> ColumnElement[bool]:
    # The clock is paused while awaiting the citizen, so only these states can be late.
    return and_(
        Request.state.in_([State.submitted.value, State.in_progress.value]), Request.due_at < now
    )


def _assignee(value: str, me: int | None) -> ColumnElement[bool]:
    if value == "none":
        return Request.assignee_id.is_(None)
    if value == "me":
        return Request.assignee_id == me
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return Request.assignee_id == int(value)
    raise ValidationFailed(errors=[FieldError("assignee", "invalid")])


async def queue(
    session: AsyncSession,
    *,
    administration_id: int,
    me: int | None,
    filters: QueueFilter,
    sort: Sort,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[Request], str | None]:
    """One page of the queue. Every filter rides on the (administration_id, ...) indexes."""
    conditions: list[ColumnElement[bool]] = [Request.administration_id == administration_id]
    if filters.states:
        conditions.append(Request.state.in_([s.value for s in filters.states]))
    if filters.kind:
        conditions.append(Request.kind == filters.kind.value)
    if filters.service:
        conditions.append(
            Request.service_id.in_(
                select(Service.id).where(
                    Service.administration_id == administration_id, Service.code == filters.service
                )
            )
        )
    if filters.assignee:
        conditions.append(_assignee(filters.assignee, me))
    if filters.overdue is not None:
        conditions.append(_overdue(now) if filters.overdue else not_(_overdue(now)))
    if filters.created_from:
        conditions.append(Request.created_at >= filters.created_from)
    if filters.created_to:
        conditions.append(Request.created_at < filters.created_to)
    if filters.q:
        number = tracking_numbers.normalize(filters.q)
        phone = _as_phone(filters.q)
        terms = tsquery_terms(filters.q)
        matches: list[ColumnElement[bool]] = []
        if number:
            matches.append(Request.tracking_number == number)
        for query in (terms, tsquery_terms(phone) if phone else None):
            if query:
                matches.append(
                    Request.search_vector.bool_op("@@")(func.to_tsquery("simple", query))
                )
        if matches:
            conditions.append(or_(*matches))

    column = Request.due_at if sort is Sort.due_at else Request.created_at
    descending = sort is Sort.newest
    if cursor:
        value, row_id = _decode_cursor(cursor)
        key = tuple_(column, Request.id)
        conditions.append(
            key < tuple_(value, row_id) if descending else key > tuple_(value, row_id)
        )
    order = (column.desc(), Request.id.desc()) if descending else (column.asc(), Request.id.asc())
    stmt = (
        select(Request)
        .where(*conditions)
        .order_by(*order)
        .limit(limit + 1)
        .options(
            selectinload(Request.administration),
            selectinload(Request.service),
            selectinload(Request.assignee),
        )
    )
    rows = list((await session.scalars(stmt)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(
            last.due_at if sort is Sort.due_at else last.created_at, last.id
        )
    return rows, next_cursor
