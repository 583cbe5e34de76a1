"""Benchmark of the back-office queue and tracking lookups over a country-sized table.

Run: `make bench` (embedded PostgreSQL, or BENCH_DATABASE_URL). Creates a throw-away database,
fills it with ROWS requests over 120 administrations, then times the queue's first page, a
filtered page, a deep keyset page, a text search and the tracking-number lookup through the
real service functions, and prints the plans' index use. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.models.enums import State
from app.services import backoffice, clock
from app.services import requests as requests_service
from bench import harness
from bench.harness import scratch_database

ROWS = int(os.environ.get("BENCH_ROWS", "500000"))
ADMINISTRATIONS = 120
RUNS = 200

FILL = """
INSERT INTO administrations (code, name, sector, search_text)
SELECT 'B' || g, jsonb_build_object('ar', 'إدارة ' || g, 'fr', 'Administration ' || g, 'en', 'Administration ' || g),
       'public_service', 'administration ' || g
FROM generate_series(1, :admins) g;

INSERT INTO requests (tracking_number, kind, state, version, administration_id, subject, description,
    attributes, language, channel, person_type, full_name, email, received_at, clock_started_at,
    due_at, reopen_count, updated_at, created_at, search_text, search_vector)
SELECT upper(substr(md5(g::text), 1, 4) || '-' || substr(md5(g::text), 5, 4) || '-' || substr(md5(g::text), 9, 3)),
       (ARRAY['complaint','complaint','complaint','observation','suggestion'])[1 + g % 5],
       (ARRAY['submitted','in_progress','awaiting_citizen','answered','closed','rejected'])[1 + g % 6],
       1, a.id, 'Sujet ' || g, 'Description de la demande numéro ' || g, '{}', 'fr', 'web', 'natural',
       'Citoyen ' || g, 'c' || g || '@example.ma',
       now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day',
       now() - (g % 700) * interval '1 day' + interval '60 days', 0, now(),
       now() - (g % 700) * interval '1 day', 'sujet ' || g || ' description demande citoyen ' || g,
       to_tsvector('simple', 'sujet ' || g || ' description demande citoyen ' || g)
FROM generate_series(1, :rows) g
JOIN administrations a ON a.code = 'B' || (1 + g % :admins);
UPDATE requests SET escalation_level = 2, escalated_at = now() WHERE id % 400 = 0;
ANALYZE;
"""


def timed(label: str, call: Callable[[], Awaitable[object]]) -> Awaitable[None]:
    return harness.timed(label, call, RUNS)


async def main() -> None:
    async with scratch_database("chikaya_bench") as url:
        engine = create_async_engine(url)
        started = time.perf_counter()
        async with engine.begin() as conn:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await conn.execute(text(statement), {"rows": ROWS, "admins": ADMINISTRATIONS})
        print(
            f"filled {ROWS} requests over {ADMINISTRATIONS} administrations in "
            f"{time.perf_counter() - started:.1f} s"
        )
        maker = async_sessionmaker(engine, expire_on_commit=False)
        now = clock.now()
        async with maker() as session:
            admin_id = await session.scalar(
                text("SELECT id FROM administrations WHERE code = 'B7'")
            )
            _, cursor = await page(session, admin_id, backoffice.QueueFilter(), None, now)
            for _ in range(20):
                _, cursor = await page(session, admin_id, backoffice.QueueFilter(), cursor, now)
            number = await session.scalar(
                text("SELECT tracking_number FROM requests LIMIT 1 OFFSET 12345")
            )

            pages = [
                ("queue, first page (due date)", backoffice.QueueFilter(), None),
                (
                    "queue, state=in_progress & overdue",
                    backoffice.QueueFilter(states=[State.in_progress], overdue=True),
                    None,
                ),
                ("queue, 21st page by keyset", backoffice.QueueFilter(), cursor),
                (
                    "queue, text search 'citoyen 4242'",
                    backoffice.QueueFilter(q="citoyen 4242"),
                    None,
                ),
            ]
            # National oversight: every administration's queue, and the national admins' own.
            _, national_cursor = await page(session, None, backoffice.QueueFilter(), None, now)
            for _ in range(20):
                _, national_cursor = await page(
                    session, None, backoffice.QueueFilter(), national_cursor, now
                )
            national: list[tuple[int | None, str, backoffice.QueueFilter, str | None]] = [
                (None, "national queue, first page (due date)", backoffice.QueueFilter(), None),
                (
                    None,
                    "national queue, 21st page by keyset",
                    backoffice.QueueFilter(),
                    national_cursor,
                ),
                (
                    None,
                    "national queue, escalation_level=2",
                    backoffice.QueueFilter(escalation_level=2),
                    None,
                ),
                (admin_id, "national queue, one administration", backoffice.QueueFilter(), None),
            ]
            for label, filters, after in pages:
                await timed(label, partial(page, session, admin_id, filters, after, now))
            for scope, label, filters, after in national:
                await timed(label, partial(page, session, scope, filters, after, now))
            await timed(
                "tracking-number lookup",
                lambda: requests_service.find_by_tracking_number(session, number),
            )
            plan = await session.execute(
                text(
                    "EXPLAIN SELECT * FROM requests WHERE administration_id = :a ORDER BY due_at, id LIMIT 21"
                ),
                {"a": admin_id},
            )
            print("plan of the first page:", " / ".join(row[0].strip() for row in plan)[:300])
        await engine.dispose()


async def page(
    session: AsyncSession,
    admin_id: int | None,
    filters: backoffice.QueueFilter,
    cursor: str | None,
    now,
):  # type: ignore[no-untyped-def]
    return await backoffice.queue(
        session,
        administration_id=admin_id,
        me=None,
        filters=filters,
        sort=backoffice.Sort.due_at,
        limit=20,
        cursor=cursor,
        now=now,
    )


if __name__ == "__main__":
    asyncio.run(main())
