"""CPU and SQL round trips per call of the read paths, in process (no HTTP server, no wrk).

Run: `BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.profile_reads [--profile PATH]`
(embedded PostgreSQL when unset). Files a few hundred complaints to ACAPS `insurance` through
the API (httpx ASGITransport, the app on a real engine), then calls each read path
sequentially and prints, per path, the CPU milliseconds per call (process time, so waiting
on PostgreSQL does not count) and the SQL statements per call (a SQLAlchemy event listener).
With `--profile PATH`, pyinstrument profiles that path's calls and prints the tree.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import httpx
from sqlalchemy import event, select, text

from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.models.catalogue import Administration
from app.models.enums import Role
from app.services.catalogue import load_sample
from bench.harness import file_complaint, quiet_settings, scratch_database
from tests.factories import make_staff

try:
    from pyinstrument import Profiler
except ImportError:  # only for --profile
    Profiler = None  # type: ignore[assignment,misc]

SEED = 300
CALLS = int(os.environ.get("PROFILE_CALLS", "300"))


async def _explain(maker: Any, number: str) -> None:
    """EXPLAIN ANALYZE of the tracked detail and queue statements, on the data just filed."""
    from app.repositories import requests as repository

    async with maker() as session:
        connection = await session.connection()
        request_id = await session.scalar(
            text("SELECT id FROM requests WHERE tracking_number = :n"), {"n": number}
        )
        admin_id = await session.scalar(
            text("SELECT administration_id FROM requests WHERE id = :i"), {"i": request_id}
        )
        for label, stmt, params in (
            (
                "detail",
                repository._DETAIL_BY_NUMBER[Role.citizen],
                {"number": number, "request_id": request_id, "administration_id": None},
            ),
            (
                "queue",
                repository._QUEUE["due_at"].limit(21),
                {"administration_id": admin_id},
            ),
        ):
            sql = stmt.params(**params).compile(
                connection.sync_connection, compile_kwargs={"literal_binds": True}
            )
            plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
            print(f"EXPLAIN {label}:")
            for (line,) in plan:
                print("   ", line)


async def _run(url: str, profile: str | None, explain: bool = False) -> None:
    settings = quiet_settings()
    engine = create_engine(url, settings)
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await load_sample(session)
        admin = await session.scalar(select(Administration).where(Administration.code == "ACAPS"))
        _user, staff = await make_staff(session, settings, Role.supervisor, admin)
        await session.commit()
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    app = create_app(settings=settings, sessionmaker=maker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        tracked: list[tuple[str, dict[str, str]]] = []
        for n in range(SEED):
            body = await file_complaint(client, n)
            tracked.append(
                (body["tracking_number"], {"Authorization": f"Bearer {body['access_token']}"})
            )
        if explain:
            await _explain(maker, tracked[0][0])
        paths: dict[str, list[tuple[str, dict[str, str]]]] = {
            "read": [(f"/api/v1/requests/{n}", h) for n, h in tracked],
            "queue": [("/api/v1/backoffice/requests", staff)],
            "statistics": [("/api/v1/statistics", {})],
            "open311": [("/open311/v2/requests.json?page_size=50", {})],
        }
        only = os.environ.get("PROFILE_PATHS")
        for name, calls in paths.items():
            if only and name not in only.split(","):
                continue
            for path, headers in calls[:20]:  # warm up
                (await client.get(path, headers=headers)).raise_for_status()
            statements = 0
            profiler = None
            if profile == name:
                profiler = Profiler(async_mode="enabled")
                profiler.start()
            elif profile == f"cprofile-{name}":
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            cpu = time.process_time()
            for n in range(CALLS):
                path, headers = calls[n % len(calls)]
                answer = await client.get(path, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
            cpu = time.process_time() - cpu
            if Profiler is not None and isinstance(profiler, Profiler):
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            elif profiler is not None:
                import pstats

                profiler.disable()
                stats = pstats.Stats(profiler).sort_stats(os.environ.get("PSORT", "tottime"))
                stats.print_stats(40)
                stats.print_callers("find_spec|load_der_public_key|_handle_fromlist|_find_and_load")
            print(
                f"{name:<12} {1000 * cpu / CALLS:6.2f} ms CPU per call, "
                f"{statements / CALLS:5.2f} SQL statements per call"
            )
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    names = ["read", "queue", "statistics", "open311"]
    parser.add_argument("--profile", choices=[*names, *(f"cprofile-{n}" for n in names)])
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    async with scratch_database("chikaya_profile") as url:
        await _run(url, args.profile, args.explain)


if __name__ == "__main__":
    asyncio.run(main())
