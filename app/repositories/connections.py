"""The driver's own pool of asyncpg connections (`app.repositories.driver`): at most `size`,
opened on demand, the idle ones kept on a stack and closed after `recycle` seconds unused.

Why not asyncpg's pool: its checkout and return cost a fifteenth of a whole submission's CPU
(a task per release through `asyncio.shield`, the reset callback awaited, a `wait_for` timer,
the idle count found by walking every holder), for work the driver does not need. The driver
queues its statements for a connection itself, first come first served (`Direct.turns`, one
turn per connection), so whoever holds a turn finds an idle connection here or room to open
one and never waits in the pool: taking one is a list pop and two checks, returning it an
append.

Nothing is reset on a connection that comes back (asyncpg's pool rolls back a transaction
left open, and by default sends `RESET ALL`, `UNLISTEN *`, ...): only the statements compiled
in `driver` run on these connections, one at a time, each in autocommit. None of them opens a
transaction, changes a setting, listens or keeps a cursor, so a statement that ended leaves
the session as it found it. One cheap guard remains: a connection that comes back inside a
transaction (a statement that would have begun one) is terminated, never handed out again.
A connection whose state is unknown (its statement cancelled half-way, the client gone) is
not returned but `abandon`ed by its taker: closed in the background once asyncpg's cancel
request went out, a new one opened in its place.

Idle connections form a stack, the most recently used taken first: under a light load the
same few serve every statement and the others stay untouched long enough to reach `recycle`
and be closed, so the pool shrinks back to what the load needs (a queue would cycle through
all of them and keep every one just young enough). The stack is also ordered by age, its
bottom the oldest, which makes both checks cheap: taking one whose wait passed `recycle`
retires it with every one below; and one timer at a time, armed when a connection goes idle
with none armed, retires those past the limit when the process goes quiet (no statement
comes to find them), then re-arms for the next oldest.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

import asyncpg


class Connections:
    """At most `size` connections to `dsn`, each opened within `connect_timeout` seconds with
    `server_settings` and prepared by `init`; one idle longer than `recycle` seconds is
    closed rather than reused. The caller holds one of `size` turns while it holds a
    connection (`Direct.turns`): the pool itself never waits."""

    def __init__(
        self,
        dsn: str,
        *,
        size: int,
        connect_timeout: float,
        recycle: float,
        init: Callable[[asyncpg.Connection], Awaitable[None]],
        server_settings: Mapping[str, str],
    ) -> None:
        self._dsn = dsn
        self._size = size
        self._connect_timeout = connect_timeout
        self._recycle = recycle
        self._init = init
        self._server_settings = dict(server_settings)
        # (connection, when it went idle), the most recent last.
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._opened = 0  # open or being opened: idle, in use or connecting
        self._closed = False
        self._sweep: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()  # abandoned, being closed

    def get_max_size(self) -> int:
        return self._size

    def get_size(self) -> int:
        """Connections open or being opened, idle or in use."""
        return self._opened

    def get_idle_size(self) -> int:
        return len(self._idle)

    def take(self) -> asyncpg.Connection | None:
        """The most recently used idle connection still fit for use, or None: then `open` one.
        One found closed (the server restarted, or ended it) is dropped; one idle past
        `recycle` is closed, with every one below it (idle longer still)."""
        idle = self._idle
        while idle:
            connection, since = idle.pop()
            if time.monotonic() - since > self._recycle:
                self.discard(connection)
                self._retire(len(idle))  # idle longer still
                return None
            if connection.is_closed():
                self._opened -= 1
                continue
            return connection
        return None

    async def open(self) -> asyncpg.Connection:
        """A new connection, for a caller holding a turn and finding none idle. Raises what
        connecting raised (`OSError`, `TimeoutError`, the server's refusal), or asyncpg's
        `InterfaceError` once the pool is closed (as asyncpg's pool does)."""
        if self._closed:
            raise asyncpg.InterfaceError("the driver's pool is closed")
        if self._opened >= self._size:  # the turns make this impossible
            raise RuntimeError(f"a connection asked for beyond the pool's {self._size}")
        self._opened += 1
        try:
            connection = await asyncpg.connect(
                self._dsn, timeout=self._connect_timeout, server_settings=self._server_settings
            )
        except BaseException:
            self._opened -= 1
            raise
        try:
            await self._init(connection)
        except BaseException:
            self.discard(connection)
            raise
        return connection

    def give_back(self, connection: asyncpg.Connection) -> None:
        """A connection whose statement ended (done, or refused by the server): idle again,
        unless the pool closed meanwhile or a transaction is left open on it (see the
        module's docstring: nothing else needs resetting)."""
        if self._closed or connection.is_in_transaction():
            self.discard(connection)
            return
        self._idle.append((connection, time.monotonic()))
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(self._recycle, self._expire)

    def discard(self, connection: asyncpg.Connection) -> None:
        """A connection that must not serve again (broken, or in an unknown state): its
        socket closed at once, its place free for a new one."""
        self._opened -= 1
        connection.terminate()

    def abandon(self, connection: asyncpg.Connection) -> None:
        """A connection whose statement was cancelled half-way (its client gone): never handed
        out again, its place free at once, and closed in the background rather than cut, so
        that the cancel request asyncpg sends reaches the server first and the statement stops
        there too (a cut socket goes unnoticed until the statement ends and answers)."""
        self._opened -= 1
        closing = asyncio.get_running_loop().create_task(self._close(connection))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def _close(self, connection: asyncpg.Connection) -> None:
        # asyncpg terminates a connection it cannot close in time, then raises.
        with contextlib.suppress(Exception):
            await connection.close(timeout=self._connect_timeout)

    async def close(self) -> None:
        """Close the idle connections (those in use are terminated as they come back) and
        refuse new ones."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        self._opened -= len(idle)
        await asyncio.gather(*(self._close(connection) for connection, _ in idle), *self._closing)

    def _retire(self, count: int) -> None:
        """Terminate the `count` oldest idle connections. (Terminating, not closing: the
        server takes a socket closed outside a transaction as a normal end of session, and
        this runs without waiting, on the way to a statement or in a timer.)"""
        retired = self._idle[:count]
        del self._idle[:count]
        for connection, _ in retired:
            self.discard(connection)

    def _expire(self) -> None:
        """The timer: retire the idle connections past `recycle`, then wait for the next."""
        self._sweep = None
        idle, now = self._idle, time.monotonic()
        stale = 0
        while stale < len(idle) and now - idle[stale][1] >= self._recycle:
            stale += 1
        self._retire(stale)
        if idle:
            wait = max(idle[0][1] + self._recycle - now, 0.0)
            self._sweep = asyncio.get_running_loop().call_later(wait, self._expire)


class Turns:
    """`count` turns at the pool, one per connection, given first come, first served, each
    waited for at most `wait` seconds (then `TimeoutError`). A pool that hands a freed
    connection to whichever task asks first (asyncpg's did) lets a client back for its next
    statement overtake statements already waiting, again and again (32 clients on 10
    connections: an Open311 page's p99 seven times its p50).

    asyncio's Semaphore served them in order too, but a statement that waited paid for a
    timer of its own (`asyncio.timeout`: armed, then cancelled) and for the semaphore's
    scans of its waiters; under load nearly every statement waits. Here the waiting share
    one timer: all wait the same time in the order they came, so the first in line is the
    first due, and the timer, armed for it, finds when it fires which ones are past their
    time and is armed again for the next (once per `wait` seconds at most, however many
    statements pass meanwhile)."""

    def __init__(self, count: int, wait: float) -> None:
        self._free = count
        self._wait = wait
        # (its turn, when it is due), in the order they came; one cancelled stays until
        # it reaches the front.
        self._waiting: deque[tuple[asyncio.Future[None], float]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def locked(self) -> bool:
        """Whether a statement coming now would wait."""
        return not self._free

    def take(self) -> bool:
        """A turn at once, if one is free (none is while others wait): then True."""
        if self._free:
            self._free -= 1
            return True
        return False

    async def wait(self) -> None:
        """A turn after those already waiting: `TimeoutError` after `wait` seconds."""
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        due = loop.time() + self._wait
        self._waiting.append((turn, due))
        if self._timer is None:
            self._timer = loop.call_at(due, self._expire)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.release()  # given a turn it will not use: the next one's
            raise

    def release(self) -> None:
        """A turn given back: to the first still waiting, else free."""
        waiting = self._waiting
        while waiting:
            turn, _ = waiting.popleft()
            if not turn.done():  # not cancelled meanwhile
                turn.set_result(None)
                return
        self._free += 1

    def _expire(self) -> None:
        """The timer: those at the front past their time leave with `TimeoutError`; then
        armed again for the first still waiting."""
        self._timer = None
        waiting = self._waiting
        loop = asyncio.get_running_loop()
        now = loop.time()
        while waiting:
            turn, due = waiting[0]
            if not turn.done():
                if due > now:
                    self._timer = loop.call_at(due, self._expire)
                    return
                turn.set_exception(TimeoutError())
            waiting.popleft()
