"""Real processes for tests that need them: a database of its own on the suite's server, and
API processes (uvicorn) and workers (`python -m app worker`) on loopback ports."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.__main__ import migrate
from app.services.catalogue import load_sample
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "process-secret-key-that-is-long-enough-0123456789"
START_TIMEOUT = 120.0  # seconds: a loaded two-core machine starts Python slowly


async def create_database(server_url: str, prefix: str) -> str:
    """A migrated database with the sample catalogue, next to the suite's; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate, url)
    engine = create_async_engine(url, poolclass=NullPool)
    async with async_sessionmaker(engine)() as session:
        await load_sample(session)
        await session.commit()
    await engine.dispose()
    return url


async def drop_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@asynccontextmanager
async def own_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """`create_database`'s URL, the database dropped on the way out."""
    url = await create_database(server_url, prefix)
    try:
        yield url
    finally:
        await drop_database(server_url, url)


def app_environment(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "ENVIRONMENT": "test",
        "DEFAULT_LANGUAGE": "en",
        "AUTO_CLOSE_INTERVAL_SECONDS": "0",
        "DISPATCHER_IN_API": "false",
        "WEBHOOKS_ALLOW_HTTP_LOOPBACK": "true",
        "ATTACHMENTS_DIR": str(tmp / "attachments"),
        "PYTHONUNBUFFERED": "1",
        # These tests load one client address with far more submissions than a person makes:
        # the anonymous ceiling (when the settings have one) is tested elsewhere.
        "SUBMISSIONS_PER_CLIENT_PER_HOUR": "0",
    }
    env.update(extra)
    return env


class Process:
    """A child process whose output goes to a file (never a pipe that could fill and block)."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(
            args, env=dict(env), cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        self._out.close()


class Api(Process):
    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "uvicorn", "app.asgi:app"]
        super().__init__([*args, "--host", "127.0.0.1", "--port", str(self.port)], env, log)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"the API exited:\n{self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the API did not start:\n{self.output()}")


def worker(env: Mapping[str, str], log: Path) -> Process:
    return Process([sys.executable, "-m", "app", "worker"], env, log)
