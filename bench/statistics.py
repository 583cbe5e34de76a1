"""Benchmark of the public statistics over a country's worth of counters.

Run: `make bench`. Statistics never scan requests: they sum the per-cohort counters, whose
size grows with administrations × services × kinds × months, not with requests. This fills
120 administrations × 4 services × 4 kinds × 120 months (230,400 cohort rows, standing for
tens of millions of requests) and times the global, per-administration and per-period
queries through the real service function, then folds the slots into their rollups (the
periodic work) and times the questions again. `BENCH_ADMINISTRATIONS` (120), `BENCH_MONTHS`
(120) and `BENCH_PER_COHORT` (100 requests a cohort row) size it: `BENCH_ADMINISTRATIONS=5
BENCH_MONTHS=6 BENCH_PER_COHORT=20` stands for 9,600 requests, to compare with the default's
23 million. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.models.enums import Kind
from app.repositories import stats as stats_repository
from app.services import stats
from bench import harness
from bench.harness import scratch_database

RUNS = 50
ADMINISTRATIONS = int(os.environ.get("BENCH_ADMINISTRATIONS", "120"))
MONTHS = int(os.environ.get("BENCH_MONTHS", "120"))
PER_COHORT = int(os.environ.get("BENCH_PER_COHORT", "100"))
FILL = [
    """INSERT INTO administrations (code, name, sector, search_text)
       SELECT 'B' || g, jsonb_build_object('ar', 'إدارة ' || g, 'fr', 'Administration ' || g, 'en', 'Administration ' || g),
              'public_service', 'administration ' || g FROM generate_series(1, :administrations) g""",
    """INSERT INTO request_stats (administration_id, service_id, kind, month, received, processed,
              processing_seconds, reopened, rated, rating_sum, satisfied)
       SELECT a.id, s, k, date_trunc('month', now()) - (m || ' months')::interval,
              :n, :n * 8 / 10, :n * 8 / 10 * 86400 * 30, :n / 20, :n * 4 / 10, :n * 6 / 4,
              :n * 28 / 100
       FROM administrations a, generate_series(1, 4) s,
            unnest(ARRAY['complaint', 'observation', 'suggestion', 'information_request']) k,
            generate_series(0, :months - 1) m""",
    "ANALYZE",
]


def timed(label: str, call: Callable[[], Awaitable[object]]) -> Awaitable[None]:
    return harness.timed(label, call, RUNS)


async def main() -> None:
    async with scratch_database("chikaya_bench") as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for statement in FILL:
                await conn.execute(
                    text(statement),
                    {"administrations": ADMINISTRATIONS, "months": MONTHS, "n": PER_COHORT},
                )
            rows = (
                await conn.execute(text("SELECT count(*), sum(received) FROM request_stats"))
            ).one()
        print(f"{rows[0]} cohort rows standing for {rows[1]:,} requests")
        async with engine.connect() as conn:
            # The plan of the whole-portal question: one scan of the cohort rows, never of
            # requests; the rows it reads are the cohort rows (times writers' shards, if any).
            whole = stats_repository._totals(False, False, False, False, False)
            compiled = whole.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
            plan = await conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {compiled}"))
            print("EXPLAIN whole portal:")
            for (line,) in plan:
                print("   ", line)
        async with async_sessionmaker(engine)() as session:
            some = await session.scalar(text("SELECT id FROM administrations WHERE code = 'B7'"))
            await timed("whole portal, all time", lambda: stats.compute(session, stats.Scope()))
            await timed(
                "one administration",
                lambda: stats.compute(session, stats.Scope(administration_id=some)),
            )
            await timed(
                "one kind, one year",
                lambda: stats.compute(
                    session,
                    stats.Scope(
                        kind=Kind.complaint, from_month=date(2025, 1, 1), to_month=date(2025, 12, 1)
                    ),
                ),
            )
            # The fold of the periodic work, then the same questions from the rollups.
            sessionmaker = async_sessionmaker(engine)
            moved = await stats.fold(sessionmaker)
            await session.execute(text("ANALYZE"))
            await session.commit()
            print(f"folded {moved} slots into their rollups")
            compiled = whole.compile(
                (await session.connection()).sync_connection,
                compile_kwargs={"literal_binds": True},
            )
            plan = await session.execute(
                text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {compiled}")
            )
            print("EXPLAIN whole portal, folded:")
            for (line,) in plan:
                print("   ", line)
            await timed(
                "folded: whole portal, all time", lambda: stats.compute(session, stats.Scope())
            )
            await timed(
                "folded: one administration",
                lambda: stats.compute(session, stats.Scope(administration_id=some)),
            )
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
