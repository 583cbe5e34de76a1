"""The statistics counters (`request_stats`): reads summed in one statement per question,
and writes without a hot row.

Writes: one statement per bump adds to a slot row of the cohort that no other transaction holds
(`FOR UPDATE SKIP LOCKED`), or, when every slot is held (or there is none yet), inserts a new
slot numbered after this transaction's id, so concurrent writers never pick the same new slot.
Either way the writer waits on nobody. Reads sum over whatever slot rows a cohort has, so the
answers stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import Kind
from app.models.integration import RequestStats
from app.models.request import Request
from app.repositories.requests import escalated

# The survey's dimensions, each rated 1-5 apart from the overall score.
DIMENSIONS = ("speed", "clarity", "courtesy", "outcome")
COUNTERS = (
    "received",
    "processed",
    "processing_seconds",
    "reopened",
    "rated",
    "rating_sum",
    "satisfied",
    # Deadlines missed: escalations to the administration's supervisors (issue 10).
    "escalated",
    # The survey: per dimension, the sum of its answers and how many answered it.
    *(f"{dimension}_{part}" for dimension in DIMENSIONS for part in ("sum", "count")),
)
# GROUPING(administration_id, month): 3 the grand total, 1 one administration, 2 one month.
TOTAL, ADMINISTRATION, MONTH = 3, 1, 2


@dataclass(frozen=True)
class Scope:
    administration_id: int | None = None
    service_id: int | None = None
    kind: Kind | None = None
    from_month: date | None = None
    to_month: date | None = None


def _month(value: date) -> datetime:
    return datetime(value.year, value.month, 1, tzinfo=UTC)


@cache
def _totals(administration: bool, service: bool, kind: bool, start: bool, end: bool) -> Select[Any]:
    """The statement for one combination of filters (32 at most, each built once), with the
    administrations' code and name joined to their rows of the ranking."""
    conditions: list[ColumnElement[bool]] = []
    if administration:
        conditions.append(RequestStats.administration_id == bindparam("administration_id"))
    if service:
        conditions.append(RequestStats.service_id == bindparam("service_id"))
    if kind:
        conditions.append(RequestStats.kind == bindparam("kind"))
    if start:
        conditions.append(RequestStats.month >= bindparam("from_month"))
    if end:
        conditions.append(RequestStats.month <= bindparam("to_month"))
    grouping = func.grouping(RequestStats.administration_id, RequestStats.month).label("grouping")
    sums = [
        func.coalesce(func.sum(getattr(RequestStats, name)), 0).label(name) for name in COUNTERS
    ]
    # One pass over the cohort rows: GROUPING SETS give the total, the per-administration and
    # the per-month sums together.
    grouped = (
        select(RequestStats.administration_id, RequestStats.month, grouping, *sums)
        .where(*conditions)
        .group_by(
            func.grouping_sets(
                text("()"), tuple_(RequestStats.administration_id), tuple_(RequestStats.month)
            )
        )
        .subquery("grouped")
    )
    return select(grouped, Administration.code, Administration.name).select_from(
        grouped.outerjoin(
            Administration,
            and_(
                Administration.id == grouped.c.administration_id,
                grouped.c.grouping == ADMINISTRATION,
            ),
        )
    )


async def totals(session: AsyncSession, scope: Scope) -> Sequence[Row[Any]]:
    """The rows of the grand total, of each administration (with its `code` and `name`) and of
    each month, told apart by `grouping` (TOTAL, ADMINISTRATION, MONTH)."""
    stmt = _totals(
        scope.administration_id is not None,
        scope.service_id is not None,
        scope.kind is not None,
        scope.from_month is not None,
        scope.to_month is not None,
    )
    params = {
        "administration_id": scope.administration_id,
        "service_id": scope.service_id,
        "kind": scope.kind.value if scope.kind else None,
        "from_month": _month(scope.from_month) if scope.from_month else None,
        "to_month": _month(scope.to_month) if scope.to_month else None,
    }
    connection = await session.connection()
    rows: Sequence[Row[Any]] = (await connection.execute(stmt, params)).all()
    return rows


_COHORT = (
    "administration_id = :administration_id AND service_id = :service_id "
    "AND kind = :kind AND month = :month"
)
_ADD = ", ".join(f"{name} = request_stats.{name} + :{name}" for name in COUNTERS)
_BUMP = text(
    f"""
    WITH free AS (
        SELECT slot FROM request_stats WHERE {_COHORT}
        LIMIT 1 FOR UPDATE SKIP LOCKED
    ), added AS (
        UPDATE request_stats SET {_ADD}
        FROM free WHERE {_COHORT} AND request_stats.slot = free.slot
        RETURNING 1
    )
    INSERT INTO request_stats (administration_id, service_id, kind, month, slot,
                               {", ".join(COUNTERS)})
    SELECT :administration_id, :service_id, :kind, :month,
           (txid_current() % 2147483647)::integer, {", ".join(":" + n for n in COUNTERS)}
    WHERE NOT EXISTS (SELECT FROM added)
    ON CONFLICT (administration_id, service_id, kind, month, slot) DO UPDATE SET {_ADD}
    """
)


async def bump(
    session: AsyncSession,
    administration_id: int,
    service_id: int | None,
    kind: str,
    month: datetime,
    deltas: dict[str, int],
) -> None:
    """Add `deltas` to the counters of one cohort."""
    params: dict[str, object] = {name: deltas.get(name, 0) for name in COUNTERS}
    params.update(
        administration_id=administration_id, service_id=service_id or 0, kind=kind, month=month
    )
    connection = await session.connection()  # Core's path: nothing for the ORM to do here
    await connection.execute(_BUMP, params)


# --- live counts of the open requests, per administration (the back office's dashboard)

_SERVICE_ID = select(Service.id).where(
    Service.administration_id == bindparam("administration_id"), Service.code == bindparam("code")
)


def _per_administration(*conditions: ColumnElement[bool]) -> dict[bool, Select[str, int]]:
    """The count per administration code of the requests meeting `conditions`: of every
    administration (False) or of those in the expanding `administration_ids` (True)."""
    counted = (
        select(Administration.code, func.count())
        .select_from(Request)
        .join(Administration, Administration.id == Request.administration_id)
        .where(*conditions)
        .group_by(Administration.code)
    )
    some = Request.administration_id.in_(bindparam("administration_ids", expanding=True))
    return {False: counted, True: counted.where(some)}


# Open and escalated (level 1 or 2): served by the partial index of escalated requests.
_ESCALATED = _per_administration(escalated())
# Past their due date while the administration holds them: the queue index serves it.
_OVERDUE = _per_administration(
    Request.state.in_(["submitted", "in_progress"]), Request.due_at < bindparam("now")
)


async def service_id(session: AsyncSession, administration_id: int, code: str) -> int | None:
    """The id of the administration's service `code`, archived or not."""
    return await session.scalar(_SERVICE_ID, {"administration_id": administration_id, "code": code})


async def _counts(
    session: AsyncSession,
    statements: dict[bool, Select[str, int]],
    administration_ids: Sequence[int] | None,
    **params: object,
) -> dict[str, int]:
    if administration_ids is not None:
        params["administration_ids"] = list(administration_ids)
    found = await session.execute(statements[administration_ids is not None], params)
    return {code: int(count) for code, count in found.all()}


async def escalated_counts(
    session: AsyncSession, administration_ids: Sequence[int] | None
) -> dict[str, int]:
    """Open requests escalated now (level 1 or 2), live, per administration code (of the
    administrations `administration_ids`, or of all of them when None)."""
    return await _counts(session, _ESCALATED, administration_ids)


async def overdue_counts(
    session: AsyncSession, administration_ids: Sequence[int] | None, now: datetime
) -> dict[str, int]:
    """Open requests past their due date, live, per administration code (as above)."""
    return await _counts(session, _OVERDUE, administration_ids, now=now)
