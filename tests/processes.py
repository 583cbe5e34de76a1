"""Real processes for tests that need them: a database of its own on the suite's server, and
API processes (uvicorn) and workers (`python -m app worker`) on loopback ports."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.__main__ import migrate
from app.main import create_app
from app.services.catalogue import CatalogueCache, load_sample
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


def run_command(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m app <args>` on the database, in the test environment (`env` added), to its end."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refuses_bad_instants(
    run: Callable[..., subprocess.CompletedProcess[str]], future: str, garbage: str
) -> None:
    """A command taking `--at` refuses, in production, an instant in the future (only tests may
    travel in time), and anywhere an instant that is not ISO-8601."""
    refused = run(
        "--at",
        future,
        ENVIRONMENT="production",
        SECRET_KEY="a-production-secret-key-long-enough-0123456789",
    )
    assert refused.returncode != 0
    assert "future" in refused.stderr
    wrong = run("--at", garbage)
    assert wrong.returncode != 0
    assert "ISO-8601" in wrong.stderr


class FakeMonotonic:
    """A monotonic clock the test moves by hand (`now += seconds`)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def api_process(
    live: Any, settings: Any, clock: FakeMonotonic, refresh: float
) -> httpx.AsyncClient:
    """An API process of its own (its own app, its own catalogue cache refreshed every `refresh`
    seconds of `clock`) on the live database."""
    app = create_app(settings=settings, sessionmaker=live.sessionmaker)
    app.state.catalogue_cache = CatalogueCache(refresh, clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
