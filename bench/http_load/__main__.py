"""`make bench-http`: paired wrk rounds, the project against the thin service.

Both run under uvicorn (one worker) on one embedded PostgreSQL (pgserver), each in its own
database, everything fresh under .data/bench-http and stopped at the end. For each path:
BENCH_ROUNDS rounds (default 3) of `wrk -t1 -c32 -d<BENCH_SECONDS>s` (default 10), the two
services taking turns (which goes first alternates), then the medians. Then the project against
itself, paired the same way: submissions all to one service against spread over 20 services (a
hot row shows as a ratio below 1), and two workers against one (a second server beside the
first, idle while the other is measured). Prints Markdown tables; asserts nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import shutil
import sys
import time

from bench.http_load import paths, prepare, report, servers, wrk
from bench.thin import schema

DATA = servers.ROOT / ".data" / "bench-http"
PG_DATA = DATA / "postgres"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SEED = int(os.environ.get("BENCH_SEED", "1000"))  # requests filed before the rounds
TRACKED = min(200, SEED)  # requests opened by tracking, read in a loop
WARMUP = int(os.environ.get("BENCH_WARMUP_SECONDS", "2"))  # unmeasured, before each path
MAX_FRESH = 30_000  # submitted requests fetched for the `start` actions, split between rounds
# Which measurements to run (comma-separated): the six path keys, `hot` (one service against
# 20) and `workers` (two against one). Unset: all of them.
ONLY = {name.strip() for name in os.environ.get("BENCH_PATHS", "").split(",") if name.strip()}


def wanted(name: str) -> bool:
    return not ONLY or name in ONLY


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def warm_up(server: servers.Process, plan: wrk.Plan) -> None:
    """Fills the server's pools and caches first; only the looped calls, so that no `start`
    is spent."""
    if WARMUP:
        wrk.run(server.url, wrk.Plan(cycle=plan.cycle), WARMUP, DATA / "wrk")


Side = tuple[servers.Process, list[wrk.Plan]]  # a server and its plan for each round


def measured(server: servers.Process, plan: wrk.Plan) -> wrk.Result:
    """One wrk round, with the server's CPU per request over it (steadier than req/s on a
    shared machine, where wrk, PostgreSQL and the other side compete for the same cores) and
    PostgreSQL's (both services share it; only one is loaded at a time)."""
    before, pg_before = server.cpu_seconds(), servers.postgres_cpu_seconds(PG_DATA)
    result = wrk.run(server.url, plan, SECONDS, DATA / "wrk")
    after, pg_after = server.cpu_seconds(), servers.postgres_cpu_seconds(PG_DATA)
    if not result.rate:
        return result
    requests = result.rate * SECONDS
    if before is not None and after is not None:
        result = dataclasses.replace(result, cpu_ms=1000 * (after - before) / requests)
    if pg_before is not None and pg_after is not None:
        result = dataclasses.replace(result, pg_ms=1000 * (pg_after - pg_before) / requests)
    return result


def paired(label: str, first: Side, second: Side) -> tuple[report.Summary, report.Summary]:
    """ROUNDS rounds of each side, taking turns (who goes first alternates), after a warm-up."""
    results: tuple[list[wrk.Result], list[wrk.Result]] = ([], [])
    sides = [(*first, results[0]), (*second, results[1])]
    for server, plans, _ in sides:
        warm_up(server, plans[0])
    for n in range(ROUNDS):
        for server, plans, into in sides if n % 2 == 0 else reversed(sides):
            into.append(measured(server, plans[n]))
        say(f"{label} round {n + 1}: {results[0][-1].rate:.0f} and {results[1][-1].rate:.0f} req/s")
    return report.Summary.of(results[0]), report.Summary.of(results[1])


def compare(
    project: servers.Process, thin: servers.Process, prepared: prepare.Prepared
) -> tuple[dict[str, report.Summary], dict[str, report.Summary]]:
    """Every path, the project against the thin service."""
    ours: dict[str, report.Summary] = {}
    theirs: dict[str, report.Summary] = {}
    fresh: list[str] = []
    for path in paths.PATHS:
        if not wanted(path.key):
            continue
        if path.key == "action":  # the submit rounds filed plenty of submitted requests
            fresh = asyncio.run(prepare.submitted_numbers(project.url, prepared.staff, MAX_FRESH))
            say(f"{len(fresh)} submitted requests for `start`")
        share = len(fresh) // ROUNDS
        slices = [fresh[n * share : (n + 1) * share] for n in range(ROUNDS)]
        mine = [paths.project_plans(prepared, s)[path.key] for s in slices]
        yardstick = [paths.thin_plans(prepared, SEED, TRACKED, share)[path.key]] * ROUNDS
        ours[path.key], theirs[path.key] = paired(
            f"{path.key} (API, thin)", (project, mine), (thin, yardstick)
        )
    return ours, theirs


def main() -> None:
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    secret = secrets.token_urlsafe(48)
    say(f"fresh data in {DATA}; {ROUNDS} rounds of {SECONDS} s per path and service")
    with servers.embedded_postgres(PG_DATA) as server:
        project_db = servers.database_url(server, "chikaya")
        thin_db = servers.database_url(server, "thin")
        asyncio.run(servers.create_database(server, "chikaya"))
        asyncio.run(servers.create_database(server, "thin"))
        asyncio.run(schema.create(thin_db, SEED, 40))
        started: list[servers.Process] = []
        try:
            project = servers.start_project(project_db, DATA, 1, secret)
            started.append(project)
            thin = servers.start_thin(thin_db, DATA)
            started.append(thin)
            otpauth = prepare.create_staff(project_db, secret)
            say(f"filing {SEED} complaints and opening {TRACKED} by tracking")
            prepared = asyncio.run(prepare.prepare_project(project.url, SEED, TRACKED, otpauth))
            ours, theirs = compare(project, thin, prepared)
            thin.stop()
            hot = None
            if wanted("hot"):
                hot = paired(
                    f"submissions (one service, {prepare.SPREAD})",
                    (project, [paths.submissions(prepared, 1, 200_000)] * ROUNDS),
                    (project, [paths.submissions(prepared, prepare.SPREAD, 300_000)] * ROUNDS),
                )
            workers = {}
            if wanted("workers"):
                # Beside the first, idle while the other is measured.
                doubled = servers.start_project(project_db, DATA, 2, secret)
                started.append(doubled)
                plans = paths.project_plans(prepared, [])
                workers = {
                    key: paired(
                        f"{key} (one worker, two)",
                        (project, [plans[key]] * ROUNDS),
                        (doubled, [plans[key]] * ROUNDS),
                    )
                    for key in ("submit", "read")
                }
        finally:
            for process in reversed(started):
                process.stop()
    labels = {p.key: p.label for p in paths.PATHS if p.key in ours}
    print(
        f"\nOne uvicorn worker each, `wrk -t1 -c{wrk.CONNECTIONS} -d{SECONDS}s`, median of {ROUNDS} rounds.\n"
    )
    if labels:
        print(report.paths_table(labels, ours, theirs))
        print()
    if hot is not None:
        one, spread = hot
        print(
            report.ratio_table(
                "submissions (hot row)",
                [
                    ("all to one service", one, spread),
                    (f"spread over {prepare.SPREAD} services", spread, spread),
                ],
            )
        )
        print()
    if workers:
        print(
            report.ratio_table(
                "workers",
                [
                    ("submit, one worker", workers["submit"][0], workers["submit"][0]),
                    ("submit, two workers", workers["submit"][1], workers["submit"][0]),
                    ("tracked read, one worker", workers["read"][0], workers["read"][0]),
                    ("tracked read, two workers", workers["read"][1], workers["read"][0]),
                ],
            )
        )


if __name__ == "__main__":
    main()
