"""Documents attached to a request: evidence from the citizen, documents of the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import Depends, Path, Request, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.requests import ClientDisconnect

from app.config import Settings
from app.db import on_rollback
from app.deps import (
    AppSettings,
    ClientAddress,
    CurrentActor,
    Session,
    optional_actor,
    require_actor,
    staff_oauth2,
    tracking_bearer,
)
from app.errors import (
    BodyReadTimeout,
    FileTooLarge,
    FileTypeNotAllowed,
    InvalidToken,
    MalformedMultipart,
    NotFound,
    PayloadTooLarge,
    RequestNotFound,
    RequestTimeout,
    TooManyAttachments,
    TooManyUploads,
    TransitionNotAllowed,
    Unauthorized,
    UnsupportedMediaType,
    error_responses,
)
from app.routers import make_router
from app.schemas.attachments import UPLOAD_BODY, AttachmentOut
from app.schemas.common import MAX_BIG_ID
from app.services import access_log, attachments, auth, clock
from app.services import requests as requests_service
from app.services.storage import Storage, get_storage

router = make_router(prefix="/api/v1/requests", tags=["attachments"])

TrackingNumber = Annotated[str, Path(max_length=32, examples=["K7MD-Q2ZX-9PT"])]
_READ = (Unauthorized, InvalidToken, RequestNotFound)


async def _body(http: Request) -> AsyncIterator[bytes]:
    """The HTTP body chunk by chunk, for the upload service. A client gone before the end:
    nobody reads the answer, but it must not count as our fault (a body-read timeout)."""
    try:
        async for chunk in http.stream():
            yield chunk
    except ClientDisconnect:
        raise BodyReadTimeout() from None


def _storage(http: Request) -> Storage:
    cached: Storage | None = getattr(http.app.state, "storage", None)
    if cached is None:
        cached = http.app.state.storage = get_storage(http.app.state.settings)
    return cached


def _slots(http: Request) -> attachments.UploadSlots:
    cached: attachments.UploadSlots | None = getattr(http.app.state, "upload_slots", None)
    if cached is None:
        settings = http.app.state.settings
        cached = http.app.state.upload_slots = attachments.UploadSlots(
            settings.uploads_per_client, settings.body_read_timeout_seconds
        )
    return cached


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
        TooManyUploads,
        RequestTimeout,
        MalformedMultipart,
    ),
)
async def upload(
    tracking_number: TrackingNumber,
    http: Request,
    session: Session,
    settings: AppSettings,
    client: ClientAddress,
    token: Annotated[str | None, Depends(staff_oauth2)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(tracking_bearer)],
) -> list[AttachmentOut]:
    """`multipart/form-data` with one or several `files`: the citizen's evidence, or staff's
    documents for their answer. Each file is received in full while counted and hashed, and
    refused with `413` the moment it passes the size limit (10 MB by default; at most 10 files
    an upload and 20 a request). The type is read from the content — PDF, JPEG, PNG, WebP,
    HEIC, DOCX, ODT (office documents by their structure) — never from the name, and the
    stored name takes that type's extension; anything else, or a declared type that lies,
    answers `415`. Closed and rejected requests take no more documents (`409`). A client has
    at most 3 uploads in progress at a time (`429` with `Retry-After` beyond), and a body
    that stops arriving for 30 seconds is cut off with `408`."""
    # No database before the body is in hand: a client that sends slowly, or stops, holds no
    # connection and no lock. The token's signature and expiry need none.
    if not token:
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    auth.decode(token, settings)
    storage = _storage(http)
    with _slots(http).hold(client):
        content_type = http.headers.get("content-type", "")
        async with attachments.received(content_type, _body(http), storage, settings) as files:
            keys = await attachments.store(storage, files, partial(on_rollback, http))
            actor = await require_actor(await optional_actor(session, settings, token, bearer))
            request = await requests_service.get_visible(session, tracking_number, actor)
            created = await attachments.record(
                session, request, actor, files, keys, settings=settings, now=clock.now()
            )
    return [attachments.out(a) for a in created]


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
    listed = await attachments.listing(session, request)
    await access_log.record_staff_read(session, request.id, actor, "attachments", clock.now())
    return [attachments.out(a) for a in listed]


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
    await access_log.record_staff_read(session, request.id, actor, "download", clock.now())
    stored = await attachments.download(_storage(http), attachment)
    return StreamingResponse(
        stored.chunks,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": attachments.content_disposition(
                attachments.served_name(attachment)
            ),
            "Content-Length": str(stored.size),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{attachment.sha256}"',
            "Cache-Control": "private, no-store",
        },
    )
