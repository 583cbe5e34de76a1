"""What writing out the filings' fan-outs costs the dispatcher, per filing: the work a filing no
longer does in its own statement (`repositories.dispatcher.write_out`), measured in process.

    TEST_DATABASE_URL=postgresql://… python -m bench.write_out [--filings N] [--batch B]

Makes a scratch database (migrated, the sample catalogue and a supervisor of ACAPS loaded, as
`make bench-http` has them), files N complaints (email and phone: three messages each) through
the app in process, then writes their fan-outs out in batches of B (`OUTBOX_BATCH_SIZE`, 50),
as the dispatcher's passes do, one transaction each. Prints the wall and this process's CPU milliseconds per filing, and
PostgreSQL's (its backends' CPU, read from `/proc` on the same machine: Linux, a local
server). Asserts only that every fan-out was written out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time

import httpx
from sqlalchemy import text

from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.repositories import dispatcher
from app.services import clock
from bench.harness import file_complaint, quiet_settings, scratch_database, seed


def _backends_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of these server processes, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


async def main(filings: int, batch: int) -> None:
    logging.disable(logging.INFO)
    settings = quiet_settings()
    async with scratch_database("chikaya_write_out", os.environ["TEST_DATABASE_URL"]) as url:
        await seed(url, settings)
        custom = settings.model_copy(update={"database_url": url})
        app = create_app(settings=custom)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        ):
            for n in range(filings):
                await file_complaint(client, n)
        engine = create_engine(url, custom)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            assert pid is not None
            wall, cpu, server = time.perf_counter(), time.process_time(), _backends_cpu([pid])
            later = clock.now()
            for _ in range(-(-filings // batch)):
                await dispatcher.write_out(session, later, batch)
                await session.commit()
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            server = _backends_cpu([pid]) - server
            left = await session.scalar(
                text("SELECT count(*) FROM outbox WHERE channel = 'fanout' AND status = 'pending'")
            )
            messages = await session.scalar(
                text("SELECT count(*) FROM outbox WHERE channel <> 'fanout'")
            )
        await engine.dispose()
    assert left == 0, left
    print(
        f"{filings} filings ({messages} messages) written out in batches of {batch}: "
        f"{wall / filings * 1e3:.3f} ms wall, {cpu / filings * 1e3:.3f} ms of this process's "
        f"CPU and {server / filings * 1e3:.3f} ms of PostgreSQL's per filing"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=quiet_settings().outbox_batch_size)
    args = parser.parse_args()
    asyncio.run(main(args.filings, args.batch))
