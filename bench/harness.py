"""What the benchmarks share: a migrated scratch database, quiet settings, and a timer."""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.__main__ import migrate
from app.config import Environment, Settings
from app.db import async_url, start_embedded_postgres
from app.models.enums import Role
from app.models.user import User
from app.services import auth
from app.services.catalogue import load_sample
from bench.http_load.prepare import candidate_services, complaint


@asynccontextmanager
async def scratch_database(
    prefix: str, server: str | None = None, *, migrated: bool = True
) -> AsyncIterator[str]:
    """A new database `<prefix>_<random>`, migrated to head unless not `migrated` (then
    empty), on `server` (else BENCH_DATABASE_URL, else the embedded server); its URL, and it
    is dropped on the way out."""
    server = async_url(
        server
        or os.environ.get("BENCH_DATABASE_URL")
        or start_embedded_postgres(Path(".data/bench-postgres"))
    )
    name = f"{prefix}_{secrets.token_hex(3)}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            if migrated:
                await asyncio.to_thread(migrate, url)
            yield url
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def quiet_settings() -> Settings:
    """Test settings with no background work and no rate limits, so only the code is timed."""
    return Settings(
        environment=Environment.test,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        auto_close_interval_seconds=0,
        dispatcher_in_api=False,
        submissions_per_client_per_hour=0,
        acknowledgements_per_recipient_per_day=0,
    )


async def timed(label: str, call: Callable[[], Awaitable[object]], runs: int) -> None:
    """Run `call` `runs` times; print its median and 95th percentile in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50, p95 = statistics.median(samples), samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   ({runs} runs)")


async def file_complaint(client: httpx.AsyncClient, n: int) -> dict[str, Any]:
    """File the benchmark's complaint number `n` (email and phone, to ACAPS `insurance`)
    through `client` (the app in process); its answer's body."""
    answer = await client.post(
        "/api/v1/requests",
        content=complaint(*candidate_services()[0], n),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def seed(url: str, settings: Settings) -> str:
    """Load the sample catalogue and a supervisor of ACAPS (as `make bench-http` has one: each
    filing to ACAPS tells them); the supervisor's `Authorization` header value."""
    engine = create_async_engine(url, poolclass=NullPool)
    async with async_sessionmaker(engine)() as session:
        await load_sample(session)
        admin_id = await session.scalar(text("SELECT id FROM administrations WHERE code = 'ACAPS'"))
        user = User(
            email="bench.supervisor@example.ma",
            full_name="Bench Supervisor",
            password_hash="x",
            role=Role.supervisor.value,
            administration_id=admin_id,
            active=True,
        )
        session.add(user)
        await session.flush()
        token = auth.staff_token(user.id, settings, version=user.token_version)
        await session.commit()
    await engine.dispose()
    return f"Bearer {token}"
