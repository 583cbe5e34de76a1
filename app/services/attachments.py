"""Documents: received whole before the database is touched, then recorded in a short transaction.

An upload may take minutes from a slow phone, and a client may stop sending half-way. So the body
is parsed here, chunk by chunk, with python-multipart (Starlette's form parser does not cap file
parts) into spooled files — counted (413 the moment a file passes the limit), hashed and typed by
content — while no database connection is checked out and no row is locked. A client that stops
sending is cut off by the body-read timeout (408, in the middleware), and each client has a few
uploads in progress at a time (429). Only with every file in hand does a short transaction check
the caller's rights and the request's limits, lock the request and record the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.errors import (
    FileTooLarge,
    FileTypeNotAllowed,
    MalformedMultipart,
    NotFound,
    TooManyAttachments,
    TooManyUploads,
    UnsupportedMediaType,
)
from app.models.attachment import Attachment
from app.models.enums import Action
from app.models.request import Request
from app.repositories import attachments as repository
from app.schemas.attachments import AttachmentOut
from app.services import requests as requests_service
from app.services.file_types import detect, named_for
from app.services.lifecycle import ActionInput
from app.services.storage import Storage, StoredObject, new_key

SNIFF_BYTES = 8192
# Browsers and apps declare these when they do not know better; the content decides.
VAGUE_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
ALIASES = {"image/jpg": "image/jpeg", "image/heif": "image/heic"}


def display_name(raw: str | None) -> str:
    """The client's file name as harmless display text: no path, no control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" ")
    stem, dot, extension = name.rpartition(".")
    if dot and extension.isalnum():  # `....pdf` keeps its extension, loses its dots
        name = (stem.strip(" .") or "document") + "." + extension
    else:
        name = name.strip(" .")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (
            (stem[: 254 - len(extension)] + dot + extension)
            if dot and len(extension) < 10
            else name[:255]
        )
    return name or "document"


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback and the exact UTF-8 name (Arabic names included)."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in fallback).strip()
    stem, dot, extension = fallback.rpartition(".")
    if not fallback.strip("._- "):
        fallback = "document"
    elif dot and not stem.strip("._- "):  # an all-Arabic name: not a hidden `.pdf`
        fallback = "document." + extension
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@dataclass
class Part:
    name: str
    declared_type: str
    spool: IO[bytes]
    size: int = 0
    head: bytearray = field(default_factory=bytearray)
    digest: Any = field(default_factory=hashlib.sha256)


@dataclass
class _Events:
    """What the synchronous parser callbacks saw in one chunk, replayed asynchronously."""

    items: list[tuple[str, Any]] = field(default_factory=list)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    headers: dict[bytes, bytes] = field(default_factory=dict)


def _parser(boundary: bytes, events: _Events) -> MultipartParser:
    def on_part_begin() -> None:
        events.headers = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        events.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        events.header_value += data[start:end]

    def on_header_end() -> None:
        events.headers[bytes(events.header_field).lower()] = bytes(events.header_value)
        events.header_field.clear()
        events.header_value.clear()

    def on_headers_finished() -> None:
        events.items.append(("begin", dict(events.headers)))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        events.items.append(("data", data[start:end]))

    def on_part_end() -> None:
        events.items.append(("end", None))

    return MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )


def _too_many_attachments(settings: Settings) -> TooManyAttachments:
    return TooManyAttachments(
        params={
            "per_upload": settings.max_files_per_upload,
            "per_request": settings.max_attachments_per_request,
        }
    )


# Undo work if the transaction does not commit (`app.db.on_rollback`, bound to the request).
OnRollback = Callable[[Callable[[], Coroutine[Any, Any, None]]], None]


async def _receive_parts(
    content_type: str, body: AsyncIterable[bytes], storage: Storage, settings: Settings
) -> list[Part]:
    """Stream the body into spooled files; refuse as soon as a limit is passed. A client gone
    before the end is the body's iterator's to report (as `BodyReadTimeout`)."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(params={"expected": "multipart/form-data"})
    events = _Events()
    parser = _parser(boundary, events)
    parts: list[Part] = []
    current: Part | None = None
    limit = settings.max_attachment_bytes
    try:
        async for chunk in body:
            parser.write(chunk)
            for event, value in events.items:
                if event == "begin":
                    _, params = parse_options_header(value.get(b"content-disposition", b""))
                    filename = params.get(b"filename")
                    current = None
                    if filename is not None:  # a file part; plain form fields are ignored
                        if len(parts) >= settings.max_files_per_upload:
                            raise _too_many_attachments(settings)
                        spool = await asyncio.to_thread(storage.spool)
                        declared = value.get(b"content-type", b"").decode("latin-1").lower()
                        current = Part(
                            display_name(filename.decode("utf-8", "replace")), declared, spool
                        )
                        parts.append(current)
                elif event == "data" and current is not None:
                    current.size += len(value)
                    if current.size > limit:
                        raise FileTooLarge(params={"limit": limit})
                    current.digest.update(value)
                    if len(current.head) < SNIFF_BYTES:
                        current.head += value[: SNIFF_BYTES - len(current.head)]
                    await asyncio.to_thread(current.spool.write, value)
                elif event == "end":
                    current = None
            events.items.clear()
        parser.finalize()
    except MultipartParseError:
        await _discard(parts)
        raise MalformedMultipart() from None
    except BaseException:
        await _discard(parts)
        raise
    for part in parts:
        await asyncio.to_thread(part.spool.close)
    return parts


async def _discard(parts: list[Part]) -> None:
    for part in parts:
        await asyncio.to_thread(part.spool.close)
        await asyncio.to_thread(Path(part.spool.name).unlink, True)


@dataclass(frozen=True)
class Received:
    """A file received whole: spooled at `path`, counted, hashed, typed and named for its type."""

    name: str
    content_type: str
    size: int
    sha256: str
    path: Path


async def _typed(part: Part, settings: Settings) -> Received:
    path = Path(part.spool.name)
    # Reading an archive's structure is disk and CPU work: never on the event loop.
    found = await asyncio.to_thread(detect, bytes(part.head), path)
    declared = ALIASES.get(part.declared_type, part.declared_type)
    if found not in settings.allowed_attachment_types or declared not in (VAGUE_TYPES | {found}):
        raise FileTypeNotAllowed(params={"name": part.name, "found": found})
    return Received(named_for(part.name, found), found, part.size, part.digest.hexdigest(), path)


@contextlib.asynccontextmanager
async def received(
    content_type: str, body: AsyncIterable[bytes], storage: Storage, settings: Settings
) -> AsyncIterator[list[Received]]:
    """The upload's files (a `multipart/form-data` body of `content_type`, chunk by chunk),
    received whole and typed — before any database work. Whatever was not moved into storage
    by the end of the block is removed."""
    parts = await _receive_parts(content_type, body, storage, settings)
    try:
        if not parts:
            raise _too_many_attachments(settings)
        yield [await _typed(part, settings) for part in parts]
    finally:
        await _discard(parts)  # files moved into storage are no longer there: nothing to do


class UploadSlots:
    """The uploads in progress in this process, per client address: a client may hold
    `limit` of them (0: no limit), so half-sent bodies cannot tie up the server for others."""

    def __init__(self, limit: int, retry_after: float) -> None:
        self.limit = limit
        self.retry_after = max(1, math.ceil(retry_after))
        self.active: dict[str, int] = {}

    @contextlib.contextmanager
    def hold(self, client: str) -> Iterator[None]:
        held = self.active.get(client, 0)
        if self.limit and held >= self.limit:
            raise TooManyUploads(
                params={"limit": self.limit, "retry_after": self.retry_after},
                # The body this client started to send is not read: the connection closes.
                headers={"Retry-After": str(self.retry_after), "Connection": "close"},
            )
        self.active[client] = held + 1
        try:
            yield
        finally:
            left = self.active[client] - 1
            if left:
                self.active[client] = left
            else:
                del self.active[client]


async def store(storage: Storage, files: list[Received], on_rollback: OnRollback) -> list[str]:
    """Move the received files into storage under new keys — before the transaction, so the
    request's row is locked only for a few statements even when storage is a remote service.
    If the transaction does not commit, the stored files are deleted again (`on_rollback`)."""
    keys = []
    for received_file in files:
        key = new_key()
        # Registered before the write: if anything later fails, the object is removed again.
        on_rollback(lambda key=key: storage.delete(key))  # type: ignore[misc]
        await storage.put(key, received_file.path)
        keys.append(key)
    return keys


async def record(
    session: AsyncSession,
    request: Request,
    actor: Actor,
    files: list[Received],
    keys: list[str],
    *,
    settings: Settings,
    now: datetime,
) -> list[Attachment]:
    """The short transaction: the lifecycle allows it (and locks the request), the request has
    room for the files, and their rows are written — all or none."""
    await requests_service.act(
        session, request, Action.attach, actor, ActionInput(), settings=settings, now=now
    )
    existing = await repository.count(session, request.id)
    if existing + len(files) > settings.max_attachments_per_request:
        raise _too_many_attachments(settings)
    attachments = []
    for received_file, key in zip(files, keys, strict=True):
        attachment = Attachment(
            request_id=request.id,
            storage_key=key,
            display_name=received_file.name,
            content_type=received_file.content_type,
            size=received_file.size,
            sha256=received_file.sha256,
            uploaded_by_role=actor.role.value,
            uploaded_by_id=actor.user_id,
            created_at=now,
        )
        session.add(attachment)
        attachments.append(attachment)
    await session.flush()
    return attachments


def served_name(attachment: Attachment) -> str:
    """The name shown and downloaded: always with the extension of the detected type (rows
    written before names were corrected too)."""
    return named_for(attachment.display_name, attachment.content_type)


def out(attachment: Attachment) -> AttachmentOut:
    """An attachment as the API shows it."""
    return AttachmentOut(
        id=attachment.id,
        name=served_name(attachment),
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by_role,
        created_at=attachment.created_at,
    )


async def listing(session: AsyncSession, request: Request) -> list[Attachment]:
    return await repository.of_request(session, request.id)


async def find(session: AsyncSession, request: Request, attachment_id: int) -> Attachment:
    attachment = await repository.get(session, attachment_id)
    if attachment is None or attachment.request_id != request.id:
        raise NotFound()
    return attachment


async def download(storage: Storage, attachment: Attachment) -> StoredObject:
    """Open the stored file before the response starts, so a storage failure is a problem
    document rather than a download cut short."""
    return await storage.open(attachment.storage_key)


async def sweep_orphans(
    session: AsyncSession, storage: Storage, older_than: timedelta, now: datetime
) -> int:
    """Delete stored files no row points to (a process that died between write and commit),
    and the temporary files of uploads that were cut off."""
    await storage.purge_spools(now - older_than)
    keys = await storage.keys_older_than(now - older_than)
    if not keys:
        return 0
    known = await repository.known_keys(session, keys)
    orphans = [key for key in keys if key not in known]
    for key in orphans:
        await storage.delete(key)
    return len(orphans)
