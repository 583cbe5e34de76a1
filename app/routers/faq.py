"""The FAQ: public to read, managed by national admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response, status

from app.deps import NationalAdmin, Session
from app.errors import (
    AUTH_ERRORS,
    NotFound,
    ValidationFailed,
    error_responses,
)
from app.routers import make_router
from app.schemas.common import MAX_ID
from app.schemas.faq import FaqIn, FaqOut
from app.services import clock, faq

router = make_router(tags=["faq"])
_ADMIN_ERRORS = (*AUTH_ERRORS, ValidationFailed)
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/api/v1/faq",
    summary="Frequently asked questions",
    operation_id="listFaq",
    responses=error_responses(ValidationFailed),
)
async def list_faq(
    session: Session,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Words of a question or answer, in any of the three languages.",
        ),
    ] = None,
) -> list[FaqOut]:
    """Questions and answers in Arabic, French and English, by topic and position."""
    return [faq.out(e) for e in await faq.listing(session, topic=topic, q=q)]


@router.post(
    "/api/v1/backoffice/faq",
    status_code=status.HTTP_201_CREATED,
    summary="Add a question",
    operation_id="createFaq",
    responses=error_responses(*_ADMIN_ERRORS),
)
async def create_faq(body: FaqIn, _actor: NationalAdmin, session: Session) -> FaqOut:
    """National admins only."""
    return faq.out(await faq.create(session, body, clock.now()))


@router.put(
    "/api/v1/backoffice/faq/{entry_id}",
    summary="Replace a question",
    operation_id="replaceFaq",
    responses=error_responses(*_ADMIN_ERRORS, NotFound),
)
async def replace_faq(
    entry_id: EntryId, body: FaqIn, _actor: NationalAdmin, session: Session
) -> FaqOut:
    """National admins only."""
    return faq.out(await faq.replace(session, entry_id, body, clock.now()))


@router.delete(
    "/api/v1/backoffice/faq/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a question",
    operation_id="deleteFaq",
    responses=error_responses(*_ADMIN_ERRORS, NotFound),
)
async def delete_faq(entry_id: EntryId, _actor: NationalAdmin, session: Session) -> Response:
    """National admins only."""
    await faq.remove(session, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
