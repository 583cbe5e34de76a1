"""Where documents live: a local folder (one server) or S3-compatible storage (several).

An upload is first spooled to a temporary file in `<attachments_dir>/.incoming`, counted and
hashed, then put under a generated key. Keys are never derived from what the client sent, and
nothing here is ever served as a static folder: downloads go through the API's access rules.
Every file operation runs in a worker thread, so the event loop never waits on a disk or on S3.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from app.config import Settings

CHUNK = 64 * 1024
# The only keys this module writes, and so the only ones the orphan sweep may delete: a bucket
# or folder shared with anything else keeps its other objects.
KEY = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    return uuid.uuid4().hex


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


@dataclass
class StoredObject:
    """An opened stored file: its size, and its bytes as chunks (read lazily, in order)."""

    size: int
    chunks: AsyncIterator[bytes]


class Storage(Protocol):
    def spool(self) -> IO[bytes]:
        """A new temporary file for an incoming upload (blocking: call it in a thread)."""

    async def put(self, key: str, path: Path) -> None:
        """Move the finished temporary file at `path` under `key`; `path` is gone afterwards."""

    async def open(self, key: str) -> StoredObject:
        """Open the file stored under `key`; raises if there is none."""

    async def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error."""

    async def keys_older_than(self, moment: datetime) -> list[str]:
        """Keys written before `moment`, for the orphan sweep."""

    async def purge_spools(self, moment: datetime) -> int:
        """Delete temporary files of uploads interrupted before `moment` (a killed process)."""


class _Spooling:
    """Temporary files in a hidden `.incoming` folder of `attachments_dir`."""

    incoming: Path

    def spool(self) -> IO[bytes]:
        self.incoming.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=self.incoming, prefix="upload-", delete=False)

    async def purge_spools(self, moment: datetime) -> int:
        def purge() -> int:
            if not self.incoming.is_dir():
                return 0
            removed = 0
            for path in self.incoming.iterdir():
                if path.is_file() and path.stat().st_mtime < moment.timestamp():
                    path.unlink(missing_ok=True)
                    removed += 1
            return removed

        return await asyncio.to_thread(purge)


async def _chunks(read: Callable[[int], bytes], close: Callable[[], None]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(read, CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(close)


class LocalStorage(_Spooling):
    """Files under `root/<first two characters of the key>/<key>`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / ".incoming"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / _checked(key)

    async def put(self, key: str, path: Path) -> None:
        target = self._path(key)

        def move() -> None:
            # fsync before and after the rename: once the transaction commits and the client
            # gets its 201, the file must survive a power cut as surely as the row does.
            with path.open("rb") as spooled:
                os.fsync(spooled.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)  # atomic: `.incoming` is on the same filesystem
            directory = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

        await asyncio.to_thread(move)

    async def open(self, key: str) -> StoredObject:
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        size = await asyncio.to_thread(lambda: os.fstat(handle.fileno()).st_size)
        return StoredObject(size, _chunks(handle.read, handle.close))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def keys_older_than(self, moment: datetime) -> list[str]:
        def scan() -> list[str]:
            if not self.root.is_dir():
                return []
            return [
                path.name
                for folder in self.root.iterdir()
                if folder.is_dir() and len(folder.name) == 2  # never `.incoming`
                for path in folder.iterdir()
                if KEY.fullmatch(path.name)
                and path.name.startswith(folder.name)
                and path.stat().st_mtime < moment.timestamp()
            ]

        return await asyncio.to_thread(scan)


class S3Storage(_Spooling):
    """S3 protocol through boto3, each call in a worker thread (boto3 is synchronous)."""

    def __init__(self, settings: Settings) -> None:
        import boto3  # imported here: a local-folder deployment never needs it

        self.bucket = settings.s3_bucket
        self.incoming = settings.attachments_dir / ".incoming"
        secret = settings.s3_secret_access_key
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
        )

    async def put(self, key: str, path: Path) -> None:
        try:
            await asyncio.to_thread(self.client.upload_file, str(path), self.bucket, _checked(key))
        finally:
            await asyncio.to_thread(path.unlink, True)

    async def open(self, key: str) -> StoredObject:
        response = await asyncio.to_thread(
            self.client.get_object, Bucket=self.bucket, Key=_checked(key)
        )
        body = response["Body"]
        return StoredObject(int(response["ContentLength"]), _chunks(body.read, body.close))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=_checked(key))

    async def keys_older_than(self, moment: datetime) -> list[str]:
        def scan() -> list[str]:
            keys: list[str] = []
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                keys += [
                    item["Key"]
                    for item in page.get("Contents", [])
                    if KEY.fullmatch(item["Key"]) and item["LastModified"] < moment
                ]
            return keys

        return await asyncio.to_thread(scan)


def get_storage(settings: Settings) -> Storage:
    """The backend chosen by `ATTACHMENTS_BACKEND`."""
    if settings.attachments_backend == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.attachments_dir)
