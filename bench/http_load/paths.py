"""The six measured paths, as wrk plans for the project and for the thin service."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.http_load.prepare import Prepared, complaint
from bench.http_load.wrk import Call, Plan
from bench.thin.app import token as thin_token

BODIES = 500  # distinct complaints per plan, sent in a loop
OPEN311_PAGE = 50
NOTE = json.dumps({"message": "Note interne de suivi."})
SUBMIT = "/api/v1/requests"
QUEUE = "/api/v1/backoffice/requests"
STATISTICS = "/api/v1/statistics"
OPEN311 = f"/open311/v2/requests.json?page_size={OPEN311_PAGE}"


@dataclass(frozen=True)
class Path:
    key: str
    label: str


PATHS = (
    Path("submit", "`POST /api/v1/requests` (complaint, email and phone)"),
    Path("read", "`GET /api/v1/requests/{n}` with a tracking token"),
    Path("queue", "`GET /api/v1/backoffice/requests` (first page of 20)"),
    Path("action", "staff action `start` then `note`"),
    Path("statistics", "`GET /api/v1/statistics` (computed every time)"),
    Path("open311", f"`GET /open311/v2/requests.json` ({OPEN311_PAGE} a page)"),
)


def submissions(prepared: Prepared, services: int, start: int) -> Plan:
    """Complaints spread round-robin over the first `services` services."""
    chosen = prepared.services[:services]
    return Plan(
        cycle=tuple(
            Call("POST", SUBMIT, body=complaint(*chosen[n % len(chosen)], start + n))
            for n in range(BODIES)
        )
    )


def actions(numbers: list[str], fallback: list[str], authorization: str) -> Plan:
    """`start` on each fresh submitted request, each followed by a `note` on it; then notes in a
    loop (legal in every state), so that every call succeeds however fast the service is."""
    once = tuple(
        Call(
            "POST", f"{QUEUE}/{n}/actions/{action}", authorization, NOTE if action == "note" else ""
        )
        for n in numbers
        for action in ("start", "note")
    )
    cycle = tuple(
        Call("POST", f"{QUEUE}/{n}/actions/note", authorization, NOTE)
        for n in (numbers or fallback)
    )
    return Plan(once=once, cycle=cycle)


def project_plans(prepared: Prepared, fresh: list[str]) -> dict[str, Plan]:
    staff = prepared.staff
    return {
        "submit": submissions(prepared, 1, 100_000),
        "read": Plan(cycle=tuple(Call("GET", f"{SUBMIT}/{n}", t) for n, t in prepared.tracked)),
        "queue": Plan(cycle=(Call("GET", QUEUE, staff),)),
        "action": actions(fresh, [n for n, _ in prepared.tracked], staff),
        "statistics": Plan(cycle=(Call("GET", STATISTICS),)),
        "open311": Plan(cycle=(Call("GET", OPEN311),)),
    }


def _signed(number: str) -> str:
    return "Bearer " + thin_token(number)


def thin_plans(prepared: Prepared, seeded: int, tracked: int, fresh: int) -> dict[str, Plan]:
    """The same calls, on the thin service's seeded rows (`SEED-1` … `SEED-<seeded>`)."""
    staff = "Bearer " + thin_token("staff:ACAPS")
    numbers = [f"SEED-{n}" for n in range(1, seeded + 1)]
    read = numbers[:tracked]
    return {
        "submit": submissions(prepared, 1, 100_000),
        "read": Plan(cycle=tuple(Call("GET", f"{SUBMIT}/{n}", _signed(n)) for n in read)),
        "queue": Plan(cycle=(Call("GET", QUEUE, staff),)),
        "action": actions(numbers[tracked : tracked + fresh], read, staff),
        "statistics": Plan(cycle=(Call("GET", STATISTICS),)),
        "open311": Plan(cycle=(Call("GET", OPEN311),)),
    }
