"""Instructions PostgreSQL executes per filing, per index variant (`bench/filing_indexes.py`'s
variants), counted by callgrind: repeatable where CPU time on a shared machine is not.

`prepare` (the server running normally on SERVER): a database per variant, migrated, seeded,
the filing statement captured from the app, the variant's SQL applied, the statement and
arguments for `count` pickled. Then restart the same server under
`valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=DIR/cg.%p`; `count`: per
variant, one connection runs WARM + K filings and another WARM + 2K: the difference of their
backends' instruction totals over K is the cost of one filing.

    SERVER=postgresql://postgres@127.0.0.1:5499/postgres .venv/bin/python -m bench.filing_callgrind prepare
    SERVER=... .venv/bin/python -m bench.filing_callgrind count DIR

`CG_STORE` (default /tmp/filing_callgrind) is where `prepare` leaves what `count` reads,
`CG_PREFIX` (default chikaya_cg) the databases' names, and `CG_VARIANTS` (comma-separated
names) the variants prepared (all by default): two checkouts can then be compared on one
server, each preparing its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import re
import sys
from pathlib import Path

import asyncpg
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.db import async_url
from app.repositories import driver
from app.repositories import requests as requests_repository
from bench import submit_pg
from bench.filing_indexes import VARIANTS
from bench.harness import migrate, quiet_settings, seed

WARM, K = 50, int(os.environ.get("K", "200"))
STORE = Path(os.environ.get("CG_STORE", "/tmp/filing_callgrind"))
PREFIX = os.environ.get("CG_PREFIX", "chikaya_cg")
CHOSEN = os.environ.get("CG_VARIANTS")


def _dsn(server: str, name: str) -> str:
    url = make_url(server).set(drivername="postgresql", database=name)
    return url.render_as_string(hide_password=False)


def _store(index: int, stored: tuple[object, ...]) -> None:
    STORE.mkdir(exist_ok=True)
    with open(STORE / f"{index}.pickle", "wb") as out:
        pickle.dump(stored, out)


def _stored() -> list[tuple[str, str, str, dict[str, object]]]:
    stored = []
    for path in sorted(STORE.glob("*.pickle")):
        with open(path, "rb") as source:
            stored.append(pickle.load(source))
    return stored


async def prepare(server: str) -> None:
    admin = create_async_engine(async_url(server), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    for i, (variant, sql) in enumerate(VARIANTS.items()):
        if CHOSEN and variant not in CHOSEN.split(","):
            continue
        name = f"{PREFIX}{i}"
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(async_url(server)).set(database=name).render_as_string(hide_password=False)
        await asyncio.to_thread(migrate, url)
        await seed(url, quiet_settings())
        root = await asyncpg.connect(_dsn(server, "postgres"))
        captured = submit_pg.Captured()
        submit_pg._capture(captured)
        await submit_pg.measure_app(url, quiet_settings(), 20, 5, name, root)
        await root.close()
        conn = await asyncpg.connect(_dsn(server, name))
        if sql:
            await conn.execute(sql)
        await conn.close()
        assert captured.compiled is not None
        _store(i, (variant, name, captured.compiled.sql, captured.params))
    await admin.dispose()


def _instructions(directory: Path, pid: int) -> int:
    text_ = (directory / f"cg.{pid}").read_text(errors="replace")
    found = re.search(r"^(?:summary|totals):\s+(\d+)", text_, re.MULTILINE)
    assert found, pid
    return int(found[1])


async def count(server: str, directory: Path) -> None:
    for variant, name, sql, params in _stored():
        # Fresh arguments at each count (new unique keys: a taken tracking number inserts
        # nothing), for the statement compiled in this process.
        captured = submit_pg.Captured()
        [captured.compiled] = [c for c in requests_repository.INSERT_NEW.values() if c.sql == sql]
        captured.params = params
        runs = [[submit_pg.fresh(captured) for _ in range(WARM + k)] for k in (K, 2 * K)]
        pids = []
        for arguments in runs:
            conn = await asyncpg.connect(_dsn(server, name), timeout=600)
            await driver._json_codecs(conn)
            for args in arguments:
                await conn.fetchrow(sql, *args, timeout=600)
            pids.append(conn.get_server_pid())
            await conn.close()
        await asyncio.sleep(5)  # the backends write their profiles as they exit
        once, twice = (_instructions(directory, pid) for pid in pids)
        print(f"{variant:<30} {(twice - once) / K:,.0f} instructions per filing", flush=True)


if __name__ == "__main__":
    logging.disable(logging.INFO)
    server = os.environ["SERVER"]
    if sys.argv[1] == "prepare":
        asyncio.run(prepare(server))
    else:
        asyncio.run(count(server, Path(sys.argv[2])))
