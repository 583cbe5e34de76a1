"""Instructions the serving process spends per submission, counted by callgrind: repeatable
where CPU time on a shared machine is not (the same count whatever else the machine does).

    TEST_DATABASE_URL=postgresql://… python -m bench.submit_callgrind [--thin] [--calls N]

Makes a scratch database (migrated, the sample catalogue and a supervisor of ACAPS loaded, as
`make bench-http` has them; `--thin`: the thin service's table), then runs this module again
under `valgrind --tool=callgrind --instr-atstart=no`: the app is built and started as `serve`
starts it (its lifespan opens the driver's pool), takes WARM submissions, then N more with
callgrind counting, 32 in flight, each an ASGI call straight into the app (no uvicorn, no
client: the same for both sides). Prints the instructions per submission. PostgreSQL's work is
not counted (`bench.filing_callgrind` counts it). Needs valgrind; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bench.harness import quiet_settings, scratch_database, seed
from bench.http_load.prepare import candidate_services, complaint
from bench.thin import schema

WARM = 100
IN_FLIGHT = 32
PATH = b"/api/v1/requests"


async def _submit(app: Any, body: bytes) -> None:
    """One submission, an ASGI call as uvicorn makes it; fails unless answered 201."""
    sent: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH.decode(),
        "raw_path": PATH,
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 201, sent


def _instrument(on: bool) -> None:
    switch = "on" if on else "off"
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], capture_output=True)


async def _inner(url: str, thin: bool, calls: int) -> None:
    """Under callgrind: WARM submissions uncounted, then `calls` counted."""
    logging.disable(logging.INFO)  # no access lines
    if thin:
        os.environ["THIN_DATABASE_URL"] = url
        from bench.thin.app import app
    else:
        from app.main import create_app

        app = create_app(settings=quiet_settings().model_copy(update={"database_url": url}))
    service = candidate_services()[0]
    bodies = [complaint(*service, n).encode() for n in range(WARM + calls)]
    turns = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int) -> None:
        async with turns:
            await _submit(app, bodies[n])

    async with app.router.lifespan_context(app):
        await asyncio.gather(*(one(n) for n in range(WARM)))
        _instrument(True)
        await asyncio.gather(*(one(n) for n in range(WARM, WARM + calls)))
        _instrument(False)


async def _database(thin: bool, calls: int) -> None:
    """A scratch database for the run (the thin service's: its own table only), which exists
    while the run under callgrind happens."""
    server = os.environ.get("TEST_DATABASE_URL")
    async with scratch_database("chikaya_cg", server, migrated=not thin) as url:
        if thin:
            url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            await schema.create(url, 1000, 40)
        else:
            await seed(url, quiet_settings())
        await asyncio.to_thread(_count, url, thin, calls)


def _count(url: str, thin: bool, calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "callgrind.log"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={folder}/callgrind.out",
            f"--log-file={log}",
            sys.executable,
            "-m",
            "bench.submit_callgrind",
            "--inner",
            url,
            "--calls",
            str(calls),
            *(["--thin"] if thin else []),
        ]
        subprocess.run(command, check=True)
        found = re.search(r"Collected : (\d+)", log.read_text())
        assert found, log.read_text()[-2000:]
    side = "thin service" if thin else "Chikaya API"
    print(f"{side}: {int(found[1]) / calls:,.0f} instructions per submission")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--thin", action="store_true", help="count the thin service instead")
    parser.add_argument("--calls", type=int, default=400, help="submissions counted")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import uvloop

    if args.inner:
        uvloop.run(_inner(args.inner, args.thin, args.calls))
    else:
        asyncio.run(_database(args.thin, args.calls))
