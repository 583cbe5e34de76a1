"""Core statements compiled once, at import, and run straight on the asyncpg connection.

The hot reads (a request's detail, the actor behind a staff token, the access-log line of a
staff read) are one statement each with nothing for the ORM to do. Through an `AsyncSession`
each call still pays for the session, its transaction bookkeeping, a greenlet hop, the
compiled-cache look-up, the execution context and the result's row processing: most of the CPU
of such a request. Here a statement is compiled once into its SQL text, the order of its
positional parameters and their bind processors; a call binds the values, sends the text
(asyncpg prepares it once per connection and keeps it) and reads the record.

The connection is checked out of the application's own SQLAlchemy pool (`Direct`), so
recycling, sizing, the tests' rolled-back connection and the `before_cursor_execute` /
`after_cursor_execute` events (statement counting, the dead-checkout mark) work as for every
other statement. A connection found dead is invalidated and a read runs once more on a fresh
one; driver errors come out as SQLAlchemy's `DBAPIError`, which the error handlers turn into
the same problems as elsewhere (503 for an outage).
"""

from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, cast

import asyncpg
from sqlalchemy import Float, Numeric
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]

# The driver's errors that mean the connection itself is gone (not the statement's fault).
_DEAD = (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.InterfaceError, OSError)


class Direct:
    """Where the driver statements run: the engine's pool (a connection per statement, in
    autocommit: PostgreSQL's READ COMMITTED gives each its own snapshot, as on the read-only
    routes), or one connection the caller holds (the tests' transaction, rolled back at the
    end)."""

    def __init__(self, bind: AsyncEngine | AsyncConnection) -> None:
        self._bind = bind
        # For the statements SQLAlchemy itself runs (`select_all`): no BEGIN, no COMMIT.
        self._autocommit = (
            bind.execution_options(isolation_level="AUTOCOMMIT")
            if isinstance(bind, AsyncEngine)
            else bind
        )

    @contextlib.asynccontextmanager
    async def connection(self, *, autocommit: bool = False) -> AsyncIterator[AsyncConnection]:
        bind = self._autocommit if autocommit else self._bind
        if isinstance(bind, AsyncConnection):
            yield bind
            return
        async with bind.connect() as connection:
            yield connection


def _oid(type_: Any) -> int | None:
    """The PostgreSQL type a numeric column arrives as (its processor depends on it)."""
    if isinstance(type_, Float):
        return 701  # float8
    if isinstance(type_, Numeric):
        return 1700  # numeric
    return None


class Compiled:
    """A Core statement compiled for asyncpg once: SQL text, parameter order, processors."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        if compiled.post_compile_params:
            # Expanding lists and literal-execute values change the SQL with each call.
            rendered = sorted(param.key for param in compiled.post_compile_params)
            raise ValueError(f"not compilable once: {rendered} are rendered per call")
        self.sql = str(compiled)
        names: Sequence[str] = compiled.positiontup or ()
        defaults = compiled.params  # the statement's own literals
        self._slots: list[tuple[str, Any, Callable[[Any], Any] | None]] = [
            (
                name,
                defaults.get(name),
                compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT),
            )
            for name in names
        ]
        columns = list(getattr(statement, "selected_columns", ()))
        processors = [
            column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, _oid(column.type))
            for column in columns
        ]
        self._processors = [(i, p) for i, p in enumerate(processors) if p is not None]
        self._row: type[tuple[Any, ...]] | None = None

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, default, process in self._slots:
            value = params.get(name, default)
            values.append(process(value) if process is not None and value is not None else value)
        return values

    def row(self, record: asyncpg.Record) -> Any:
        """The record as a named tuple: `row.name`, like SQLAlchemy's rows."""
        if self._row is None:
            self._row = namedtuple("Row", list(record.keys()), rename=True)  # type: ignore[misc]
        values = list(record.values())
        for i, process in self._processors:
            values[i] = process(values[i])
        return self._row(*values)


def _driver(connection: AsyncConnection) -> tuple[Connection, Any]:
    sync = connection.sync_connection
    assert sync is not None
    return sync, sync.connection.driver_connection


def _wrapped(error: Exception, compiled: Compiled, dead: bool) -> DBAPIError:
    kind = OperationalError if dead else DBAPIError
    return kind(compiled.sql, None, error, hide_parameters=True, connection_invalidated=dead)


async def _run(
    direct: Direct, compiled: Compiled, params: Mapping[str, Any], method: str, retry: bool
) -> Any:
    arguments = tuple(compiled.arguments(params))  # positional, as SQLAlchemy passes them
    for attempt in (1, 2):
        async with direct.connection() as connection:
            sync, driver = _driver(connection)
            dispatch = sync.dispatch
            dispatch.before_cursor_execute(sync, None, compiled.sql, arguments, None, False)
            try:
                result = await getattr(driver, method)(compiled.sql, *arguments)
            except _DEAD as error:
                await connection.invalidate()
                if retry and attempt == 1 and isinstance(direct._bind, AsyncEngine):
                    continue
                raise _wrapped(error, compiled, dead=True) from error
            except asyncpg.PostgresError as error:
                raise _wrapped(error, compiled, dead=False) from error
            dispatch.after_cursor_execute(sync, None, compiled.sql, arguments, None, False)
            return result
    raise AssertionError("unreachable")


async def fetch_one(direct: Direct, compiled: Compiled, params: Mapping[str, Any]) -> Any | None:
    """The statement's first row (a named tuple), or None. A read: run again once on a fresh
    connection if the pooled one was dead."""
    record = await _run(direct, compiled, params, "fetchrow", retry=True)
    return None if record is None else compiled.row(record)


async def fetch_all(direct: Direct, compiled: Compiled, params: Mapping[str, Any]) -> list[Any]:
    records = await _run(direct, compiled, params, "fetch", retry=True)
    return [compiled.row(record) for record in records]


async def execute(direct: Direct, compiled: Compiled, params: Mapping[str, Any]) -> None:
    """A write that commits by itself (one statement, autocommit). Never run twice."""
    await _run(direct, compiled, params, "execute", retry=False)


async def select_all(direct: Direct, statement: Executable, params: Mapping[str, Any]) -> list[Any]:
    """A statement built for this call (filters, search terms), run by SQLAlchemy, which
    compiles each shape once and caches it, on a connection of its own in autocommit: still no
    session, no transaction."""
    async with direct.connection(autocommit=True) as connection:
        return list((await connection.execute(statement, params)).all())
