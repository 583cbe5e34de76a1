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
plan reads (EXPLAIN ANALYZE), timed in turns on both. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics as stats_module
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
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
    r"(?<!Bitmap )(?:Seq|Index|Index Only|Bitmap Heap) Scan (?:using \S+ )?on "
    r".*rows=(\d+) loops=(\d+)"
)


_REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")


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
        text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {stats_repository._PORTAL.text}")
    )
    read = 0
    print(f"EXPLAIN whole portal, {label}:")
    for (line,) in plan:
        print("   ", line)
        if found := _READ.search(line):
            read += int(found[1]) * int(found[2])
        elif found := _REMOVED.search(line):  # read, then left out by a filter
            read += int(found[1])
    print(f"    -> table rows read: {read}")
    return read


@dataclass
class Portal:
    label: str
    requests: int
    session: AsyncSession
    some: int  # an administration's id


async def prepare(stack: AsyncExitStack, administrations: int, months: int, n: int) -> Portal:
    """A scratch database filled with `administrations` x `months` x 4 x 4 cohorts of `n`
    requests; the questions timed before and after the fold; a session on it, left open."""
    print(f"--- {administrations} administrations x {months} months x {n}")
    url = await stack.enter_async_context(scratch_database("chikaya_bench"))
    engine = create_async_engine(url)
    stack.push_async_callback(engine.dispose)
    sizes = {"administrations": administrations, "months": months, "n": n}
    async with engine.begin() as conn:
        for statement in FILL:
            await conn.execute(text(statement), sizes)
        rows = (await conn.execute(text("SELECT count(*), sum(received) FROM request_stats"))).one()
    print(f"{rows[0]} cohort rows standing for {rows[1]:,} requests")
    sessionmaker = async_sessionmaker(engine)
    async with sessionmaker() as session:
        some = await session.scalar(text("SELECT id FROM administrations WHERE code = 'B1'"))
        await timed("unfolded: whole portal", lambda: stats.public_json(session, stats.Scope()))
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
    # The fold of the periodic work (which renders the whole portal's entries), then the same
    # questions from the rollups.
    moved = await stats.fold(sessionmaker)
    async with sessionmaker() as session:
        await session.execute(text("ANALYZE"))
        await session.commit()
    print(f"folded {moved} slots into their rollups")
    session = await stack.enter_async_context(sessionmaker())
    await timed(
        "folded: whole portal (compute: dicts, as before)",
        lambda: stats.compute(session, stats.Scope()),
    )
    await timed(
        "folded: whole portal, public answer (bytes)",
        lambda: stats.public_json(session, stats.Scope()),
    )
    await timed(
        "folded: one administration, public answer",
        lambda: stats.public_json(session, stats.Scope(administration_id=some)),
    )
    return Portal(f"{rows[1]:,} requests", int(rows[1]), session, some)


async def compare(small: Portal, big: Portal, state: str) -> None:
    """The whole portal's public answer on both, timed in turns (so that the machine's load
    weighs on both alike): wall and CPU per call, their ratios, and the rows the plans read."""
    rows = {
        portal.label: await explain(portal.session, f"{portal.label}, {state}")
        for portal in (small, big)
    }
    wall: dict[str, list[float]] = {small.label: [], big.label: []}
    cpu = dict.fromkeys(wall, 0.0)
    for portal in (small, big):  # warm up
        for _ in range(5):
            await stats.public_json(portal.session, stats.Scope())
    for _ in range(RUNS * 4):
        for portal in (small, big):
            start, started = time.perf_counter(), time.process_time()
            await stats.public_json(portal.session, stats.Scope())
            cpu[portal.label] += time.process_time() - started
            wall[portal.label].append((time.perf_counter() - start) * 1000)
    p50 = {label: stats_module.median(samples) for label, samples in wall.items()}
    cpu = {label: 1000 * total / (RUNS * 4) for label, total in cpu.items()}
    print(
        f"whole portal, public answer, {state}: {p50[big.label]:.2f} ms over {big.label} vs "
        f"{p50[small.label]:.2f} ms over {small.label}: ratio {p50[big.label] / p50[small.label]:.2f} "
        f"(CPU {cpu[big.label]:.2f} vs {cpu[small.label]:.2f} ms: ratio "
        f"{cpu[big.label] / cpu[small.label]:.2f}; table rows read {rows[big.label]} vs "
        f"{rows[small.label]})"
    )


async def main() -> None:
    async with AsyncExitStack() as stack:
        small = await prepare(stack, *SMALL)
        big = await prepare(stack, ADMINISTRATIONS, MONTHS, PER_COHORT)
        await compare(small, big, "right after a fold")
        # A few requests filed since the fold, to three administrations this month: their
        # entries and this month's are computed at read, the others taken as rendered.
        now = datetime.now(UTC)
        month = datetime(now.year, now.month, 1, tzinfo=UTC)
        for portal in (small, big):
            for administration in range(3):
                await stats_repository.bump(
                    portal.session,
                    portal.some + administration,
                    1,
                    "complaint",
                    month,
                    {"received": 1},
                )
        await compare(small, big, "3 administrations written to since the fold")
        for portal in (small, big):
            await portal.session.rollback()


if __name__ == "__main__":
    asyncio.run(main())
