"""PostgreSQL's CPU per filing with the indexes of `requests` and `outbox` as head has them, and
without one of them (what an index costs every filing): three scratch databases, the filing statement of each (captured from the app, `bench/submit_pg.py`) replayed
from `CONC` connections, `N` times per round, the backends' CPU read from /proc; the variants
take turns, round after round (the machine is shared: read every round).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.filing_indexes
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import AsyncExitStack

import asyncpg
from sqlalchemy import make_url

from app.repositories import driver
from bench import submit_pg
from bench.harness import quiet_settings, scratch_database, seed

# What each variant runs on a database at head.
VARIANTS = {
    "head": "",
    "head, no ix_requests_national": "DROP INDEX ix_requests_national",
    "head, no uq_outbox_message_id": "ALTER TABLE outbox DROP CONSTRAINT uq_outbox_message_id",
}


async def run_round(
    dsn: str, captured: submit_pg.Captured, n: int, conc: int
) -> tuple[float, float]:
    """Backend CPU per filing (ms) and filings per second."""
    assert captured.compiled is not None
    conns = [await asyncpg.connect(dsn) for _ in range(conc)]
    for conn in conns:
        await driver._json_codecs(conn)
    sql = captured.compiled.sql
    for conn in conns:
        for _ in range(5):
            await conn.fetchrow(sql, *submit_pg.fresh(captured))
    pids = [conn.get_server_pid() for conn in conns]
    args = [submit_pg.fresh(captured) for _ in range(n)]
    before = sum(submit_pg.cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()

    async def worker(conn: asyncpg.Connection, chunk: list[tuple[object, ...]]) -> None:
        for arguments in chunk:
            await conn.fetchrow(sql, *arguments)

    await asyncio.gather(*(worker(conn, args[i::conc]) for i, conn in enumerate(conns)))
    wall = time.perf_counter() - started
    after = sum(submit_pg.cpu_seconds(pid) for pid in pids)
    for conn in conns:
        await conn.close()
    return (after - before) / n * 1e3, n / wall


async def main() -> None:
    logging.disable(logging.INFO)
    conc = int(os.environ.get("CONC", "10"))
    n = int(os.environ.get("N", "3000"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    server_url = os.environ["TEST_DATABASE_URL"]
    dsns: dict[str, str] = {}
    captures: dict[str, submit_pg.Captured] = {}
    async with AsyncExitStack() as stack:
        for i, (name, sql) in enumerate(VARIANTS.items()):
            url = await stack.enter_async_context(scratch_database(f"chikaya_fi{i}", server_url))
            await seed(url, quiet_settings())
            database = make_url(url).database
            assert database is not None
            root = make_url(url).set(drivername="postgresql", database="postgres")
            server = await asyncpg.connect(root.render_as_string(hide_password=False))
            captured = submit_pg.Captured()
            submit_pg._capture(captured)
            await submit_pg.measure_app(url, quiet_settings(), 50, 5, database, server)
            await server.close()
            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            conn = await asyncpg.connect(dsn)
            if sql:
                await conn.execute(sql)
            count = await conn.fetchval(
                "SELECT count(*) FROM pg_index WHERE indrelid IN "
                "('requests'::regclass, 'outbox'::regclass)"
            )
            await conn.close()
            print(f"{name}: {count} indexes on requests and outbox", flush=True)
            dsns[name], captures[name] = dsn, captured
        for r in range(rounds):
            for name in VARIANTS:
                cpu, rate = await run_round(dsns[name], captures[name], n, conc)
                print(
                    f"round {r} {name:<30} backend {cpu:.3f} ms CPU per filing, "
                    f"{rate:.0f}/s (conc {conc})",
                    flush=True,
                )


if __name__ == "__main__":
    asyncio.run(main())
