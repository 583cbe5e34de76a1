"""Benchmark of the public statistics over a country's worth of counters, against a small one.

Run: `make bench`. Statistics never scan requests: they sum the per-cohort counters, whose
size grows with administrations × services × kinds × months, not with requests. This fills
120 administrations × 4 services × 4 kinds × 120 months (230,400 cohort rows, standing for
tens of millions of requests) and times the global, per-administration and per-period
questions through the real service functions, then folds the slots into their rollups (the
periodic work, which also renders the whole portal's entries) and times them again: the whole
portal's public answer (the JSON bytes `GET /api/v1/statistics` sends, uncached) as it is
right after a fold and with a few requests filed since. `BENCH_ADMINISTRATIONS` (120),
`BENCH_MONTHS` (120) and `BENCH_PER_COHORT` (100 requests a cohort row) size it. The same
measures are taken first over a small portal (5 administrations × 6 months × 20: 9,600
requests), and the ratio big/small of the whole portal's answer is printed with the rows each
plan reads (EXPLAIN ANALYZE). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics as stats_module
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.models.enums import Kind
from app.repositories import stats as stats_repository
from app.services import stats
from bench.harness import scratch_database

RUNS = 50
ADMINISTRATIONS = int(os.environ.get("BENCH_ADMINISTRATIONS", "120"))
MONTHS = int(os.environ.get("BENCH_MONTHS", "120"))
PER_COHORT = int(os.environ.get("BENCH_PER_COHORT", "100"))
SMALL = (5, 6, 20)
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
# The nodes of a plan that read a table's rows: "Seq Scan on t (actual rows=120 loops=1)".
_READ = re.compile(
    r"(?:Seq|Index|Index Only|Bitmap Heap) Scan (?:using \S+ )?on .*rows=(\d+) loops=(\d+)"
)


async def timed(label: str, call: Callable[[], Awaitable[object]]) -> float:
    """Run `call` RUNS times; print its median and 95th percentile in ms; return the median."""
    for _ in range(5):  # warm up: prepared statements, caches
        await call()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50, p95 = stats_module.median(samples), samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<48} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   ({RUNS} runs)")
    return p50


async def explain(session: AsyncSession, label: str) -> int:
    """Print the plan of the whole portal's statement; return the table rows it reads."""
    plan = await session.execute(
        text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {stats_repository._PORTAL.element.text}")
    )
    read = 0
    print(f"EXPLAIN whole portal, {label}:")
    for (line,) in plan:
        print("   ", line)
        if found := _READ.search(line):
            read += int(found[1]) * int(found[2])
    print(f"    -> table rows read: {read}")
    return read


@dataclass
class Measure:
    requests: int
    answer_ms: float
    answer_rows: int
    live_ms: float
    live_rows: int


async def measure(administrations: int, months: int, per_cohort: int) -> Measure:
    print(f"--- {administrations} administrations x {months} months x {per_cohort}")
    async with scratch_database("chikaya_bench") as url:
        engine = create_async_engine(url)
        sizes = {"administrations": administrations, "months": months, "n": per_cohort}
        async with engine.begin() as conn:
            for statement in FILL:
                await conn.execute(text(statement), sizes)
            rows = (
                await conn.execute(text("SELECT count(*), sum(received) FROM request_stats"))
            ).one()
        print(f"{rows[0]} cohort rows standing for {rows[1]:,} requests")
        sessionmaker = async_sessionmaker(engine)
        async with sessionmaker() as session:
            some = await session.scalar(text("SELECT id FROM administrations WHERE code = 'B1'"))
            await timed(
                "unfolded: whole portal (compute)", lambda: stats.compute(session, stats.Scope())
            )
            await timed(
                "unfolded: one administration",
                lambda: stats.compute(session, stats.Scope(administration_id=some)),
            )
            await timed(
                "unfolded: one kind, one year",
                lambda: stats.compute(
                    session,
                    stats.Scope(
                        kind=Kind.complaint, from_month=date(2025, 1, 1), to_month=date(2025, 12, 1)
                    ),
                ),
            )
            await session.rollback()
        # The fold of the periodic work (which renders the whole portal's entries), then the
        # same questions from the rollups.
        moved = await stats.fold(sessionmaker)
        async with sessionmaker() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()
        print(f"folded {moved} slots into their rollups")
        async with sessionmaker() as session:
            answer_rows = await explain(session, "folded")
            await timed(
                "folded: whole portal (compute, dicts)",
                lambda: stats.compute(session, stats.Scope()),
            )
            answer_ms = await timed(
                "folded: whole portal, public answer (bytes)",
                lambda: stats.public_json(session, stats.Scope()),
            )
            await timed(
                "folded: one administration, public answer",
                lambda: stats.public_json(session, stats.Scope(administration_id=some)),
            )
            # A few requests filed since the fold, to three administrations this month: their
            # entries and this month's are computed at read, the others taken as rendered.
            now = datetime.now(UTC)
            month = datetime(now.year, now.month, 1, tzinfo=UTC)
            for administration in range(3):
                await stats_repository.bump(
                    session, some + administration, 1, "complaint", month, {"received": 1}
                )
            live_rows = await explain(session, "3 administrations written to since the fold")
            live_ms = await timed(
                "written to since: whole portal, public answer",
                lambda: stats.public_json(session, stats.Scope()),
            )
            await session.rollback()
        await engine.dispose()
    return Measure(int(rows[1]), answer_ms, answer_rows, live_ms, live_rows)


async def main() -> None:
    small = await measure(*SMALL)
    big = await measure(ADMINISTRATIONS, MONTHS, PER_COHORT)
    print(
        f"whole portal, public answer, folded: {big.answer_ms:.2f} ms over {big.requests:,} "
        f"requests vs {small.answer_ms:.2f} ms over {small.requests:,}: ratio "
        f"{big.answer_ms / small.answer_ms:.2f} (table rows read {big.answer_rows} vs "
        f"{small.answer_rows})"
    )
    print(
        f"whole portal, public answer, 3 written to since the fold: {big.live_ms:.2f} ms vs "
        f"{small.live_ms:.2f} ms: ratio {big.live_ms / small.live_ms:.2f} (table rows read "
        f"{big.live_rows} vs {small.live_rows})"
    )


if __name__ == "__main__":
    asyncio.run(main())
