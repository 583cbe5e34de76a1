"""Medians of the rounds, and the tables printed (Markdown, ready for the README)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.http_load.wrk import Result


@dataclass(frozen=True)
class Summary:
    """The median of each figure over the rounds; non-2xx summed."""

    rate: float
    p50_ms: float
    p99_ms: float
    tail: float
    non2xx: int
    cpu_ms: float | None = None
    pg_ms: float | None = None

    @classmethod
    def of(cls, rounds: list[Result]) -> Summary:
        cpu = [r.cpu_ms for r in rounds if r.cpu_ms is not None]
        pg = [r.pg_ms for r in rounds if r.pg_ms is not None]
        return cls(
            rate=statistics.median(r.rate for r in rounds),
            p50_ms=statistics.median(r.p50_ms for r in rounds),
            p99_ms=statistics.median(r.p99_ms for r in rounds),
            tail=statistics.median(r.tail for r in rounds),
            non2xx=sum(r.non2xx for r in rounds),
            cpu_ms=statistics.median(cpu) if len(cpu) == len(rounds) else None,
            pg_ms=statistics.median(pg) if len(pg) == len(rounds) else None,
        )

    def cpu(self) -> str:
        return f"{self.cpu_ms:.2f} ms" if self.cpu_ms is not None else "?"

    def pg(self) -> str:
        return f"{self.pg_ms:.2f} ms" if self.pg_ms is not None else "?"

    def cell(self) -> str:
        return f"{self.rate:,.0f} req/s, p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms"


def paths_table(
    labels: dict[str, str], project: dict[str, Summary], thin: dict[str, Summary]
) -> str:
    lines = [
        "| path | thin service | Chikaya API | req/s ratio | tail p99/p50 thin → API "
        "| server CPU per request thin → API | PostgreSQL CPU per request thin → API "
        "| non-2xx thin / API |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in labels.items():
        ours, theirs = project[key], thin[key]
        lines.append(
            f"| {label} | {theirs.cell()} | {ours.cell()} | **{ours.rate / theirs.rate:.2f}×** "
            f"| {theirs.tail:.1f} → {ours.tail:.1f} ({ours.tail / theirs.tail:.1f}×) "
            f"| {theirs.cpu()} → {ours.cpu()} | {theirs.pg()} → {ours.pg()} "
            f"| {theirs.non2xx} / {ours.non2xx} |"
        )
    return "\n".join(lines)


def ratio_table(title: str, rows: list[tuple[str, Summary, Summary]]) -> str:
    """Each row: a label, its summary, and the summary its req/s is divided by."""
    lines = [f"| {title} | Chikaya API | ratio |", "|---|---|---|"]
    for label, summary, base in rows:
        lines.append(
            f"| {label} | {summary.cell()}, non-2xx {summary.non2xx} "
            f"| {summary.rate / base.rate:.2f}× |"
        )
    return "\n".join(lines)
