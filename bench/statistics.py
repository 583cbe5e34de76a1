"""Benchmark of the public statistics over a country's worth of counters.

Run: `make bench`. Statistics never scan requests: they sum the per-cohort counters, whose
size grows with administrations × services × kinds × months, not with requests. This fills
120 administrations × 4 services × 4 kinds × 120 months (230,400 cohort rows, standing for
tens of millions of requests) and times the global, per-administration and per-period
queries through the real service function. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
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
FILL = [
    """INSERT INTO administrations (code, name, sector, search_text)
       SELECT 'B' || g, jsonb_build_object('ar', 'إدارة ' || g, 'fr', 'Administration ' || g, 'en', 'Administration ' || g),
              'public_service', 'administration ' || g FROM generate_series(1, 120) g""",
    """INSERT INTO request_stats (administration_id, service_id, kind, month, received, processed,
              processing_seconds, reopened, rated, rating_sum, satisfied)
       SELECT a.id, s, k, date_trunc('month', now()) - (m || ' months')::interval,
              100, 80, 80 * 86400 * 30, 5, 40, 150, 28
       FROM administrations a, generate_series(1, 4) s,
            unnest(ARRAY['complaint', 'observation', 'suggestion', 'information_request']) k,
            generate_series(0, 119) m""",
    "ANALYZE",
]


def timed(label: str, call: Callable[[], Awaitable[object]]) -> Awaitable[None]:
    return harness.timed(label, call, RUNS)


async def main() -> None:
    async with scratch_database("chikaya_bench") as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for statement in FILL:
                await conn.execute(text(statement))
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
