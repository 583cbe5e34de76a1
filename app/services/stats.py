"""Public statistics, from counters kept in the transaction of each event (never a scan).

Each cohort's counters live in a few slot rows (see `app.repositories.stats`: writers never
wait on one another). The periodic work folds them (`fold`) into one row per cohort and into
rollups per administration and month, per month and per administration; every read sums the
rollups it needs plus the slots written since, in one statement, so the figures are exact at
every instant and the whole portal's cost grows with administrations and months, never with
requests.

Every counter belongs to the cohort of the request: (administration, service, kind, month of
receipt). So "processed %" of March is the share of March's requests processed so far, and
filters by period select cohorts. Definitions (also in the OpenAPI description):

* received — requests filed;
* processed — requests that got a first answer, acknowledgement, or rejection (a withdrawal
  is not processed); a reopened request answered again still counts once;
* average processing days — mean time from receipt to that first answer;
* reopened — reopenings (one request can count several times);
* escalated — deadlines missed: requests escalated to their administration's supervisors
  when their due date passed unanswered (counted when it happens, for the administration that
  missed it; a request that misses a new deadline after a reopening counts again);
* satisfaction % — share of ratings of 4 or 5 among rated answers (scores 1 to 5);
* dimensions — the survey's average per dimension (speed, clarity, courtesy, outcome; 1 to 5)
  over the ratings that answered it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionMaker
from app.models.enums import Action
from app.models.request import Request, RequestEvent
from app.repositories import stats as repository
from app.repositories.driver import Direct
from app.repositories.stats import (
    COUNTERS,
    DIMENSIONS,
    Scope,
    escalated_counts,
    overdue_counts,
    service_id,
)
from app.schemas.statistics import Indicators, MonthIndicators, RankedAdministration, StatisticsOut

__all__ = [
    "COUNTERS",
    "DIMENSIONS",
    "Scope",
    "compute",
    "escalated_counts",
    "fold",
    "indicators",
    "on_event",
    "on_submitted",
    "overdue_counts",
    "public_json",
    "render",
    "service_id",
]

# Slots moved per transaction of a fold: a short transaction even after a long pause.
FOLD_BATCH = 5000

PROCESSING = {Action.answer, Action.acknowledge, Action.reject, Action.decide_appeal}


def cohort_month(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


async def _bump(
    session: AsyncSession,
    administration_id: int,
    service_id: int | None,
    kind: str,
    month: datetime,
    /,
    **deltas: int,
) -> None:
    await repository.bump(session, administration_id, service_id, kind, month, deltas)


async def on_submitted(session: AsyncSession, request: Request) -> None:
    await _bump(
        session,
        request.administration_id,
        request.service_id,
        request.kind,
        cohort_month(request.created_at),
        received=1,
    )


async def on_event(session: AsyncSession, request: Request, event: RequestEvent) -> None:
    action = Action(event.action)
    month = cohort_month(request.created_at)
    key = (request.administration_id, request.service_id, request.kind, month)
    if action in PROCESSING and request.first_answered_at == event.created_at:
        # The first time the administration handles it (the effect has just set it).
        seconds = int((event.created_at - request.received_at).total_seconds())
        await _bump(session, *key, processed=1, processing_seconds=max(seconds, 0))
    elif action is Action.reopen:
        await _bump(session, *key, reopened=1)
    elif action is Action.escalate and event.data.get("escalation_level") == 1:
        await _bump(session, *key, escalated=1)
    elif action is Action.rate and request.rating_score is not None:
        score = request.rating_score
        survey: dict[str, int] = {}
        for dimension, value in (request.rating_dimensions or {}).items():
            if dimension in DIMENSIONS:
                survey[f"{dimension}_sum"] = value
                survey[f"{dimension}_count"] = 1
        await _bump(session, *key, rated=1, rating_sum=score, satisfied=int(score >= 4), **survey)
    elif action is Action.transfer:
        # The request now counts for the administration it was sent to.
        await _bump(
            session,
            event.data["from_administration_id"],
            event.data.get("from_service_id"),
            request.kind,
            month,
            received=-1,
        )
        await _bump(session, *key, received=1)


async def render(session: AsyncSession) -> None:
    """Render the entries of the whole portal's answer that the last fold changed (or that were
    never rendered), in the session's transaction: per administration its indicators and the
    processed share the ranking sorts by, per month its monthly entry, exactly as the answer
    writes them (pydantic's JSON)."""
    administrations, months = await repository.unrendered(session)
    ranked = []
    for row in administrations:
        entry = _ranked(row)
        rendered = _RANKED.dump_json(RankedAdministration.model_validate(entry)).decode()
        ranked.append((row.administration_id, rendered, entry["processed_pct"]))
    dated = [
        (row.month, _MONTH.dump_json(MonthIndicators.model_validate(_month(row))).decode())
        for row in months
    ]
    await repository.store_rendered(session, ranked, dated)


async def fold(sessionmaker: SessionMaker, batch: int = FOLD_BATCH) -> int:
    """Fold every slot no writer holds into its cohort's folded row and the rollups, `batch`
    slots per transaction (each one exact on its own: a read sees all of it or none). Slots a
    writer holds are skipped, never waited for; they fold on the next pass. Returns how many
    slots it moved."""
    total = 0
    while True:
        async with sessionmaker() as session:
            moved = await repository.fold(session, batch)
            await render(session)  # with the counters it renders: a read sees both or neither
            await session.commit()
        total += moved
        if moved < batch:
            return total


def indicators(row: Any) -> dict[str, Any]:
    received, processed, rated = int(row.received), int(row.processed), int(row.rated)
    return {
        "received": received,
        "processed": processed,
        "reopened": int(row.reopened),
        "escalated": int(row.escalated),
        "average_processing_days": round(int(row.processing_seconds) / processed / 86400, 1)
        if processed
        else None,
        "processed_pct": round(100 * processed / received, 1) if received else None,
        "satisfaction_pct": round(100 * int(row.satisfied) / rated, 1) if rated else None,
        "average_score": round(int(row.rating_sum) / rated, 2) if rated else None,
        "rated": rated,
        "dimensions": {
            dimension: round(int(getattr(row, f"{dimension}_sum")) / count, 2)
            if (count := int(getattr(row, f"{dimension}_count")))
            else None
            for dimension in DIMENSIONS
        },
    }


def _ranked(row: Any) -> dict[str, Any]:
    return {"administration": row.code, "name": row.name, **indicators(row)}


def _month(row: Any) -> dict[str, Any]:
    return {"month": row.month.strftime("%Y-%m"), **indicators(row)}


def _ranking_key(entry: dict[str, Any]) -> tuple[float, int, str]:
    """The most responsive first: processed share, then volume."""
    return (-(entry["processed_pct"] or 0), -entry["received"], entry["administration"])


async def public_json(session: AsyncSession, scope: Scope, direct: Direct | None = None) -> bytes:
    """The public answer (`StatisticsOut`) as JSON bytes, as pydantic writes it. The whole
    portal's comes from the entries the fold rendered and joined (`render`), taken as they
    are, but for the few entries written to since the last fold, computed here and put in
    their place: the work grows with the entries written to since the last fold, not with
    administrations, months or requests."""
    if scope != _WHOLE_PORTAL:
        return _STATISTICS.dump_json(StatisticsOut.model_validate(await compute(session, scope)))
    # The whole portal's one statement on the driver (the serving process's reads pool), or
    # on the session's own bind.
    if direct is None:
        assert session.bind is not None
        direct = Direct(session.bind)
    rows = await repository.portal(direct)
    first = rows[0]
    total = _INDICATORS.dump_json(Indicators.model_validate(indicators(first)))
    ranking: bytes = first.ranking or b""
    monthly: bytes = first.monthly or b""
    live_ranked = [
        {"administration_id": row.administration_id, **_ranked(row)}
        for row in rows
        if row.grouping == repository.ADMINISTRATION
    ]
    live_months = [row for row in rows if row.grouping == repository.MONTH]
    if live_ranked:  # their rendered entries out, their entries now in, in the ranking's order
        ids: list[int] = first.ranking_ids or []  # (none before the first fold)
        pct, received, codes = first.ranking_pct, first.ranking_received, first.ranking_codes

        def key_at(index: int) -> tuple[float, int, str]:
            return (-pct[index], -received[index], codes[index])

        stale, placed = set(), []
        for live in live_ranked:
            if (found := _index(ids, live.pop("administration_id"))) is not None:
                stale.add(found)
            key = _ranking_key(live)
            entry = _RANKED.dump_json(RankedAdministration.model_validate(live))
            placed.append((bisect_left(range(len(ids)), key, key=key_at), key, entry))
        ranking = _placed(ranking, first.ranking_ends or [], stale, placed)
    if live_months:
        months: list[datetime] = first.monthly_months or []
        stale, placed = set(), []
        for row in live_months:
            if (found := _index(months, row.month)) is not None:
                stale.add(found)
            entry = _MONTH.dump_json(MonthIndicators.model_validate(_month(row)))
            placed.append((bisect_left(months, row.month), row.month, entry))
        monthly = _placed(monthly, first.monthly_ends or [], stale, placed)
    return b"".join(
        (b'{"indicators":', total, b',"ranking":[', ranking, b'],"monthly":[', monthly, b"]}")
    )


def _index(values: list[Any], value: Any) -> int | None:
    try:
        return values.index(value)
    except ValueError:
        return None


def _placed(
    joined: bytes, ends: list[int], stale: set[int], placed: list[tuple[int, Any, bytes]]
) -> bytes:
    """The entries of `joined` (separated by commas, each ending at its offset in `ends`) but
    those at the `stale` indices, with the `placed` ones (the index to go before, the sort key,
    the entry) put in: runs of untouched entries are copied whole, never split one by one."""
    inserted: dict[int, list[bytes]] = {}
    for index, _key, entry in sorted(placed, key=itemgetter(0, 1)):
        inserted.setdefault(index, []).append(entry)
    pieces: list[bytes] = []
    run = 0  # the first entry not copied yet
    for index in sorted({*stale, *inserted}):
        if index > run:
            pieces.append(joined[ends[run - 1] + 1 if run else 0 : ends[index - 1]])
        pieces.extend(inserted.get(index, ()))
        run = index + 1 if index in stale else index
    if len(ends) > run:
        pieces.append(joined[ends[run - 1] + 1 if run else 0 : ends[-1]])
    return b",".join(pieces)


async def compute(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Totals, a ranking of administrations and a monthly series, for one scope: one
    statement (`repositories.stats.totals`)."""
    total: Any = None
    ranking = []
    monthly = []
    for row in await repository.totals(session, scope):
        if row.grouping == repository.TOTAL:
            total = row
        elif row.grouping == repository.ADMINISTRATION:
            ranking.append(_ranked(row))
        else:
            monthly.append(_month(row))
    monthly.sort(key=lambda m: m["month"])
    ranking.sort(key=_ranking_key)
    return {
        "indicators": indicators(total) if total else indicators(_ZERO),
        "ranking": ranking,
        "monthly": monthly,
    }


@dataclass(frozen=True)
class _Zero:
    received: int = 0
    processed: int = 0
    processing_seconds: int = 0
    reopened: int = 0
    rated: int = 0
    rating_sum: int = 0
    satisfied: int = 0
    escalated: int = 0
    speed_sum: int = 0
    speed_count: int = 0
    clarity_sum: int = 0
    clarity_count: int = 0
    courtesy_sum: int = 0
    courtesy_count: int = 0
    outcome_sum: int = 0
    outcome_count: int = 0


_ZERO = _Zero()
_WHOLE_PORTAL = Scope()
_STATISTICS = TypeAdapter(StatisticsOut)
_INDICATORS = TypeAdapter(Indicators)
_RANKED = TypeAdapter(RankedAdministration)
_MONTH = TypeAdapter(MonthIndicators)


def rendered_format() -> str:
    """A fingerprint of what a rendered entry holds and how it is computed: the entries'
    schemas and the functions that fill them. The fold keeps entries it rendered; a change of
    either would leave them in the old form, so `tests/test_statistics_rollup.py` pins this
    value: whoever changes it adds a migration that sends every entry back to render
    (`UPDATE request_stats_by_administration SET rendered = NULL`, the same for
    `request_stats_by_month`, and `DELETE FROM request_stats_answer`) and pins the new one."""
    parts = [json.dumps(adapter.json_schema(), sort_keys=True) for adapter in (_RANKED, _MONTH)] + [
        inspect.getsource(function) for function in (indicators, _ranked, _month)
    ]
    parts.append(repr(DIMENSIONS))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
