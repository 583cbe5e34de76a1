"""The plans of every query an index of `requests` or `outbox` serves, at scale: a scratch
database migrated to `--before` (a revision), seeded with `--requests` requests by set-based SQL
(`tests/index_plans.py`: most closed long ago, a few escalated, the outbox mostly sent), each
case run under EXPLAIN ANALYZE (rolled back) and printed (the indexes it uses, its cost and
execution time, a sequential scan flagged), then migrated to head and printed again. Asserts nothing; `tests/test_index_plans.py` asserts on a modest seed.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.index_plans --requests 300000 --before 0026
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import time

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bench.harness import scratch_database
from tests.index_plans import CASES, plan, seed, seeded_ids
from tests.test_migrations import _config


async def show(connection: AsyncConnection, label: str, verbose: bool) -> None:
    ids = await seeded_ids(connection)
    print(f"--- {label}")
    for case in CASES:
        statement, params = case.build(ids)
        found = await plan(connection, statement, params, analyze=True)
        used = sorted(set(re.findall(r"(?:using|on) ((?:ix|uq)_\w+|\w+_key|\w+_pkey)", found)))
        seq = f"  SEQ SCAN on {case.table}" if f"Seq Scan on {case.table}" in found else ""
        first = found.splitlines()[0]
        cost = re.search(r"cost=[\d.]+\.\.([\d.]+)", first)
        ran = re.search(r"Execution Time: ([\d.]+) ms", found)
        print(
            f"{case.name:<50} {', '.join(used) or '-':<60} cost {cost and cost[1]}, "
            f"{ran and ran[1]} ms{seq}"
        )
        if verbose:
            print("    " + found.replace("\n", "\n    "))
    await connection.rollback()


async def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300_000)
    parser.add_argument("--before", default="0026")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    async with scratch_database("chikaya_plans", os.environ.get("TEST_DATABASE_URL")) as url:
        config = _config(url)
        await asyncio.to_thread(command.downgrade, config, args.before)
        engine = create_async_engine(url, poolclass=NullPool)
        from app.services.catalogue import load_sample

        async with async_sessionmaker(engine)() as session:
            await load_sample(session)
            await session.commit()
        started = time.perf_counter()
        async with engine.connect() as connection:
            await seed(connection, args.requests)
            await connection.commit()
            counts = await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM outbox), "
                    "(SELECT count(*) FROM requests WHERE escalation_level > 0), "
                    "(SELECT count(*) FROM requests WHERE state IN ('submitted', 'in_progress')), "
                    "(SELECT count(*) FROM outbox WHERE status = 'pending'), "
                    "(SELECT count(*) FROM administrations)"
                )
            )
            print(
                "requests, outbox, escalated, running, pending, administrations:",
                tuple(counts.one()),
                f"seeded in {time.perf_counter() - started:.0f} s",
            )
            await connection.commit()
            await show(connection, f"at {args.before}", args.verbose)
        await engine.dispose()
        await asyncio.to_thread(command.upgrade, config, "head")
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE requests"))
            await connection.execute(text("ANALYZE outbox"))
            await connection.commit()
            await show(connection, "at head", args.verbose)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
