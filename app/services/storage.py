"""Where documents live: a local folder (one server) or S3-compatible storage (several).

Files are written first to a temporary file, counted and hashed, then put under a generated
key. Keys are never derived from what the client sent, and nothing here is ever served as a
static folder: downloads go through the API's access rules.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from app.config import Settings

CHUNK = 64 * 1024


class Storage(Protocol):
    def spool(self) -> IO[bytes]:
        """A temporary file for an incoming upload, on the right filesystem for `put`."""

    async def put(self, key: str, path: Path) -> None:
        """Move or copy the finished temporary file at `path` under `key`."""

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, in chunks."""

    async def delete(self, key: str) -> None: ...

    async def keys_older_than(self, moment: datetime) -> list[str]: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / ".incoming"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def spool(self) -> IO[bytes]:
        self.incoming.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=self.incoming, delete=False)

    async def put(self, key: str, path: Path) -> None:
        target = self._path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)  # atomic: same filesystem as the spool

        await asyncio.to_thread(move)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def keys_older_than(self, moment: datetime) -> list[str]:
        def scan() -> list[str]:
            limit = moment.timestamp()
            return [
                path.name
                for path in self.root.glob("*/*")
                if path.parent != self.incoming and path.is_file() and path.stat().st_mtime < limit
            ]

        return await asyncio.to_thread(scan) if self.root.exists() else []


class S3Storage:
    """S3 protocol through boto3, each call in a worker thread (boto3 is synchronous)."""

    def __init__(self, settings: Settings) -> None:
        import boto3

        self.bucket = settings.s3_bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key.get_secret_value()
            if settings.s3_secret_access_key
            else None,
        )

    def spool(self) -> IO[bytes]:
        return tempfile.NamedTemporaryFile(delete=False)

    async def put(self, key: str, path: Path) -> None:
        try:
            await asyncio.to_thread(self.client.upload_file, str(path), self.bucket, key)
        finally:
            await asyncio.to_thread(path.unlink, True)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
        body = response["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def keys_older_than(self, moment: datetime) -> list[str]:
        def scan() -> list[str]:
            keys = []
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                keys += [o["Key"] for o in page.get("Contents", []) if o["LastModified"] < moment]
            return keys

        return await asyncio.to_thread(scan)


def get_storage(settings: Settings) -> Storage:
    if settings.attachments_backend == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.attachments_dir)
