"""CPU per call and SQL round trips of the write paths, in process (no HTTP server, no wrk).

    TEST_DATABASE_URL=postgresql://… python -m bench.profile_write [--profile submit|action]

Creates a throwaway database, migrates it, loads the sample catalogue and a supervisor of
ACAPS, then runs sequential submissions and staff actions (`start` then `note`) through the
app with httpx's ASGI transport on the app's own engine (`app.db.create_engine`: the pool
settings of production). Prints CPU milliseconds per call (process time: this process only,
PostgreSQL excluded) and every statement sent to the database by one call of each (savepoints,
pre-pings and the commit included). `--profile` prints a pyinstrument profile of that path.
Asserts nothing; numbers only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import event

from app.db import create_engine, create_sessionmaker
from app.main import create_app
from bench.harness import file_complaint, quiet_settings, scratch_database, seed

WARM = 30
CALLS = 200


class Statements:
    """Every statement the engine sends, while recording."""

    def __init__(self) -> None:
        self.recording = False
        self.seen: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.recording:
            self.seen.append(" ".join(statement.split())[:110])


async def _measure(
    label: str, call: Callable[[int], Awaitable[None]], statements: Statements, start: int
) -> None:
    for n in range(WARM):
        await call(start + n)
    statements.seen.clear()
    statements.recording = True
    await call(start + WARM)
    statements.recording = False
    one = list(statements.seen)
    began_cpu, began = time.process_time(), time.perf_counter()
    for n in range(CALLS):
        await call(start + WARM + 1 + n)
    cpu = (time.process_time() - began_cpu) / CALLS * 1000
    wall = (time.perf_counter() - began) / CALLS * 1000
    print(f"\n## {label}: {cpu:.2f} ms CPU, {wall:.2f} ms wall per call; {len(one)} statements")
    for statement in one:
        print("  -", statement)


async def main(profile: str | None) -> None:
    logging.disable(logging.INFO)  # access lines would drown the numbers
    async with scratch_database("chikaya_profile", os.environ["TEST_DATABASE_URL"]) as url:
        settings = quiet_settings()
        staff = await seed(url, settings)
        engine = create_engine(url, settings)
        statements = Statements()
        event.listen(engine.sync_engine, "before_cursor_execute", statements)
        # Round trips that are no cursor statement: the checkout's ping, BEGIN, COMMIT.
        ping = " + pre-ping" if engine.pool._pre_ping else ""  # type: ignore[attr-defined]
        for name, label in (
            ("begin", "BEGIN"),
            ("commit", "COMMIT"),
            ("rollback", "ROLLBACK"),
        ):
            event.listen(
                engine.sync_engine,
                name,
                lambda *args, _label=label: statements(None, None, _label),
            )
        event.listen(
            engine.sync_engine.pool,
            "checkout",
            lambda *args: statements(None, None, "(pool checkout" + ping + ")"),
        )
        app = create_app(settings=settings, sessionmaker=create_sessionmaker(engine))
        numbers: list[str] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def submit(n: int) -> None:
                numbers.append((await file_complaint(client, n))["tracking_number"])

            async def action(n: int) -> None:
                number = numbers[n]
                base = f"/api/v1/backoffice/requests/{number}/actions"
                auth_header = {"Authorization": staff, "Content-Type": "application/json"}
                answer = await client.post(f"{base}/start", content="{}", headers=auth_header)
                assert answer.status_code == 200, answer.text
                note = json.dumps({"message": "Note interne de suivi."})
                answer = await client.post(f"{base}/note", content=note, headers=auth_header)
                assert answer.status_code == 200, answer.text

            if profile is not None:
                from pyinstrument import Profiler

                for n in range(WARM + CALLS + 1):
                    await submit(n)
                chosen = submit if profile == "submit" else action
                profiler = Profiler(async_mode="enabled")
                with profiler:
                    for n in range(CALLS):
                        await chosen(1000 + n if profile == "submit" else n)
                print(profiler.output_text(unicode=False, color=False, show_all=False))
            else:
                await _measure("submit", submit, statements, 0)
                numbers_before = len(numbers)
                assert numbers_before >= WARM + CALLS + 1
                await _measure("action start + note (two calls)", action, statements, 0)
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=("submit", "action"))
    asyncio.run(main(parser.parse_args().profile))
