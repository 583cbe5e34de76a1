"""The driver's own pool of asyncpg connections (`app.repositories.connections`), on the
real server: bounded, opened on demand, recycled when idle, a broken or cancelled connection
never handed out again, every turn given back on every path, everything closed at the end."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import JSON, Float, Integer, Text, bindparam, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.repositories import driver
from app.repositories.connections import Connections, Turns

_PID = driver.Compiled(select(func.pg_backend_pid().label("pid")))
_SLEEP = driver.Compiled(
    select(
        func.pg_backend_pid().label("pid"),
        func.pg_sleep(bindparam("seconds", type_=Float)).label("slept"),
    )
)
_DIVIDE = driver.Compiled(select((literal(1) / bindparam("by", type_=Integer)).label("quotient")))


async def _serving(engine: AsyncEngine) -> set[int]:
    """The server's backends of the driver's pools, in the tests' database."""
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": driver.APPLICATION_NAME},
        )
        return set(found.scalars())


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "never came true"
        await asyncio.sleep(0.02)


async def _terminate(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def _free_turns(direct: driver.Direct) -> int:
    """How many turns can be taken at once right now (all of them, when none leaked)."""
    turns = direct.turns
    assert turns is not None
    taken = 0
    try:
        while turns.take():
            taken += 1
    finally:
        for _ in range(taken):
            turns.release()
    return taken


def _pool(direct: driver.Direct) -> Connections:
    assert direct.pool is not None
    return direct.pool


@pytest.fixture
async def quiet(engine: AsyncEngine) -> AsyncEngine:
    """The tests' engine, once no driver connection of an earlier test is left on the server
    (so that counting the server's connections counts this test's)."""

    async def none_left() -> bool:
        return not await _serving(engine)

    await _until(none_left)
    return engine


@contextlib.asynccontextmanager
async def _open(engine: AsyncEngine, **options: Any) -> AsyncIterator[driver.Direct]:
    settings: dict[str, Any] = {
        "size": 2,
        "acquire_timeout": 5.0,
        "connect_timeout": 5.0,
        "recycle": 60.0,
    }
    direct = await driver.open_pool(engine, **{**settings, **options})
    try:
        yield direct
    finally:
        await direct.close()


async def test_connections_are_opened_on_demand_and_never_more_than_the_size(quiet):
    async with _open(quiet, size=3) as direct:
        assert await _serving(quiet) == set()  # none at startup
        assert _pool(direct).get_size() == 0
        busiest = 0
        done = asyncio.Event()

        async def watch() -> None:
            nonlocal busiest
            while not done.is_set():
                busiest = max(busiest, len(await _serving(quiet)))
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        try:
            rows = await asyncio.gather(
                *(driver.fetch_one(direct, _SLEEP, {"seconds": 0.05}) for _ in range(24))
            )
        finally:
            done.set()
            await watcher
        used = {row.pid for row in rows}
        assert len(used) == 3
        assert busiest <= 3
        assert await _serving(quiet) == used
        assert (_pool(direct).get_size(), _pool(direct).get_idle_size()) == (3, 3)
        assert await _free_turns(direct) == 3


async def test_the_most_recently_used_connection_serves_first(quiet):
    async with _open(quiet, size=2) as direct:
        pool = _pool(direct)
        first, second = await pool.open(), await pool.open()
        pool.give_back(first)
        pool.give_back(second)
        assert pool.take() is second
        assert pool.take() is first
        assert pool.take() is None
        pool.give_back(first)
        pool.give_back(second)


async def test_a_connection_idle_past_the_recycle_age_is_closed_not_reused(quiet):
    async with _open(quiet, size=2, recycle=0.2) as direct:
        pool = _pool(direct)
        older, newer = await pool.open(), await pool.open()
        recycled = newer.get_server_pid()
        pool.give_back(older)
        pool.give_back(newer)
        # Busy past the age without yielding to the loop (its timer cannot run first).
        busy = time.perf_counter() + 0.3
        while time.perf_counter() < busy:
            pass
        assert pool.take() is None
        assert older.is_closed()
        assert newer.is_closed()
        assert (pool.get_size(), pool.get_idle_size()) == (0, 0)
        row = await driver.fetch_one(direct, _PID, {})
        assert row.pid != recycled


async def test_idle_connections_past_the_recycle_age_are_closed_when_nothing_runs(quiet):
    async with _open(quiet, size=2, recycle=0.3) as direct:
        first, second = await asyncio.gather(
            driver.fetch_one(direct, _SLEEP, {"seconds": 0.05}),
            driver.fetch_one(direct, _SLEEP, {"seconds": 0.05}),
        )
        assert await _serving(quiet) == {first.pid, second.pid}

        async def none_left() -> bool:
            return not await _serving(quiet)

        await _until(none_left, seconds=5)
        assert _pool(direct).get_size() == 0


async def test_a_connection_found_closed_is_dropped_for_another(quiet):
    async with _open(quiet, size=2) as direct:
        pool = _pool(direct)
        kept, ended = await pool.open(), await pool.open()
        pool.give_back(kept)
        pool.give_back(ended)  # the first taken
        await _terminate(quiet, ended.get_server_pid())

        async def closed() -> bool:
            return bool(ended.is_closed())

        await _until(closed)
        assert pool.take() is kept
        assert pool.get_size() == 1
        pool.give_back(kept)


async def test_a_read_on_a_backend_the_server_ended_runs_again_on_a_new_connection(quiet):
    async with _open(quiet, size=1) as direct:
        before = await driver.fetch_one(direct, _PID, {})
        await _terminate(quiet, before.pid)
        after = await driver.fetch_one(direct, _PID, {})  # at once: the end may not be seen yet
        assert after.pid != before.pid
        assert await _serving(quiet) == {after.pid}
        assert _pool(direct).get_size() == 1
        assert await _free_turns(direct) == 1


async def test_a_statement_cancelled_while_it_runs_leaves_no_connection_and_no_turn(quiet):
    async with _open(quiet, size=1) as direct:
        running = asyncio.create_task(driver.fetch_one(direct, _SLEEP, {"seconds": 30}))

        async def sleeping() -> bool:
            async with quiet.connect() as connection:
                found = await connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                        "AND state = 'active' AND query LIKE '%pg_sleep%'"
                    ),
                    {"name": driver.APPLICATION_NAME},
                )
                return bool(found)

        await _until(sleeping)
        (cancelled,) = await _serving(quiet)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        # Its connection, still waiting for the sleep's answer, is not kept for the next.
        assert (_pool(direct).get_size(), _pool(direct).get_idle_size()) == (0, 0)
        assert await _free_turns(direct) == 1
        row = await driver.fetch_one(direct, _PID, {})
        assert row.pid != cancelled

        # And the server stops the statement (it would sleep on for half a minute).
        async def stopped() -> bool:
            return cancelled not in await _serving(quiet)

        await _until(stopped, seconds=5)


async def test_no_turn_is_lost_to_errors_timeouts_or_cancellations(quiet):
    async with _open(quiet, size=2, acquire_timeout=0.2) as direct:
        # The statement's own error: its connection, still sound, is kept.
        with pytest.raises(DBAPIError):
            await driver.fetch_one(direct, _DIVIDE, {"by": 0})
        assert _pool(direct).get_idle_size() == 1
        assert (await driver.fetch_one(direct, _DIVIDE, {"by": 1})).quotient == 1
        # Every connection busy for longer than one may wait: an outage (503), then a
        # waiter cancelled in the queue.
        sleepers = [
            asyncio.create_task(driver.fetch_one(direct, _SLEEP, {"seconds": 0.6}))
            for _ in range(2)
        ]
        await asyncio.sleep(0.05)
        with pytest.raises(OperationalError):
            await driver.fetch_one(direct, _PID, {})
        waiting = asyncio.create_task(driver.fetch_one(direct, _PID, {}))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.gather(*sleepers)
        assert await _free_turns(direct) == 2
        assert _pool(direct).get_size() == 2


async def test_a_server_that_never_answers_is_an_outage_and_keeps_no_turn(quiet):
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts, never answers
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    nowhere = create_async_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{port}/none")
    try:
        async with _open(nowhere, size=1, connect_timeout=0.2) as direct:
            with pytest.raises(OperationalError) as caught:
                await driver.fetch_one(direct, _PID, {})
            assert isinstance(caught.value.orig, TimeoutError)
            connecting = asyncio.create_task(driver.fetch_one(direct, _PID, {}))
            await asyncio.sleep(0.05)
            connecting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await connecting
            assert _pool(direct).get_size() == 0
            assert await _free_turns(direct) == 1
    finally:
        await nowhere.dispose()
        server.close()
        await server.wait_closed()


async def test_closing_closes_idle_connections_and_those_in_use_as_they_come_back(quiet):
    async with _open(quiet, size=3) as direct:
        rows = await asyncio.gather(
            *(driver.fetch_one(direct, _SLEEP, {"seconds": 0.05}) for _ in range(3))
        )
        assert len({row.pid for row in rows}) == 3
        running = asyncio.create_task(driver.fetch_one(direct, _SLEEP, {"seconds": 0.5}))
        await asyncio.sleep(0.1)
        await direct.close()
        assert _pool(direct).get_size() == 1  # the one still at work
        assert (await running).pid in {row.pid for row in rows}  # it ends as any other
        assert _pool(direct).get_size() == 0

        async def none_left() -> bool:
            return not await _serving(quiet)

        await _until(none_left, seconds=5)
        with pytest.raises(OperationalError):  # closed: an outage, never a hang
            await driver.fetch_one(direct, _PID, {})
        assert await _free_turns(direct) == 3


async def test_a_connection_left_inside_a_transaction_is_not_kept(quiet):
    """Nothing is reset between statements, which all run in autocommit; one that would
    leave a transaction open on its connection costs the connection instead."""
    async with _open(quiet, size=1) as direct:
        await driver.execute(direct, driver.Compiled(text("BEGIN")), {})
        assert _pool(direct).get_size() == 0
        row = await driver.fetch_one(direct, _PID, {})
        assert await _serving(quiet) == {row.pid}
        assert _pool(direct).get_idle_size() == 1


_JSON = driver.Compiled(
    select(
        cast(bindparam("b", type_=JSONB), Text).label("stored"),
        cast(bindparam("j", type_=JSON), Text).label("text"),
        bindparam("b", type_=JSONB).label("back"),
    )
)


async def test_json_parameters_on_the_pool_are_written_as_through_the_engine(quiet):
    """On the pool, JSON parameters go as orjson's bytes (`Compiled.pool_arguments`), never
    decoded into a str: the database stores what the engine's connections store, None
    included (JSON's null, not SQL's NULL), and rows read back the same."""
    values = [
        None,
        {"administration": "هيئة مراقبة التأمينات", "params": {"due": "29/01/2027"}},
        [{"n": 2**70}],  # past orjson's integers: written by `json`
        "plain",
    ]
    engine_side = driver.Direct(quiet)
    async with _open(quiet, size=1) as direct:
        for value in values:
            pooled = await driver.fetch_one(direct, _JSON, {"b": value, "j": value})
            through_engine = await driver.fetch_one(engine_side, _JSON, {"b": value, "j": value})
            assert pooled == through_engine, value
            assert pooled.back == value
        assert (await driver.fetch_one(direct, _JSON, {"b": None, "j": None})).stored == "null"


async def test_turns_are_given_in_the_order_they_were_asked_for():
    turns = Turns(1, wait=5.0)
    assert turns.take()
    assert turns.locked()
    assert not turns.take()
    order: list[int] = []

    async def waiter(number: int) -> None:
        await turns.wait()
        order.append(number)
        await asyncio.sleep(0)
        turns.release()

    tasks = [asyncio.create_task(waiter(number)) for number in range(5)]
    await asyncio.sleep(0)
    turns.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert turns.take()
    assert not turns.take()


async def test_each_waiter_times_out_at_its_own_time_and_takes_no_turn():
    """The waiters share one timer: armed for the first, it finds the second not yet due
    and is armed again for it."""
    turns = Turns(1, wait=0.3)
    assert turns.take()
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(turns.wait())
    await asyncio.sleep(0.2)
    second = asyncio.create_task(turns.wait())
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(first, 5)
    assert 0.29 <= loop.time() - started < 2
    assert not second.done()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(second, 5)
    assert 0.49 <= loop.time() - started < 2
    turns.release()
    assert turns.take()  # neither kept a turn


async def test_a_waiter_cancelled_before_or_after_its_turn_came_passes_it_on():
    turns = Turns(1, wait=5.0)
    assert turns.take()
    gone = asyncio.create_task(turns.wait())
    given = asyncio.create_task(turns.wait())
    last = asyncio.create_task(turns.wait())
    await asyncio.sleep(0)
    gone.cancel()  # while waiting: skipped
    await asyncio.sleep(0)
    turns.release()
    given.cancel()  # handed the turn, cancelled before it could run: the turn goes on
    with pytest.raises(asyncio.CancelledError):
        await given
    await asyncio.wait_for(last, 1)
    assert gone.cancelled()
    assert not turns.take()  # `last` holds the one turn
    turns.release()
    assert turns.take()
