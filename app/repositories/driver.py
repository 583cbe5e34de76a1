"""Core statements compiled once, at import, and run straight on the asyncpg connection.

The hottest statements (a request's detail, the account behind a staff token, the queue page,
the whole portal's statistics, an access-log line) are one statement each with nothing for the
ORM to do. Through an `AsyncSession` each call still pays for the session, its transaction
bookkeeping, a greenlet hop, the compiled-cache look-up, the execution context and the result's
row processing: most of the CPU of such a request. Here a statement is compiled once into its
SQL text, the order of its positional parameters, their bind processors and its columns'
result processors; a call binds the values, sends the text (asyncpg prepares it once per
connection and keeps it) and reads the record.

Serving, they run on the process's own pool of asyncpg connections (`open_pool`,
`app.repositories.connections`), with nothing reset after each one. In the tests they run on
the engine or on the test's connection, where SQLAlchemy's `before_cursor_execute` /
`after_cursor_execute` events see them (statement counting, the dead-checkout mark). A
connection found dead is dropped and a read runs once more on a fresh one; driver errors come
out as SQLAlchemy's `DBAPIError`, which the error handlers turn into the same problems as
elsewhere (503 with `Retry-After` for an outage).
"""

from __future__ import annotations

import contextlib
import json
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

import asyncpg
from sqlalchemy import Float, Numeric
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.util import greenlet_spawn

from app.db import json_bytes, json_text
from app.repositories.connections import Connections, Turns

APPLICATION_NAME = "chikaya-reads"
# JSON parameters written as the engine writes them (orjson: a submission binds a few
# kilobytes of its messages; the stdlib's encoder was a twentieth of its CPU).
_DIALECT = PGDialect_asyncpg(json_serializer=json_text)  # type: ignore[no-untyped-call]
# The same, as bytes, for the driver's own connections (`_json_codecs`, `Compiled.pool_arguments`).
_POOL_DIALECT = PGDialect_asyncpg(json_serializer=json_bytes)  # type: ignore[no-untyped-call]
_JSONB_VERSION = b"\x01"  # jsonb's binary format: a version byte, then the JSON text

# The driver's errors that mean the connection itself is gone (not the statement's fault).
_DEAD = (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.InterfaceError, OSError)
# The server ending the session (shutdown, an administrator's pg_terminate_backend) or the
# connection failing: SQLSTATE class 08 and 57P01-57P03.
_GONE_STATES = ("57P01", "57P02", "57P03")


def _unsent(error: Exception) -> bool:
    """Whether asyncpg refused to start the statement (on a connection it knows is closed, or
    whose protocol takes no new statement): nothing of it reached the server, so even a write
    may run once more on a fresh connection."""
    return isinstance(error, (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError))


def _broken(error: Exception) -> bool:
    """Whether `error` says the connection is unusable, not that the statement failed. (On the
    pool, where each statement has its connection to itself, asyncpg's internal state errors
    say the same: a connection the server ended while it sat idle.)"""
    if isinstance(error, (*_DEAD, asyncpg.exceptions.InternalClientError)):
        return True
    state = getattr(error, "sqlstate", None) or ""
    return state.startswith("08") or state in _GONE_STATES


class Direct:
    """Where statements run without a session. SQLAlchemy's (`select_all`): on `bind`, the
    engine (a connection of its own in autocommit: PostgreSQL's READ COMMITTED gives each
    statement its own snapshot, as on the read-only routes) or one connection the caller holds
    (the tests' transaction, rolled back at the end). The compiled ones: on `pool`, the
    serving process's own pool of asyncpg connections (`open_pool`: a checkout costs a
    fraction of SQLAlchemy's, and of asyncpg's pool's),
    else on `bind` too, where SQLAlchemy's statement events see them (the tests count them)."""

    def __init__(
        self,
        bind: AsyncEngine | AsyncConnection,
        pool: Connections | None = None,
        acquire_timeout: float = 5.0,
    ) -> None:
        self._bind = bind
        self.pool = pool
        # Turns at the pool, first come, first served, one per connection (`Turns` says
        # why); the pool itself never waits.
        self.turns = Turns(pool.get_max_size(), acquire_timeout) if pool is not None else None
        self._autocommit = (
            bind.execution_options(isolation_level="AUTOCOMMIT")
            if isinstance(bind, AsyncEngine)
            else bind
        )

    async def close(self) -> None:
        """Close the pool of its own, if it has one (the engine is its owner's to dispose):
        its idle connections now, those in use as their statements end."""
        if self.pool is not None:
            await self.pool.close()

    @contextlib.asynccontextmanager
    async def connection(self, *, autocommit: bool = False) -> AsyncIterator[AsyncConnection]:
        bind = self._autocommit if autocommit else self._bind
        if isinstance(bind, AsyncConnection):
            yield bind
            return
        async with bind.connect() as connection:
            yield connection


async def _json_codecs(connection: asyncpg.Connection) -> None:
    """JSON decoded as SQLAlchemy's asyncpg dialect decodes it on its own connections, so
    that rows are the same either way; written from the bytes `Compiled.pool_arguments`
    makes, by C functions (no Python frame per parameter)."""
    await connection.set_type_codec(
        "json",
        encoder=bytes,  # the bytes themselves
        decoder=lambda data: json.loads(data.decode()),
        schema="pg_catalog",
        format="binary",
    )
    await connection.set_type_codec(
        "jsonb",
        encoder=_JSONB_VERSION.__add__,
        decoder=lambda data: json.loads(data[1:].decode()),  # after jsonb's version byte
        schema="pg_catalog",
        format="binary",
    )


async def open_pool(
    engine: AsyncEngine,
    *,
    size: int,
    acquire_timeout: float,
    connect_timeout: float,
    recycle: float,
) -> Direct:
    """The serving process's driver pool: connections opened on demand (none at startup, so
    that serving never waits on the database), kept up to `size`, replaced after `recycle`
    seconds idle; a statement waits at most `acquire_timeout` for a free one (then 503).
    Nothing is reset between statements (`app.repositories.connections` says why)."""
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    pool = Connections(
        dsn,
        size=size,
        connect_timeout=connect_timeout,
        recycle=recycle,
        init=_json_codecs,
        # Named in pg_stat_activity, apart from the sessions' connections.
        server_settings={"application_name": APPLICATION_NAME},
    )
    return Direct(engine, pool, acquire_timeout)


def _oid(type_: Any) -> int | None:
    """The PostgreSQL type a numeric column arrives as (its processor depends on it)."""
    if isinstance(type_, Float):
        return 701  # float8
    if isinstance(type_, Numeric):
        return 1700  # numeric
    return None


class Compiled:
    """A Core statement compiled for asyncpg once: its SQL text, its parameters' positional
    order, bind processors and own literal values, and its columns' result processors. Run
    here on the driver, or by SQLAlchemy as SQL text (`exec_driver_sql(compiled.sql,
    compiled.arguments(params))`, in a session's transaction): either way no cache key is
    computed over the statement's tree and no parameter dictionary rebuilt per call."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        per_call = compiled.post_compile_params | compiled.literal_execute_params
        if per_call:
            # Expanding lists and literal-execute values change the SQL with each call.
            rendered = sorted(param.key for param in per_call)
            raise ValueError(f"not compilable once: {rendered} are rendered per call")
        self.sql = str(compiled)
        names = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name] for name in names]
        self._constants = {  # the statement's own literals, by their compiled names
            name: bind.effective_value
            for name, bind in zip(names, binds, strict=True)
            if bind.value is not None or bind.callable is not None
        }
        self._get = _getter(names)  # the positional values out of a dictionary, in C
        # Each positional parameter's bind processor, where it has one, by position: as
        # SQLAlchemy's connections take the values, and as the driver's own do (JSON as
        # bytes).
        self._bind_processors = _bind_processors(binds, _DIALECT)
        self._pool_processors = _bind_processors(binds, _POOL_DIALECT)
        columns = list(getattr(statement, "selected_columns", ()))
        processors = [
            column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, _oid(column.type))
            for column in columns
        ]
        self._processors = [(i, p) for i, p in enumerate(processors) if p is not None]
        self._row: type[tuple[Any, ...]] | None = None

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional values for `params` (every parameter the statement has no value of;
        a missing one is a KeyError), processed as SQLAlchemy processes them, None included
        (a JSON column's None is JSON's `null`)."""
        return _processed(self._values(params), self._bind_processors)

    def pool_arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """`arguments`, for a connection of the driver's pool (`_json_codecs`): JSON as the
        bytes of its text."""
        return _processed(self._values(params), self._pool_processors)

    def _values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional values, unprocessed: a value of `params` before the statement's
        own (as SQLAlchemy takes it)."""
        constants = self._constants
        if not constants:
            return self._get(params)
        # The parameters copied first (a dictionary copied whole into an empty one is one
        # block copy), then the few literals added: a third of the cost of the literals
        # first. Then one name taken twice (the caller's value of a literal) shows in the
        # size, and the caller's value wins.
        merged = {**params, **constants}
        if len(merged) != len(params) + len(constants):
            merged = {**constants, **params}
        return self._get(merged)

    def row(self, record: asyncpg.Record) -> Any:
        """The record as a named tuple: `row.name`, like SQLAlchemy's rows."""
        if self._row is None:
            self._row = namedtuple("Row", list(record.keys()), rename=True)  # type: ignore[misc]
        values = list(record.values())
        for i, process in self._processors:
            values[i] = process(values[i])
        return self._row(*values)


def _getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """`operator.itemgetter` of `keys`, answering a tuple whatever their number."""
    if len(keys) > 1:
        return itemgetter(*keys)
    if keys:
        key = keys[0]
        return lambda source: (source[key],)
    return lambda source: ()


def _bind_processors(
    binds: Sequence[BindParameter[Any]], dialect: PGDialect_asyncpg
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    found = (bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds)
    return tuple(
        (position, process) for position, process in enumerate(found) if process is not None
    )


def _processed(
    values: tuple[Any, ...], processors: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> tuple[Any, ...]:
    if not processors:
        return values
    processed = list(values)
    for position, process in processors:
        processed[position] = process(processed[position])
    return tuple(processed)


def _driver(connection: AsyncConnection) -> tuple[Connection, Any]:
    sync = connection.sync_connection
    assert sync is not None
    return sync, sync.connection.driver_connection


def _wrapped(error: Exception, compiled: Compiled, dead: bool) -> DBAPIError:
    kind = OperationalError if dead else DBAPIError
    return kind(compiled.sql, None, error, hide_parameters=True, connection_invalidated=dead)


def _try_again(
    error: Exception, compiled: Compiled, *, broken: bool, attempt: int, retry: bool
) -> None:
    """What a failed statement's `error` means, on either path: returns when it may run once
    more on a fresh connection (its connection was `broken`, on the first attempt, and it is
    a read that may be `retry`ed or it never left); raises otherwise: the statement's own
    error (the server's wrapped as `DBAPIError`), or the connection's loss as an outage."""
    if not broken:
        if isinstance(error, asyncpg.PostgresError):
            raise _wrapped(error, compiled, dead=False) from error
        raise error
    if attempt == 1 and (retry or _unsent(error)):
        return
    raise _wrapped(error, compiled, dead=True) from error


async def _run(
    direct: Direct, compiled: Compiled, params: Mapping[str, Any], method: str, retry: bool
) -> Any:
    if direct.pool is not None:
        return await _on_pool(direct, compiled, compiled.pool_arguments(params), method, retry)
    arguments = compiled.arguments(params)  # positional, as SQLAlchemy passes them
    # A connection of its own per statement (the engine's), where asyncpg's internal state
    # errors too say the connection is dead; on a connection the caller holds, only the
    # driver's errors of a gone connection do.
    own = isinstance(direct._bind, AsyncEngine)
    for attempt in (1, 2):
        async with direct.connection() as connection:
            sync, driver = _driver(connection)
            dispatch = sync.dispatch
            dispatch.before_cursor_execute(sync, None, compiled.sql, arguments, None, False)
            try:
                result = await getattr(driver, method)(compiled.sql, *arguments)
            except Exception as error:
                broken = _broken(error) if own else isinstance(error, _DEAD)
                if broken:
                    await connection.invalidate()
                # Only a connection of its own is taken afresh; the caller's is gone for good.
                _try_again(
                    error, compiled, broken=broken, attempt=attempt if own else 2, retry=retry
                )
                continue
            dispatch.after_cursor_execute(sync, None, compiled.sql, arguments, None, False)
            return result
    raise AssertionError("unreachable")


async def _on_pool(
    direct: Direct, compiled: Compiled, arguments: tuple[Any, ...], method: str, retry: bool
) -> Any:
    pool, turns = direct.pool, direct.turns
    assert pool is not None
    assert turns is not None
    for attempt in (1, 2):
        if not turns.take():
            try:
                await turns.wait()
            except TimeoutError as error:  # every connection busy for as long as one may wait
                raise _wrapped(error, compiled, dead=True) from error
        try:
            # Holding a turn, this statement finds an idle connection or room for a new one
            # (opened within the connect timeout).
            connection = pool.take()
            if connection is None:
                connection = await pool.open()
            try:
                result = await getattr(connection, method)(compiled.sql, *arguments)
            except Exception as error:
                if _broken(error):
                    pool.discard(connection)  # a new one is opened in its place
                else:  # the statement's own error: the server is ready for the next
                    pool.give_back(connection)
                raise
            except BaseException:
                # Cancelled half-way (the client went away): what the connection still has
                # to read is unknown. Never handed out again; the statement cancelled.
                pool.abandon(connection)
                raise
            pool.give_back(connection)
            return result
        except TimeoutError as error:  # the server unreachable
            raise _wrapped(error, compiled, dead=True) from error
        except Exception as error:
            _try_again(error, compiled, broken=_broken(error), attempt=attempt, retry=retry)
        finally:
            turns.release()
    raise AssertionError("unreachable")


async def fetch_one(direct: Direct, compiled: Compiled, params: Mapping[str, Any]) -> Any | None:
    """The statement's first row (a named tuple), or None. A read: run again once on a fresh
    connection if the pooled one was dead. (A write runs again only if it never left:
    `_unsent`.)"""
    record = await _run(direct, compiled, params, "fetchrow", retry=True)
    return None if record is None else compiled.row(record)


async def fetch_all(direct: Direct, compiled: Compiled, params: Mapping[str, Any]) -> list[Any]:
    records = await _run(direct, compiled, params, "fetch", retry=True)
    return [compiled.row(record) for record in records]


async def execute(direct: Direct, compiled: Compiled, params: Mapping[str, Any]) -> None:
    """A write that commits by itself (one statement, autocommit). Never run twice."""
    await _run(direct, compiled, params, "execute", retry=False)


async def run_one(
    on: AsyncSession | Direct, compiled: Compiled, params: Mapping[str, Any]
) -> Any | None:
    """The first row of a statement (a write, or a read beside one), or None: in the
    session's transaction, or on the driver on its own (one statement in autocommit:
    committed when it returns). Never run twice: a write whose connection died may have
    committed."""
    if isinstance(on, AsyncSession):
        connection = await on.connection()
        result = await connection.exec_driver_sql(compiled.sql, compiled.arguments(params))
        return result.one_or_none()
    record = await _run(on, compiled, params, "fetchrow", retry=False)
    return None if record is None else compiled.row(record)


async def _in_transaction(
    session: AsyncSession, compiled: Compiled, params: Mapping[str, Any], method: str
) -> Any:
    """Run `compiled` in the session's transaction (begun first if this is its first
    statement), straight on its asyncpg connection (SQLAlchemy's cursor, its execution
    context and result cost three quarters of such a statement's CPU), seen by the engine's
    statement events as any other. Returns the asyncpg result of `method`."""
    connection = await session.connection()
    sync = connection.sync_connection
    assert sync is not None
    adapted = sync.connection.dbapi_connection
    arguments = compiled.arguments(params)
    if adapted._transaction is None:  # type: ignore[union-attr]
        await _begin(sync, adapted)
    raw = sync.connection.driver_connection
    dispatch = sync.dispatch
    dispatch.before_cursor_execute(sync, None, compiled.sql, arguments, None, False)
    try:
        found = await getattr(raw, method)(compiled.sql, *arguments)
    except Exception as error:
        broken = isinstance(error, _DEAD)
        if broken:
            await connection.invalidate()
        _try_again(error, compiled, broken=broken, attempt=2, retry=False)  # raises
        raise
    dispatch.after_cursor_execute(sync, None, compiled.sql, arguments, None, False)
    return found


async def _begin(sync: Connection, adapted: Any) -> None:
    """`BEGIN`, as SQLAlchemy's asyncpg adapter sends it before a transaction's first
    statement; a failure handled as SQLAlchemy handles a statement's: wrapped, a connection
    found dead invalidated, and the engine's `handle_error` listeners told (a dead checkout's
    request is run again, `app.db.watch_dead_checkouts`)."""
    try:
        await adapted._start_transaction()
    except Exception as error:
        await greenlet_spawn(sync._handle_dbapi_exception, error, "BEGIN", (), None, None)
        raise


async def fetch_in(session: AsyncSession, compiled: Compiled, params: Mapping[str, Any]) -> Any:
    """The first row of a statement run in the session's transaction, or None, its columns
    processed as on the driver (`fetch_one`): a named tuple."""
    found = await _in_transaction(session, compiled, params, "fetchrow")
    return None if found is None else compiled.row(found)


async def execute_in(session: AsyncSession, compiled: Compiled, params: Mapping[str, Any]) -> None:
    """A statement that returns no rows, in the session's transaction."""
    await _in_transaction(session, compiled, params, "execute")


async def select_all(direct: Direct, statement: Executable, params: Mapping[str, Any]) -> list[Any]:
    """A statement built for this call (filters, search terms), run by SQLAlchemy, which
    compiles each shape once and caches it, on a connection of its own in autocommit: still no
    session, no transaction."""
    async with direct.connection(autocommit=True) as connection:
        return list((await connection.execute(statement, params)).all())
