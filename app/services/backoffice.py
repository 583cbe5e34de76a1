"""The back-office queue: one administration's requests, filtered, keyset-paginated."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Row

from app.domain.actors import Actor
from app.domain.contacts import normalize_phone, phone_forms
from app.domain.errors import FieldCodeError
from app.errors import FieldError, Forbidden, ValidationFailed
from app.models.enums import Role
from app.repositories import requests as repository
from app.repositories.driver import Direct
from app.repositories.requests import QueueFilter
from app.schemas.common import MAX_BIG_ID, MAX_ID, in_calendar
from app.services import catalogue, tracking_numbers
from app.services.textnorm import tsquery_terms

__all__ = ["QueueFilter", "Sort", "queue"]


class Sort(StrEnum):
    due_at = "due_at"  # the most urgent first
    newest = "-created_at"
    oldest = "created_at"


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


def _assignee(value: str, me: int | None) -> ColumnElement[bool]:
    if value == "none":
        return repository.assigned_to(None)
    if value == "me":
        return repository.assigned_to(me)
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return repository.assigned_to(int(value))
    raise ValidationFailed(errors=[FieldError("assignee", "invalid")])


async def queue_scope(direct: Direct, actor: Actor, code: str | None) -> int | None:
    """Whose queue: an agent's or supervisor's own administration, whatever they name (naming
    another is 403, never a wider view); a national admin's named one, or every one (None)."""
    if actor.role is Role.national_admin:
        if code is None:
            return None
        found = await catalogue.administration_id(direct, code)
        if found is None:
            raise ValidationFailed(errors=[FieldError("administration", "unknown_administration")])
        return found
    if actor.role not in (Role.agent, Role.supervisor) or actor.administration_id is None:
        raise Forbidden()
    if code is not None:
        found = await catalogue.administration_id(direct, code)
        if found is None or found != actor.administration_id:
            raise Forbidden()
    return actor.administration_id


async def queue(
    direct: Direct,
    *,
    administration_id: int | None,
    me: int | None,
    filters: QueueFilter,
    sort: Sort,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of the queue: one administration's (its (administration_id, ...) indexes), or
    every administration's for the national admins (`administration_id` None: (due_at, id),
    (created_at, id), and (escalation_level, due_at, id) for their escalated requests)."""
    conditions = repository.queue_conditions(administration_id, filters, now)
    if filters.assignee:
        conditions.append(_assignee(filters.assignee, me))
    if filters.q:
        phone = _as_phone(filters.q)
        queries = [tsquery_terms(filters.q), tsquery_terms(phone) if phone else None]
        match = repository.search(
            tracking_numbers.normalize(filters.q), [query for query in queries if query]
        )
        if match is not None:
            conditions.append(match)
    rows = await repository.queue_page(
        direct,
        administration_id=administration_id,
        sort=sort.value,
        limit=limit + 1,
        conditions=conditions,
        after=_decode_cursor(cursor) if cursor else None,
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(
            last.due_at if sort is Sort.due_at else last.created_at, last.id
        )
    return rows, next_cursor
