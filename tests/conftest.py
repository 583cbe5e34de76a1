"""Test fixtures: a real PostgreSQL (embedded unless TEST_DATABASE_URL), migrated once with
alembic, and one rolled-back transaction per test."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from app.__main__ import migrate
from app.config import Environment, Settings
from app.db import async_url, start_embedded_postgres
from app.main import create_app
from app.models import (
    Administration,
    ApiKey,
    Attachment,
    IdempotencyRecord,
    Message,
    OutboxMessage,
    Request,
    RequestEvent,
    RequestStats,
    Service,
    StatsAnswer,
    StatsByAdministration,
    StatsByAdministrationMonth,
    StatsByMonth,
    ThrottleCounter,
    User,
    Webhook,
)
from app.models.enums import Role
from app.services.catalogue import load_sample
from tests.factories import make_administration, make_staff
from tests.servers import HttpReceiver, SmtpServer, free_port

ROOT = Path(__file__).resolve().parent.parent


def _in_thread(coro_factory):  # type: ignore[no-untyped-def]
    """Run a coroutine to completion in a fresh thread (outside pytest-asyncio's loop)."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro_factory())
        except BaseException as exc:  # re-raised in the caller
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return async_url(url)
    return async_url(start_embedded_postgres(ROOT / ".data" / "test-postgres"))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A database of its own for this test run, migrated with alembic, with the sample catalogue."""
    name = f"chikaya_test_{secrets.token_hex(4)}"
    admin_url = server_url

    async def create() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    async def drop() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    _in_thread(create)
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        _in_thread(lambda: asyncio.to_thread(migrate, url))

        async def sample() -> None:
            engine = create_async_engine(url, poolclass=NullPool)
            async with async_sessionmaker(engine)() as session:
                await load_sample(session)
                await session.commit()
            await engine.dispose()

        _in_thread(sample)
        yield url
    finally:
        _in_thread(drop)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        attachments_dir=tmp_path_factory.mktemp("attachments"),
        environment=Environment.test,
        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        auto_close_interval_seconds=0,
        dispatcher_in_api=False,
        webhooks_allow_http_loopback=True,
        default_language="en",
        # Tests change the catalogue and file at once: read its version at every look-up.
        catalogue_refresh_seconds=0,
    )


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One outer transaction per test, rolled back at the end: tests never share state."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # The app's commits become savepoint releases inside the test's transaction.
    return async_sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def client(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings=settings, sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


ClientAt = Callable[..., httpx.AsyncClient]


@pytest.fixture
def client_settings(settings: Settings) -> Settings:
    """The settings of `client_at`'s apps; a module may override this fixture."""
    return settings


@pytest.fixture
def client_sessionmaker(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """The sessions of `client_at`'s apps (the test's transaction); a module may override it."""
    return sessionmaker


@pytest.fixture
async def client_at(
    client_settings: Settings, client_sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[ClientAt]:
    """ "Another client" is another loopback source address: `client_at("127.0.0.2")` is the
    app as seen from there (optionally with other settings)."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str, custom: Settings | None = None) -> httpx.AsyncClient:
        app = create_app(settings=custom or client_settings, sessionmaker=client_sessionmaker)
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(address, 40000)
        )
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
async def live(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Live]:
    """The app on the real engine: every request commits for real, with real concurrent
    connections; everything the test created is deleted afterwards."""
    maker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    async with maker() as session:
        admin = await make_administration(session, code=f"LIVE{secrets.token_hex(2).upper()}")
        _agent, staff = await make_staff(session, settings, Role.agent, admin)
        _agent2, staff2 = await make_staff(session, settings, Role.agent, admin)
        _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
        _nat, national = await make_staff(session, settings, Role.national_admin)
        await session.commit()

    def client_for(custom: Settings) -> httpx.AsyncClient:
        app = create_app(settings=custom, sessionmaker=maker)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with client_for(settings) as client:
        yield Live(client, maker, admin, staff, staff2, supervisor, national, client_for)
    async with maker() as session:
        for model in (
            RequestStats,
            StatsByAdministrationMonth,
            StatsByMonth,
            StatsByAdministration,
            StatsAnswer,
            OutboxMessage,
            Webhook,
            Attachment,
            Message,
            RequestEvent,
            Request,
            IdempotencyRecord,
            ThrottleCounter,
            ApiKey,
        ):
            await session.execute(delete(model))
        await session.execute(delete(User).where(User.email.like("%@staff.example.ma")))
        await session.execute(delete(Service).where(Service.administration_id == admin.id))
        await session.execute(delete(Administration).where(Administration.id == admin.id))
        await session.commit()


@dataclass
class Clock:
    """The time every part of the app reads (`app.services.clock.now`), moved by the test."""

    moment: datetime

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from app.services import clock

    controlled = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(clock, "now", lambda: controlled.moment)
    return controlled


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port, for the tests that read the mail sent."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """A real HTTP server on a free port standing in for the SMS gateway or a webhook's
    receiver; it records what it is sent."""
    server = HttpReceiver().start()
    yield server
    server.stop()


@dataclass
class Live:
    client: httpx.AsyncClient
    sessionmaker: async_sessionmaker[AsyncSession]
    administration: Administration
    staff: dict[str, str]
    staff2: dict[str, str]
    supervisor: dict[str, str]
    national: dict[str, str]
    client_for: Callable[[Settings], httpx.AsyncClient]
