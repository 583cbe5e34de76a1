"""Database engine, sessions, and the one place where an HTTP request's transaction commits."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings
from app.errors import DomainError
from app.solver import planned_handler

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


# Set on a connection's record at checkout, cleared once a statement has gone through: a
# disconnect while it is still set happened before anything of this checkout reached the server.
_UNUSED = "chikaya_unused_checkout"


def json_text(value: Any) -> str:
    """JSON for JSONB parameters by orjson (a submission binds a few kilobytes: its messages'
    HTML); what orjson refuses (integers past 64 bits, keys that are no strings) by `json`,
    as before. PostgreSQL stores the same `jsonb` either way."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def json_bytes(value: Any) -> bytes:
    """`json_text`'s JSON as its UTF-8 bytes, as orjson makes them: for the driver's own
    connections, which send them as they are (`driver._json_codecs`), where a str would be
    decoded from orjson's bytes only to be encoded back (a submission's messages quote
    Arabic names: a tenth of its statement's client-side work)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """No ping per checkout (it cost a round trip on every HTTP request): connections are
    recycled before servers or proxies drop idle ones, and a request whose connection turns out
    dead at its first statement is run again once on a fresh one (`TransactionalRoute`)."""
    engine = create_async_engine(
        async_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=settings.db_pool_recycle_seconds,
        # Statement parameters (a login name, an email, a tracking number) stay out of
        # exception messages, and so out of tracebacks in the logs.
        hide_parameters=True,
        connect_args={"timeout": settings.db_connect_timeout_seconds},
        json_serializer=json_text,
    )
    watch_dead_checkouts(engine)
    return engine


def watch_dead_checkouts(engine: AsyncEngine) -> None:
    """Mark the error of a connection found dead at the first statement of its checkout as
    safe to retry (`retry_safe`): the server received nothing of this transaction."""
    sync = engine.sync_engine

    @event.listens_for(sync.pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        record.info[_UNUSED] = True

    @event.listens_for(sync, "after_cursor_execute")
    def _used(conn: Any, *args: Any) -> None:
        conn.connection.info.pop(_UNUSED, None)

    @event.listens_for(sync, "handle_error")
    def _dead(context: ExceptionContext) -> None:
        proxied = context.connection.connection if context.connection is not None else None
        unused = proxied is not None and proxied.info.get(_UNUSED, False)
        if context.is_disconnect and unused and context.sqlalchemy_exception is not None:
            context.sqlalchemy_exception.retry_safe = True  # type: ignore[attr-defined]


def _retry_safe(error: DBAPIError, request: Request) -> bool:
    """A dead pooled connection met at the session's first statement, on a request whose body
    (if any) was read whole and can be handed to the handler again (not a streamed upload)."""
    if not getattr(error, "retry_safe", False):
        return False
    streamed = getattr(request, "_stream_consumed", False) and not hasattr(request, "_body")
    return not streamed and not request.state.on_rollback


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class _RequestSession:
    """The HTTP request's session, opened at its first use: a route that never reads or
    writes through it (a read on the driver, a health check) creates, commits and closes
    nothing."""

    __slots__ = ("_cache", "_maker", "session")

    def __init__(self, maker: SessionMaker, cache: object) -> None:
        self._maker, self._cache = maker, cache
        self.session: AsyncSession | None = None

    def get(self) -> AsyncSession:
        if self.session is None:
            self.session = self._maker()
            # The process's catalogue cache, for the services that read through it.
            if self._cache is not None:
                self.session.info["catalogue_cache"] = self._cache
        return self.session

    def begun(self) -> AsyncSession | None:
        """The session if it began a transaction (a statement, or an object added: both
        begin one), else None: a session opened and never used (a submission filed on the
        driver) has nothing to commit or roll back, and committing it anyway cost a twentieth
        of a submission's CPU."""
        session = self.session
        return session if session is not None and session.in_transaction() else None

    def holds_objects(self) -> bool:
        return self.session is not None and len(self.session.identity_map) > 0

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def session_of(request: Request) -> AsyncSession:
    """The session of the HTTP request being served (`TransactionalRoute`), opened now if
    this is its first use."""
    holder: _RequestSession = request.state.db
    return holder.get()


async def get_session(request: Request) -> AsyncSession:
    """The session of the HTTP request being served (opened by `TransactionalRoute`).
    (`async` on purpose: FastAPI runs a plain `def` dependency in a worker thread.)"""
    return session_of(request)


class TransactionalRoute(APIRoute):
    """Opens one session per HTTP request and commits it once, before the response leaves.

    Services only flush. A 2xx therefore means the change is committed; an error (raised or
    returned with a status >= 400) rolls everything back.

    The session checks out a connection only at its first statement. Uploads rely on it: they
    receive their whole body before touching the database, so a client that sends slowly (or
    stops) holds no connection and no lock.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = planned_handler(self) or super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await run_once(request)
            except DBAPIError as error:
                if not _retry_safe(error, request):
                    raise
                log.warning("database connection found dead at checkout; retrying once")
                return await run_once(request)

        async def run_once(request: Request) -> Response:
            sessionmaker: SessionMaker = request.app.state.sessionmaker
            # Compensations for work outside the database (files written to storage), run
            # when the transaction does not commit, so nothing is left orphaned.
            request.state.on_rollback = []
            committed = False
            holder = _RequestSession(
                sessionmaker, getattr(request.app.state, "catalogue_cache", None)
            )
            request.state.db = holder
            try:
                try:
                    response = await handler(request)
                except DomainError as error:
                    if error.keep_changes and holder.session is not None:
                        await holder.session.commit()
                    raise
                except RequestValidationError:
                    # What a dependency left to the handler's first statement (a staff
                    # token's account, `deps.require_action_caller`) is refused first, as
                    # when the dependency checked it: before the request's own errors.
                    for check in getattr(request.state, "deferred_checks", ()):
                        await check()
                    raise
                session = holder.begun()
                if response.status_code < 400:
                    if session is not None:
                        await session.commit()
                    committed = True
                elif session is not None:
                    await session.rollback()
                return response
            finally:
                if holder.begun() is not None or holder.holds_objects():
                    await holder.close()
                if not committed:
                    for undo in reversed(request.state.on_rollback):
                        await undo()

        return route_handler


def on_rollback(request: Request, undo: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `undo` if this HTTP request's transaction ends without committing."""
    request.state.on_rollback.append(undo)
