"""Benchmark of the back-office queue and tracking lookups over a country-sized table.

Run: `make bench` (embedded PostgreSQL, or BENCH_DATABASE_URL). Creates a throw-away database,
fills it with ROWS requests over 120 administrations, then times the queue's first page, a
filtered page, a deep keyset page, a text search and the tracking-number lookup through the
real service functions, and prints the plans' index use. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.__main__ import migrate
from app.db import async_url, start_embedded_postgres
from app.models.enums import State
from app.services import backoffice, clock
from app.services import requests as requests_service

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
    due_at, reopen_count, updated_at, created_at, search_text)
SELECT upper(substr(md5(g::text), 1, 4) || '-' || substr(md5(g::text), 5, 4) || '-' || substr(md5(g::text), 9, 3)),
       (ARRAY['complaint','complaint','complaint','observation','suggestion'])[1 + g % 5],
       (ARRAY['submitted','in_progress','awaiting_citizen','answered','closed','rejected'])[1 + g % 6],
       1, a.id, 'Sujet ' || g, 'Description de la demande numéro ' || g, '{}', 'fr', 'web', 'natural',
       'Citoyen ' || g, 'c' || g || '@example.ma',
       now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day',
       now() - (g % 700) * interval '1 day' + interval '60 days', 0, now(),
       now() - (g % 700) * interval '1 day', 'sujet ' || g || ' description demande citoyen ' || g
FROM generate_series(1, :rows) g
JOIN administrations a ON a.code = 'B' || (1 + g % :admins);
UPDATE requests SET escalation_level = 2, escalated_at = now() WHERE id % 400 = 0;
ANALYZE;
"""


async def timed(label: str, call: Callable[[], Awaitable[object]]) -> None:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50, p95 = statistics.median(samples), samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   ({RUNS} runs)")


async def main() -> None:
    server = os.environ.get("BENCH_DATABASE_URL") or start_embedded_postgres(
        Path(".data/bench-postgres")
    )
    server = async_url(server)
    name = f"chikaya_bench_{secrets.token_hex(3)}"
    admin_engine = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin_engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(migrate, url)
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

            await timed(
                "queue, first page (due date)",
                lambda: page(session, admin_id, backoffice.QueueFilter(), None, now),
            )
            await timed(
                "queue, state=in_progress & overdue",
                lambda: page(
                    session,
                    admin_id,
                    backoffice.QueueFilter(states=[State.in_progress], overdue=True),
                    None,
                    now,
                ),
            )
            await timed(
                "queue, 21st page by keyset",
                lambda: page(session, admin_id, backoffice.QueueFilter(), cursor, now),
            )
            await timed(
                "queue, text search 'citoyen 4242'",
                lambda: page(
                    session, admin_id, backoffice.QueueFilter(q="citoyen 4242"), None, now
                ),
            )
            # National oversight: every administration's queue, and the national admins' own.
            _, national_cursor = await page(session, None, backoffice.QueueFilter(), None, now)
            for _ in range(20):
                _, national_cursor = await page(
                    session, None, backoffice.QueueFilter(), national_cursor, now
                )
            await timed(
                "national queue, first page (due date)",
                lambda: page(session, None, backoffice.QueueFilter(), None, now),
            )
            await timed(
                "national queue, 21st page by keyset",
                lambda: page(session, None, backoffice.QueueFilter(), national_cursor, now),
            )
            await timed(
                "national queue, escalation_level=2",
                lambda: page(session, None, backoffice.QueueFilter(escalation_level=2), None, now),
            )
            await timed(
                "national queue, one administration",
                lambda: page(session, admin_id, backoffice.QueueFilter(), None, now),
            )
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
    finally:
        async with admin_engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin_engine.dispose()


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
