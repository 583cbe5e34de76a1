"""Running wrk over prepared requests and reading its result line."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("rotate.lua")
CONNECTIONS = 32


@dataclass(frozen=True)
class Call:
    """One prepared HTTP request."""

    method: str
    path: str
    authorization: str = ""
    body: str = ""

    def line(self) -> str:
        return "\t".join((self.method, self.path, self.authorization, self.body))


@dataclass(frozen=True)
class Plan:
    """Calls played once from the start, then calls played in a loop."""

    once: tuple[Call, ...] = ()
    cycle: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Result:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    non2xx: int  # answers outside 2xx plus socket errors
    cpu_ms: float | None = None  # the server's CPU per request (its process tree), if known
    pg_ms: float | None = None  # PostgreSQL's CPU per request (all its processes), if known

    @property
    def tail(self) -> float:
        return self.p99_ms / self.p50_ms if self.p50_ms else 0.0


def _write(calls: tuple[Call, ...], path: Path) -> str:
    path.write_text("".join(call.line() + "\n" for call in calls))
    return str(path) if calls else ""


def run(base_url: str, plan: Plan, seconds: int, work_dir: Path) -> Result:
    """`wrk -t1 -c32 -d<seconds>s` over the plan; bounded by a timeout."""
    work_dir.mkdir(parents=True, exist_ok=True)
    once = _write(plan.once, work_dir / "once.tsv")
    cycle = _write(plan.cycle, work_dir / "cycle.tsv")
    command = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(SCRIPT),
        base_url,
        "--",
        once,
        cycle,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_RESULT "))
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    return Result(
        rate=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non2xx=raw["non2xx"] + raw["socket_errors"],
    )
