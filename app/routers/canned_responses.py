"""Canned responses: each administration's reusable answers (`template` in actions and messages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response, status

from app.deps import Session, StaffActor
from app.errors import (
    AUTH_ERRORS,
    TemplateNotFound,
    ValidationFailed,
    error_responses,
)
from app.routers import make_router
from app.schemas.canned_responses import (
    CannedResponseCreate,
    CannedResponseIn,
    CannedResponseOut,
)
from app.schemas.common import MAX_ID, Page
from app.services import canned_responses, clock

router = make_router(prefix="/api/v1/backoffice/templates", tags=["backoffice"])
_ERRORS = (*AUTH_ERRORS, ValidationFailed)
ResponseId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "",
    summary="Canned responses of an administration",
    operation_id="listTemplates",
    responses=error_responses(*_ERRORS),
)
async def list_templates(
    actor: StaffActor,
    session: Session,
    administration: Annotated[
        str | None,
        Query(
            max_length=32,
            description="National admins: whose responses (required). Agents and supervisors "
            "read their own administration's.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=48)] = None,
) -> Page[CannedResponseOut]:
    """By code. Agents and supervisors see their administration's; national admins any one's.
    Keyset pagination: pass `next_cursor` back as `cursor`."""
    items, next_cursor = await canned_responses.listing(
        session, actor, administration=administration, limit=limit, cursor=cursor
    )
    return Page[CannedResponseOut](items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a canned response",
    operation_id="createTemplate",
    responses=error_responses(*_ERRORS),
)
async def create_template(
    body: CannedResponseCreate, actor: StaffActor, session: Session
) -> CannedResponseOut:
    """Supervisors add to their administration's responses, national admins to the one they
    name. A placeholder other than `{tracking_number}`, `{citizen_name}` and `{due_date}` is a
    field error (`unknown_placeholder`), as is a code already used (`code_taken`)."""
    return await canned_responses.create(session, actor, body, clock.now())


@router.put(
    "/{template_id}",
    summary="Replace a canned response",
    operation_id="replaceTemplate",
    responses=error_responses(*_ERRORS, TemplateNotFound),
)
async def replace_template(
    template_id: ResponseId, body: CannedResponseIn, actor: StaffActor, session: Session
) -> CannedResponseOut:
    """Supervisors of its administration, or national admins. Another administration's
    response answers `404`."""
    return await canned_responses.replace(session, actor, template_id, body, clock.now())


@router.delete(
    "/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a canned response",
    operation_id="deleteTemplate",
    responses=error_responses(*_ERRORS, TemplateNotFound),
)
async def delete_template(template_id: ResponseId, actor: StaffActor, session: Session) -> Response:
    """Supervisors of its administration, or national admins. Texts already sent stay as sent."""
    await canned_responses.remove(session, actor, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
