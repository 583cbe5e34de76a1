"""PostgreSQL's CPU per submission, in process (no HTTP server, no wrk).

    TEST_DATABASE_URL=postgresql://… python -m bench.submit_pg [--calls N] [--explain] [--replay]

Creates a throwaway database on that server, migrates it, loads the sample catalogue and a
supervisor of ACAPS (the paired benchmark's data: a new-request notice per filing), then files
sequential complaints (email and phone, to ACAPS `insurance`, the benchmark's body) through the
app with httpx's ASGI transport, on the serving process's own driver pool. PostgreSQL's CPU is
read from /proc/<pid>/stat (utime + stime) of every backend connected to that database, before
and after: milliseconds per submission, whatever else the server is doing for other databases
(the server must run on this machine). The app's own process time is printed beside it.

`--replay` runs the submission's statement itself, captured from one filing, `--calls` times on
one connection (its backend's CPU alone, no HTTP, no pool), each with a new tracking number,
public id and receipt code; `--explain` prints `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, WAL)` of
one more, and how often PostgreSQL planned it afresh (`pg_prepared_statements`: a custom plan
per call is a planning per call). Asserts nothing; numbers only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from sqlalchemy import make_url

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.repositories import driver, idempotency
from app.repositories import requests as requests_repository
from bench.harness import file_complaint, quiet_settings, scratch_database, seed

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


async def backends(server: asyncpg.Connection, database: str) -> list[int]:
    rows = await server.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return [row["pid"] for row in rows]


class Captured:
    """The submission statement last run (`requests.INSERT_NEW`, one of its shapes) and its
    parameters."""

    compiled: driver.Compiled | None = None
    params: dict[str, Any] = {}  # noqa: RUF012 (replaced, never mutated)


def _capture(captured: Captured) -> None:
    shapes = set(map(id, requests_repository.INSERT_NEW.values()))
    values = driver.Compiled._values

    def recording(self: driver.Compiled, params: Any) -> tuple[Any, ...]:
        if id(self) in shapes:
            captured.compiled, captured.params = self, dict(params)
        return values(self, params)

    driver.Compiled._values = recording  # type: ignore[method-assign]


def fresh(
    captured: Captured, compiled: driver.Compiled | None = None, **overrides: Any
) -> tuple[Any, ...]:
    """The captured statement's arguments (or those of `compiled`, another shape, with the
    same parameters) with a new tracking number, public id and receipt code (the request's
    unique keys), so that the replayed statement inserts a request each time."""
    # Another shape's parts left switched off: no key, limits of 0.
    params = {
        "counters_now": captured.params["created_at"],
        **requests_repository._counter_params("client", None),
        **requests_repository._counter_params("ack_email", None),
        **requests_repository._counter_params("ack_sms", None),
        **idempotency.record_params(None),
        **captured.params,
        **overrides,
    }
    for name, size in (("tracking_number", 12), ("public_id", 20), ("receipt_code", 20)):
        if params.get(name) is not None:
            params[name] = secrets.token_hex(size // 2)[:size].upper()
    target = compiled or captured.compiled
    assert target is not None
    return target.pool_arguments(params)  # for a connection prepared as the pool's


async def measure_app(
    url: str, settings: Settings, calls: int, warm: int, database: str, server: asyncpg.Connection
) -> None:
    engine = create_engine(url, settings)
    app = create_app(settings=settings, sessionmaker=create_sessionmaker(engine))
    app.state.direct = await driver.open_pool(
        engine, size=4, acquire_timeout=5, connect_timeout=5, recycle=1800
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def submit(n: int) -> None:
            await file_complaint(client, n)

        await _timed(server, database, "through the app", submit, calls, warm)
    await app.state.direct.close()
    await engine.dispose()


async def _timed(
    server: asyncpg.Connection,
    database: str,
    label: str,
    call: Callable[[int], Awaitable[None]],
    calls: int,
    warm: int,
) -> None:
    for n in range(warm):
        await call(n)
    pids = await backends(server, database)
    before = {pid: cpu_seconds(pid) for pid in pids}
    began_cpu, began = time.process_time(), time.perf_counter()
    for n in range(calls):
        await call(warm + n)
    own = (time.process_time() - began_cpu) / calls * 1000
    wall = (time.perf_counter() - began) / calls * 1000
    pids = set(pids) | set(await backends(server, database))
    spent_by = {pid: cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids}
    spent = sum(spent_by.values())
    if os.environ.get("SUBMIT_PG_DETAIL"):
        print("  per backend:", {pid: round(v * 1000 / calls, 3) for pid, v in spent_by.items()})
    print(
        f"{label}: PostgreSQL {spent / calls * 1000:.3f} ms CPU per submission "
        f"({len(pids)} backends), this process {own:.2f} ms CPU, {wall:.2f} ms wall; {calls} calls"
    )


async def replay(url: str, captured: Captured, calls: int, warm: int, explain: bool) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    await driver._json_codecs(connection)
    try:
        pid = connection.get_server_pid()

        assert captured.compiled is not None
        sql = captured.compiled.sql

        async def one(_: int) -> None:
            await connection.fetchrow(sql, *fresh(captured))

        for n in range(warm):
            await one(n)
        before = cpu_seconds(pid)
        for n in range(calls):
            await one(n)
        spent = cpu_seconds(pid) - before
        print(f"replayed on one connection: {spent / calls * 1000:.3f} ms CPU per statement")
        plans = await connection.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            sql,
        )
        if plans is not None:
            print(f"  plans: {plans['generic_plans']} generic, {plans['custom_plans']} custom")
        if explain:
            lines = await connection.fetch(
                "EXPLAIN (ANALYZE, BUFFERS, VERBOSE, WAL) " + sql, *fresh(captured)
            )
            print("\n".join(line[0] for line in lines))
    finally:
        await connection.close()


async def main(calls: int, warm: int, explain: bool, with_replay: bool) -> None:
    logging.disable(logging.INFO)
    async with scratch_database("chikaya_submitpg", os.environ["TEST_DATABASE_URL"]) as url:
        await seed(url, quiet_settings())
        database = make_url(url).database
        assert database is not None
        dsn = make_url(url).set(drivername="postgresql", database="postgres")
        server = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        captured = Captured()
        _capture(captured)
        try:
            await measure_app(url, quiet_settings(), calls, warm, database, server)
            if with_replay or explain:
                await replay(url, captured, calls if with_replay else 0, warm, explain)
        finally:
            await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--replay", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.warm, arguments.explain, arguments.replay))
