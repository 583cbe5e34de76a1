"""Canned responses: each administration's reusable answers, and their use in actions and
messages, where the server fills the placeholders in the citizen's language.

A response belongs to one administration: supervisors manage their own, agents read and use
them, national admins manage any. A code is always looked up within the administration of the
request it answers, so another administration's text can never be sent."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.errors import FieldError, Forbidden, TemplateNotFound, ValidationFailed
from app.i18n import LANGUAGES
from app.models.canned_response import CannedResponse
from app.models.catalogue import Administration
from app.models.enums import Role
from app.models.request import Request
from app.repositories import canned_responses as repository
from app.schemas.canned_responses import (
    CODE_PATTERN,
    CannedResponseCreate,
    CannedResponseIn,
    CannedResponseOut,
)
from app.schemas.requests import MESSAGE_MAX

READERS = (Role.agent, Role.supervisor, Role.national_admin)
MANAGERS = (Role.supervisor, Role.national_admin)


def out(response: CannedResponse, administration_code: str) -> CannedResponseOut:
    return CannedResponseOut.model_validate(
        {
            "id": response.id,
            "administration": administration_code,
            "code": response.code,
            "name": response.name,
            "body": response.body,
            "updated_at": response.updated_at,
        }
    )


async def _administration(session: AsyncSession, actor: Actor, code: str | None) -> Administration:
    """The administration whose responses `actor` reads or manages: national admins name it,
    agents and supervisors have their own (naming another is refused)."""
    if actor.role not in READERS:
        raise Forbidden()
    if actor.role is Role.national_admin:
        if code is None:
            raise ValidationFailed(errors=[FieldError("administration", "required")])
        found = await repository.administration_by_code(session, code.upper())
        if found is None:
            raise ValidationFailed(errors=[FieldError("administration", "unknown_administration")])
        return found
    assert actor.administration_id is not None
    own = await repository.administration(session, actor.administration_id)
    if code is not None and code.upper() != own.code:
        raise Forbidden()
    return own


async def listing(
    session: AsyncSession,
    actor: Actor,
    *,
    administration: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[CannedResponseOut], str | None]:
    """One administration's responses by code, `limit` at a time (keyset: the last code)."""
    owner = await _administration(session, actor, administration)
    if cursor is not None and not re.fullmatch(CODE_PATTERN, cursor):
        raise ValidationFailed(errors=[FieldError("cursor", "invalid_cursor")])
    rows = await repository.page(session, owner.id, after=cursor, limit=limit + 1)
    next_cursor = rows[limit - 1].code if len(rows) > limit else None
    return [out(row, owner.code) for row in rows[:limit]], next_cursor


async def _managed(
    session: AsyncSession, actor: Actor, response_id: int
) -> tuple[CannedResponse, Administration]:
    if actor.role not in MANAGERS:
        raise Forbidden()
    response = await repository.get(session, response_id)
    # Another administration's response does not exist for a supervisor.
    if response is None or (
        actor.role is Role.supervisor and response.administration_id != actor.administration_id
    ):
        raise TemplateNotFound()
    return response, await repository.administration(session, response.administration_id)


def _fill(response: CannedResponse, body: CannedResponseIn, now: datetime) -> None:
    response.code = body.code
    response.name = body.name.model_dump()
    response.body = body.body.model_dump()
    response.updated_at = now


async def _save(session: AsyncSession, response: CannedResponse) -> None:
    # The unique (administration, code) decides, also between two concurrent writers.
    try:
        async with session.begin_nested():
            session.add(response)
            await session.flush()
    except IntegrityError as exc:
        if "uq_canned_responses_administration_id" not in str(exc.orig):
            raise
        raise ValidationFailed(errors=[FieldError("code", "code_taken")]) from None


async def create(
    session: AsyncSession, actor: Actor, body: CannedResponseCreate, now: datetime
) -> CannedResponseOut:
    if actor.role not in MANAGERS:
        raise Forbidden()
    owner = await _administration(session, actor, body.administration)
    response = CannedResponse(administration_id=owner.id, created_at=now)
    _fill(response, body, now)
    await _save(session, response)
    return out(response, owner.code)


async def replace(
    session: AsyncSession, actor: Actor, response_id: int, body: CannedResponseIn, now: datetime
) -> CannedResponseOut:
    response, owner = await _managed(session, actor, response_id)
    _fill(response, body, now)
    await _save(session, response)
    return out(response, owner.code)


async def remove(session: AsyncSession, actor: Actor, response_id: int) -> None:
    response, _owner = await _managed(session, actor, response_id)
    await repository.remove(session, response)


# --- use


def expand(response: CannedResponse, request: Request, settings: Settings) -> str:
    """The response's text in the request's language, its placeholders filled."""
    language = request.language if request.language in LANGUAGES else settings.default_language
    text = response.body.get(language) or response.body[settings.default_language]
    # Placeholders were checked on save: bare names only, so `format` reads nothing else.
    return text.format(
        tracking_number=request.tracking_number,
        citizen_name=request.full_name,
        due_date=request.due_at.date().isoformat(),
    )


async def compose(
    session: AsyncSession,
    request: Request,
    *,
    text: str | None,
    template: str | None,
    field: str,
    settings: Settings,
) -> str | None:
    """The text to send: the one typed (`field`), or the named response of the request's own
    administration, filled. Naming both, or a code the administration does not have, is a
    field error."""
    if template is None:
        return text
    if text:
        raise ValidationFailed(
            errors=[FieldError("template", "template_or_text", {"field": field})]
        )
    response = await repository.by_code(session, request.administration_id, template)
    if response is None:
        raise ValidationFailed(errors=[FieldError("template", "unknown_template")])
    filled = expand(response, request, settings)
    if len(filled) > MESSAGE_MAX:
        raise ValidationFailed(errors=[FieldError("template", "too_long", {"max": MESSAGE_MAX})])
    return filled
