"""Database engine, sessions, and the one place where an HTTP request's transaction commits."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings
from app.errors import DomainError

log = logging.getLogger("app.db")

SessionMaker = async_sessionmaker[AsyncSession]


def async_url(url: str) -> str:
    """Accept the usual `postgresql://` spellings and select the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def forget_dead_handles(data_dir: Path) -> None:
    """pgserver stops its server when the last process using it exits, counting them in
    `.handle_pids.json`. A process killed outright never takes itself off that list, and then no
    later run ever stops the server: forget the processes that are gone."""
    path = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL of `pgserver` and return its URL."""
    import pgserver  # imported here: only development without DATABASE_URL needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(data_dir)
    get_server = pgserver.get_server  # type: ignore[attr-defined]
    server = get_server(str(data_dir.resolve()), cleanup_mode="stop")
    uri: str = server.get_uri()
    log.info("embedded PostgreSQL ready in %s", data_dir)
    return uri


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return async_url(settings.database_url)
    return async_url(start_embedded_postgres(settings.embedded_db_dir))


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # Checked out connections are pinged: one the server dropped (a restart) is replaced
        # before anything is sent on it, instead of failing the request.
        pool_pre_ping=True,
        # Statement parameters (a login name, an email, a tracking number) stay out of
        # exception messages, and so out of tracebacks in the logs.
        hide_parameters=True,
        connect_args={"timeout": settings.db_connect_timeout_seconds},
    )


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncSession:
    """The session of the HTTP request being served (opened by `TransactionalRoute`).
    (`async` on purpose: FastAPI runs a plain `def` dependency in a worker thread.)"""
    session: AsyncSession = request.state.db
    return session


class TransactionalRoute(APIRoute):
    """Opens one session per HTTP request and commits it once, before the response leaves.

    Services only flush. A 2xx therefore means the change is committed; an error (raised or
    returned with a status >= 400) rolls everything back.

    The session checks out a connection only at its first statement. Uploads rely on it: they
    receive their whole body before touching the database, so a client that sends slowly (or
    stops) holds no connection and no lock.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            sessionmaker: SessionMaker = request.app.state.sessionmaker
            # Compensations for work outside the database (files written to storage), run
            # when the transaction does not commit, so nothing is left orphaned.
            request.state.on_rollback = []
            committed = False
            try:
                async with sessionmaker() as session:
                    request.state.db = session
                    try:
                        response = await handler(request)
                    except DomainError as error:
                        if error.keep_changes:
                            await session.commit()
                        raise
                    if response.status_code < 400:
                        await session.commit()
                        committed = True
                    else:
                        await session.rollback()
                    return response
            finally:
                if not committed:
                    for undo in reversed(request.state.on_rollback):
                        await undo()

        return route_handler


def on_rollback(request: Request, undo: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `undo` if this HTTP request's transaction ends without committing."""
    request.state.on_rollback.append(undo)
