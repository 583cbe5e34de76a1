"""Documents attached to a request: evidence from the citizen, documents of the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, status
from fastapi.responses import StreamingResponse

from app.config import Settings
from app.deps import AppSettings, CurrentActor, Session
from app.errors import (
    FileTooLarge,
    FileTypeNotAllowed,
    InvalidToken,
    NotFound,
    PayloadTooLarge,
    RequestNotFound,
    TooManyAttachments,
    TransitionNotAllowed,
    Unauthorized,
    UnsupportedMediaType,
    error_responses,
)
from app.models.attachment import Attachment
from app.routers import make_router
from app.schemas.attachments import UPLOAD_BODY, AttachmentOut
from app.schemas.common import MAX_BIG_ID
from app.services import attachments, clock
from app.services import requests as requests_service
from app.services.storage import Storage, get_storage

router = make_router(prefix="/api/v1/requests", tags=["attachments"])

TrackingNumber = Annotated[str, Path(max_length=32, examples=["K7MD-Q2ZX-9PT"])]
_READ = (Unauthorized, InvalidToken, RequestNotFound)


def _storage(http: Request) -> Storage:
    cached: Storage | None = getattr(http.app.state, "storage", None)
    if cached is None:
        cached = http.app.state.storage = get_storage(http.app.state.settings)
    return cached


def _out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        name=attachment.display_name,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by_role,
        created_at=attachment.created_at,
    )


@router.post(
    "/{tracking_number}/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="Add documents",
    operation_id="uploadAttachments",
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses=error_responses(
        *_READ,
        TransitionNotAllowed,
        FileTooLarge,
        PayloadTooLarge,
        TooManyAttachments,
        FileTypeNotAllowed,
        UnsupportedMediaType,
    ),
)
async def upload(
    tracking_number: TrackingNumber,
    http: Request,
    session: Session,
    settings: AppSettings,
    actor: CurrentActor,
) -> list[AttachmentOut]:
    """`multipart/form-data` with one or several `files`: the citizen's evidence, or staff's
    documents for their answer. Each file is streamed to storage while counted and hashed, and
    refused with `413` the moment it passes the size limit (10 MB by default; at most 10 files
    an upload and 20 a request). The type is read from the content — PDF, JPEG, PNG, WebP,
    HEIC, DOCX, ODT — never from the name; anything else, or a declared type that lies,
    answers `415`. Closed and rejected requests take no more documents (`409`)."""
    request = await requests_service.get_visible(session, tracking_number, actor)
    created = await attachments.upload(
        session, http, request, actor, storage=_storage(http), settings=settings, now=clock.now()
    )
    return [_out(a) for a in created]


@router.get(
    "/{tracking_number}/attachments",
    summary="List documents",
    operation_id="listAttachments",
    responses=error_responses(*_READ),
)
async def list_attachments(
    tracking_number: TrackingNumber, session: Session, actor: CurrentActor
) -> list[AttachmentOut]:
    """The request's documents, oldest first, with their size, type and SHA-256."""
    request = await requests_service.get_visible(session, tracking_number, actor)
    return [_out(a) for a in await attachments.listing(session, request)]


DOCUMENT_TYPES: list[str] = Settings.model_fields["allowed_attachment_types"].default
DOWNLOAD_SCHEMA = {"type": "string", "format": "binary"}


@router.get(
    "/{tracking_number}/attachments/{attachment_id}",
    summary="Download a document",
    operation_id="downloadAttachment",
    response_class=StreamingResponse,
    responses={
        # Served with the type detected at upload: one of the accepted ones.
        200: {"content": {media: {"schema": DOWNLOAD_SCHEMA} for media in DOCUMENT_TYPES}},
        **error_responses(*_READ, NotFound),
    },
)
async def download(
    tracking_number: TrackingNumber,
    attachment_id: Annotated[int, Path(ge=1, le=MAX_BIG_ID)],
    http: Request,
    session: Session,
    actor: CurrentActor,
) -> StreamingResponse:
    """Streamed from storage, always as a download (`Content-Disposition: attachment` with the
    original name in `filename*`) and with `X-Content-Type-Options: nosniff`."""
    request = await requests_service.get_visible(session, tracking_number, actor)
    attachment = await attachments.find(session, request, attachment_id)
    stored = await attachments.download(_storage(http), attachment)
    return StreamingResponse(
        stored.chunks,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": attachments.content_disposition(attachment.display_name),
            "Content-Length": str(stored.size),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{attachment.sha256}"',
            "Cache-Control": "private, no-store",
        },
    )
