"""Public statistics, from counters kept in the transaction of each event (never a scan).

Every counter belongs to the cohort of the request: (administration, service, kind, month of
receipt). So "processed %" of March is the share of March's requests processed so far, and
filters by period select cohorts. Definitions (also in the OpenAPI description):

* received — requests filed;
* processed — requests that got a first answer, acknowledgement, or rejection (a withdrawal
  is not processed); a reopened request answered again still counts once;
* average processing days — mean time from receipt to that first answer;
* reopened — reopenings (one request can count several times);
* satisfaction % — share of ratings of 4 or 5 among rated answers (scores 1 to 5);
* dimensions — the survey's average per dimension (speed, clarity, courtesy, outcome; 1 to 5)
  over the ratings that answered it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import Action, Kind
from app.models.integration import RequestStats
from app.models.request import Request, RequestEvent

DIMENSIONS = ("speed", "clarity", "courtesy", "outcome")
PROCESSING = {Action.answer, Action.acknowledge, Action.reject, Action.decide_appeal}
COUNTERS = (
    "received",
    "processed",
    "processing_seconds",
    "reopened",
    "rated",
    "rating_sum",
    "satisfied",
    # The survey: per dimension, the sum of its answers and how many answered it.
    *(f"{dimension}_{part}" for dimension in DIMENSIONS for part in ("sum", "count")),
)


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
    values = {name: deltas.get(name, 0) for name in COUNTERS}
    stmt = insert(RequestStats).values(
        administration_id=administration_id,
        service_id=service_id or 0,
        kind=kind,
        month=month,
        **values,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["administration_id", "service_id", "kind", "month"],
        set_={name: getattr(RequestStats, name) + stmt.excluded[name] for name in deltas},
    )
    await session.execute(stmt)


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


@dataclass(frozen=True)
class Scope:
    administration_id: int | None = None
    service_id: int | None = None
    kind: Kind | None = None
    from_month: date | None = None
    to_month: date | None = None


def _where(scope: Scope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.administration_id is not None:
        conditions.append(RequestStats.administration_id == scope.administration_id)
    if scope.service_id is not None:
        conditions.append(RequestStats.service_id == scope.service_id)
    if scope.kind is not None:
        conditions.append(RequestStats.kind == scope.kind.value)
    if scope.from_month is not None:
        conditions.append(
            RequestStats.month
            >= datetime(scope.from_month.year, scope.from_month.month, 1, tzinfo=UTC)
        )
    if scope.to_month is not None:
        conditions.append(
            RequestStats.month <= datetime(scope.to_month.year, scope.to_month.month, 1, tzinfo=UTC)
        )
    return conditions


def _sums() -> list[Any]:
    return [
        func.coalesce(func.sum(getattr(RequestStats, name)), 0).label(name) for name in COUNTERS
    ]


def indicators(row: Any) -> dict[str, Any]:
    received, processed, rated = int(row.received), int(row.processed), int(row.rated)
    return {
        "received": received,
        "processed": processed,
        "reopened": int(row.reopened),
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


async def compute(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Totals, a ranking of administrations and a monthly series, for one scope.

    One pass over the cohort rows: GROUPING SETS give the total, the per-administration and
    the per-month sums together.
    """
    grouping = func.grouping(RequestStats.administration_id, RequestStats.month).label("grouping")
    stmt = (
        select(RequestStats.administration_id, RequestStats.month, grouping, *_sums())
        .where(*_where(scope))
        .group_by(
            func.grouping_sets(
                text("()"), tuple_(RequestStats.administration_id), tuple_(RequestStats.month)
            )
        )
    )
    total: Any = None
    by_administration: dict[int, Any] = {}
    monthly = []
    for row in (await session.execute(stmt)).all():
        if row.grouping == 3:  # both columns aggregated away: the grand total
            total = row
        elif row.grouping == 1:  # month aggregated away: one administration
            by_administration[row.administration_id] = row
        else:
            monthly.append({"month": row.month.strftime("%Y-%m"), **indicators(row)})
    monthly.sort(key=lambda m: m["month"])
    names = {}
    if by_administration:
        found = await session.execute(
            select(Administration.id, Administration.code, Administration.name).where(
                Administration.id.in_(by_administration)
            )
        )
        names = {admin_id: (code, name) for admin_id, code, name in found}
    ranking = [
        {"administration": names[admin_id][0], "name": names[admin_id][1], **indicators(row)}
        for admin_id, row in by_administration.items()
    ]
    # The most responsive first: processed share, then volume.
    ranking.sort(key=lambda r: (-(r["processed_pct"] or 0), -r["received"], r["administration"]))
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
    speed_sum: int = 0
    speed_count: int = 0
    clarity_sum: int = 0
    clarity_count: int = 0
    courtesy_sum: int = 0
    courtesy_count: int = 0
    outcome_sum: int = 0
    outcome_count: int = 0


_ZERO = _Zero()


async def service_id(session: AsyncSession, administration_id: int, code: str) -> int | None:
    return await session.scalar(
        select(Service.id).where(
            Service.administration_id == administration_id, Service.code == code
        )
    )


async def overdue_counts(
    session: AsyncSession, administration_ids: Sequence[int] | None, now: datetime
) -> dict[str, int]:
    """Open requests past their due date, live, per administration (the queue index serves it)."""
    stmt = (
        select(Administration.code, func.count())
        .select_from(Request)
        .join(Administration, Administration.id == Request.administration_id)
        .where(Request.state.in_(["submitted", "in_progress"]), Request.due_at < now)
        .group_by(Administration.code)
    )
    if administration_ids is not None:
        stmt = stmt.where(Request.administration_id.in_(administration_ids))
    return {code: int(count) for code, count in (await session.execute(stmt)).all()}
