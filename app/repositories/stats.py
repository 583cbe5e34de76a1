"""The statistics counters (`request_stats` and its rollups): reads summed in one statement per
question, writes without a hot row, and the fold that keeps reads flat.

Writes: one statement per bump adds to the cohort's slot of the writer's own database session
(its slot is its server process id, `pg_backend_pid()`), inserting it if it is not there yet. A
session runs one transaction at a time, so no two transactions ever write the same slot: writers
never wait on each other, whatever the number of them on one cohort (only on a fold moving
their slot at that moment, which holds it for one short transaction).

The fold (the periodic work) moves every slot no writer holds, in one statement, into the
cohort's folded row (slot FOLDED, which writers never touch) and into three rollups: per
administration and month, per month, per administration. Reads sum rollup rows plus the slots
written since (the partial index `ix_request_stats_unfolded` finds them): the whole portal reads
one row per administration and one per month, whatever the number of requests. A fold is one
transaction and a read one statement, so every read sees all of a fold or none of it: the
figures are exact at every instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import CLOCK_RUNNING, Kind
from app.models.integration import (
    RequestStats,
    StatsByAdministration,
    StatsByAdministrationMonth,
    StatsByMonth,
)
from app.models.request import Request
from app.repositories import driver
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
# The slot of a cohort's folded row: writers add to slots >= 0 only, the fold to this one.
FOLDED = -1


@dataclass(frozen=True)
class Scope:
    administration_id: int | None = None
    service_id: int | None = None
    kind: Kind | None = None
    from_month: date | None = None
    to_month: date | None = None


def _month(value: date) -> datetime:
    return datetime(value.year, value.month, 1, tzinfo=UTC)


def _sums(source: Any) -> list[ColumnElement[Any]]:
    """The counters of `source` summed (0 over no row), as 64-bit integers."""
    return [
        cast(func.coalesce(func.sum(source.c[name]), 0), BigInteger).label(name)
        for name in COUNTERS
    ]


def _counters(source: Any) -> list[Any]:
    return [getattr(source, name) for name in COUNTERS]


def _constant(value: int) -> ColumnElement[int]:
    return literal_column(str(value), Integer)


def _with_names(grouped: Any) -> Select[Any]:
    """`grouped`'s rows, with the administrations' code and name joined to the ranking's."""
    return select(grouped, Administration.code, Administration.name).select_from(
        grouped.outerjoin(
            Administration,
            and_(
                Administration.id == grouped.c.administration_id,
                grouped.c.grouping == ADMINISTRATION,
            ),
        )
    )


def _grouped(source: Any) -> Select[Any]:
    """One pass over `source`'s rows (administration_id, month, counters): GROUPING SETS give
    the total, the per-administration and the per-month sums together."""
    grouping = func.grouping(source.c.administration_id, source.c.month).label("grouping")
    return _with_names(
        select(source.c.administration_id, source.c.month, grouping, *_sums(source))
        .group_by(
            func.grouping_sets(
                text("()"), tuple_(source.c.administration_id), tuple_(source.c.month)
            )
        )
        .subquery("grouped")
    )


def _conditions(
    model: Any, administration: bool, start: bool, end: bool
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if administration:
        conditions.append(model.administration_id == bindparam("administration_id"))
    if start:
        conditions.append(model.month >= bindparam("from_month"))
    if end:
        conditions.append(model.month <= bindparam("to_month"))
    return conditions


def _cohorts(
    administration: bool, service: bool, kind: bool, start: bool, end: bool
) -> Select[Any]:
    """By service or kind: the cohort rows, folded or not (one per cohort after a fold)."""
    conditions = _conditions(RequestStats, administration, start, end)
    if service:
        conditions.append(RequestStats.service_id == bindparam("service_id"))
    if kind:
        conditions.append(RequestStats.kind == bindparam("kind"))
    rows = select(RequestStats.administration_id, RequestStats.month, *_counters(RequestStats))
    return _grouped(rows.where(*conditions).subquery("rows"))


# A literal, as the partial index's predicate is (a parameter would not prove it).
_UNFOLDED = RequestStats.slot >= literal_column("0", Integer)


def _unfolded(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The slots written since the last fold (the partial index `ix_request_stats_unfolded`)."""
    return select(
        RequestStats.administration_id, RequestStats.month, *_counters(RequestStats)
    ).where(_UNFOLDED, *conditions)


def _administration_months(administration: bool, start: bool, end: bool) -> Select[Any]:
    """One administration or one period: the administration-month rollup plus the unfolded
    slots (one row per administration and month in scope)."""
    rollup = StatsByAdministrationMonth
    rows = union_all(
        select(rollup.administration_id, rollup.month, *_counters(rollup)).where(
            *_conditions(rollup, administration, start, end)
        ),
        _unfolded(*_conditions(RequestStats, administration, start, end)),
    )
    return _grouped(rows.subquery("rows"))


def _whole_portal() -> Select[Any]:
    """Everything: the total and the months from the month rollup, the ranking from the
    administration rollup, each plus the unfolded slots (one row per month and one per
    administration, whatever the number of requests)."""
    unfolded = _unfolded().cte("unfolded")

    def summed(key: str, rollup: Any) -> Any:
        parts = union_all(
            select(getattr(rollup, key), *_counters(rollup)),
            select(unfolded.c[key], *[unfolded.c[name] for name in COUNTERS]),
        ).subquery(f"{key}_parts")
        return select(parts.c[key], *_sums(parts)).group_by(parts.c[key]).cte(f"per_{key}")

    per_administration = summed("administration_id", StatsByAdministration)
    per_month = summed("month", StatsByMonth)
    no_administration = cast(null(), Integer).label("administration_id")
    no_month = cast(null(), DateTime(timezone=True)).label("month")
    grouped = union_all(
        select(no_administration, no_month, _constant(TOTAL).label("grouping"), *_sums(per_month)),
        select(
            per_administration.c.administration_id,
            no_month,
            _constant(ADMINISTRATION),
            *[per_administration.c[name] for name in COUNTERS],
        ),
        select(
            no_administration,
            per_month.c.month,
            _constant(MONTH),
            *[per_month.c[name] for name in COUNTERS],
        ),
    ).subquery("grouped")
    return _with_names(grouped)


@cache
def _totals(administration: bool, service: bool, kind: bool, start: bool, end: bool) -> Select[Any]:
    """The statement for one combination of filters (32 at most, each built once): from the
    fewest rows that answer it."""
    if service or kind:
        return _cohorts(administration, service, kind, start, end)
    if administration or start or end:
        return _administration_months(administration, start, end)
    return _whole_portal()


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
# The cohort's slot of this database session (`pg_backend_pid()`: no other transaction holds it
# but a fold's). A submission adds its `received` the same way inside its own insert
# (`repositories/requests.py`, `_insert_new`): a change of the slot scheme changes both.
_BUMP = text(
    f"""
    INSERT INTO request_stats (administration_id, service_id, kind, month, slot,
                               {", ".join(COUNTERS)})
    VALUES (:administration_id, :service_id, :kind, :month,
            pg_backend_pid(), {", ".join(":" + n for n in COUNTERS)})
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


# --- the fold: slots into the cohort's folded row and the rollups, one transaction a batch

_COHORT_KEY = "administration_id, service_id, kind, month"
_LIST = ", ".join(COUNTERS)
_SUMS = ", ".join(f"sum({name})" for name in COUNTERS)


def _upsert(
    table: str,
    keys: str,
    grouped: str | None = None,
    values: str | None = None,
    rendered: bool = False,
) -> str:
    """Add the moved slots' sums, grouped by `grouped` (`keys`), to `table`'s rows of `keys`
    (taking the values `values`); with `rendered`, the rows' rendered entries go stale (NULL)
    with their counters."""
    added = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COUNTERS)
    if rendered:
        added += ", rendered = NULL"
    return f"""
        INSERT INTO {table} ({keys}, {_LIST})
        SELECT {values or keys}, {_SUMS} FROM moved GROUP BY {grouped or keys}
        ON CONFLICT ({keys}) DO UPDATE SET {added}"""


# One statement: the slots no writer holds (skipped, never waited for), deleted, their sums
# added to the cohorts' folded rows and to the three rollups. Returns how many slots it moved.
_FOLD = text(
    f"""
    WITH picked AS MATERIALIZED (
        SELECT {_COHORT_KEY}, slot FROM request_stats WHERE slot >= 0
        LIMIT :batch FOR UPDATE SKIP LOCKED
    ), moved AS (
        DELETE FROM request_stats AS r USING picked AS p
        WHERE (r.administration_id, r.service_id, r.kind, r.month, r.slot)
            = (p.administration_id, p.service_id, p.kind, p.month, p.slot)
        RETURNING r.*
    ), cohorts AS ({
        _upsert("request_stats", f"{_COHORT_KEY}, slot", _COHORT_KEY, f"{_COHORT_KEY}, {FOLDED}")
    }
    ), per_administration_month AS ({
        _upsert("request_stats_by_administration_month", "administration_id, month")
    }
    ), per_month AS ({_upsert("request_stats_by_month", "month", rendered=True)}
    ), per_administration AS ({
        _upsert("request_stats_by_administration", "administration_id", rendered=True)
    }
    )
    SELECT count(*) FROM moved
    """
)
# One fold at a time (two processes' upserts of the same rollup rows in different orders
# could deadlock): a transaction-scoped lock, in the two-key space (idempotency's locks use
# the one-key space).
_FOLD_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")
FOLD_LOCK = (0x53544154, 1)  # "STAT", the fold


async def fold(session: AsyncSession, batch: int) -> int:
    """Move up to `batch` slots that no writer holds into the folded rows and the rollups, in
    the session's transaction (after waiting for any other fold to commit). Returns how many
    slots it moved."""
    connection = await session.connection()
    await connection.execute(_FOLD_LOCK, {"space": FOLD_LOCK[0], "key": FOLD_LOCK[1]})
    return int((await connection.execute(_FOLD, {"batch": batch})).scalar_one())


# --- the whole portal's answer, from the entries the fold rendered

_SUMMED = ", ".join(f"coalesce(sum({name}), 0)::bigint AS {name}" for name in COUNTERS)
_UNRENDERED_ADMINISTRATIONS = text(
    f"""
    SELECT r.administration_id, a.code, a.name, {", ".join(f"r.{name}" for name in COUNTERS)}
    FROM request_stats_by_administration AS r
    JOIN administrations AS a ON a.id = r.administration_id
    WHERE r.rendered IS NULL
    """
)
_UNRENDERED_MONTHS = text(
    f"SELECT month, {_LIST} FROM request_stats_by_month WHERE rendered IS NULL"
)
_RENDER_ADMINISTRATIONS = text(
    """
    UPDATE request_stats_by_administration AS r
    SET rendered = v.rendered, processed_pct = v.processed_pct
    FROM unnest(CAST(:ids AS integer[]), CAST(:rendered AS text[]),
                CAST(:processed_pct AS double precision[])) AS v (id, rendered, processed_pct)
    WHERE r.administration_id = v.id
    """
)
_RENDER_MONTHS = text(
    """
    UPDATE request_stats_by_month AS r SET rendered = v.rendered
    FROM unnest(CAST(:months AS timestamptz[]), CAST(:rendered AS text[])) AS v (month, rendered)
    WHERE r.month = v.month
    """
)


def _joined(name: str, rows: str, order: str, extra: dict[str, str]) -> str:
    """The rendered entries of `rows` joined by commas in `order` (`<name>`), each one's end
    offset in bytes (`<name>_ends`) and the `extra` arrays, in the same order."""
    arrays = "".join(
        f", coalesce(array_agg({value} ORDER BY n), '{{}}') AS {name}_{key}"
        for key, value in extra.items()
    )
    return f"""
        SELECT convert_to(coalesce(string_agg(rendered, ',' ORDER BY n), ''), 'UTF8') AS {name},
               coalesce(array_agg(ends ORDER BY n), '{{}}') AS {name}_ends{arrays}
        FROM (
            SELECT *, row_number() OVER w AS n,
                   (sum(octet_length(rendered) + 1) OVER w - 1)::integer AS ends
            FROM ({rows}) AS rows
            WINDOW w AS (ORDER BY {order})
        ) AS numbered"""


# The one row of `request_stats_answer`, from every rendered rollup row, with the portal's
# total as folded (the fold's last step, whenever it changed a rollup row).
_ANSWER = text(
    f"""
    INSERT INTO request_stats_answer (
        id, ranking, ranking_ends, ranking_ids, ranking_pct, ranking_received, ranking_codes,
        monthly, monthly_ends, monthly_months, {_LIST}
    )
    SELECT true, ranking.*, monthly.*, total.*
    FROM (SELECT {_SUMMED} FROM request_stats_by_month) AS total, ({
        _joined(
            "ranking",
            '''SELECT r.administration_id, coalesce(r.processed_pct, 0) AS processed_pct,
                      r.received, a.code COLLATE "C" AS code, r.rendered
               FROM request_stats_by_administration AS r
               JOIN administrations AS a ON a.id = r.administration_id
               WHERE r.rendered IS NOT NULL''',
            "processed_pct DESC, received DESC, code",
            {
                "ids": "administration_id",
                "pct": "processed_pct",
                "received": "received",
                "codes": "code",
            },
        )
    }) AS ranking, ({
        _joined(
            "monthly",
            "SELECT month, rendered FROM request_stats_by_month WHERE rendered IS NOT NULL",
            "month",
            {"months": "month"},
        )
    }) AS monthly
    ON CONFLICT (id) DO UPDATE SET {
        ", ".join(
            f"{column} = excluded.{column}"
            for column in (
                "ranking",
                "ranking_ids",
                "ranking_ends",
                "ranking_pct",
                "ranking_received",
                "ranking_codes",
                "monthly",
                "monthly_months",
                "monthly_ends",
                *COUNTERS,
            )
        )
    }
    """
)


async def unrendered(session: AsyncSession) -> tuple[Sequence[Row[Any]], Sequence[Row[Any]]]:
    """The administration and month rollup rows whose entry is to render (changed by a fold
    since, or never rendered), with their counters."""
    connection = await session.connection()
    administrations = (await connection.execute(_UNRENDERED_ADMINISTRATIONS)).all()
    months = (await connection.execute(_UNRENDERED_MONTHS)).all()
    return administrations, months


async def store_rendered(
    session: AsyncSession,
    administrations: Sequence[tuple[int, str, float | None]],
    months: Sequence[tuple[datetime, str]],
) -> None:
    """Keep the rendered entries, (administration id, ranking entry JSON, processed share) and
    (month, monthly entry JSON), and join them all again into the answer's row."""
    connection = await session.connection()
    if administrations:
        ids, rendered, processed_pct = zip(*administrations, strict=True)
        await connection.execute(
            _RENDER_ADMINISTRATIONS,
            {"ids": list(ids), "rendered": list(rendered), "processed_pct": list(processed_pct)},
        )
    if months:
        keys, rendered = zip(*months, strict=True)
        await connection.execute(_RENDER_MONTHS, {"months": list(keys), "rendered": list(rendered)})
    if administrations or months:
        await connection.execute(_ANSWER)


def _live(key: str, table: str) -> str:
    """Per `key`, the rollup rows the rendered entries do not answer for (unrendered: a partial
    index finds them; written to since the last fold: their keys), plus the unfolded slots: the
    entries to compute now."""
    return f"""
        SELECT {key}, {_SUMMED} FROM (
            SELECT {key}, {_LIST} FROM {table} WHERE rendered IS NULL
            UNION ALL
            SELECT {key}, {_LIST} FROM {table}
            WHERE rendered IS NOT NULL AND {key} IN (SELECT {key} FROM unfolded)
            UNION ALL
            SELECT {key}, {_LIST} FROM unfolded
        ) AS parts
        GROUP BY {key}"""


# The whole portal in one statement, reading the answer's row and the rollup rows that the
# rendered entries do not answer for (with the slots written since the last fold), whatever
# the number of requests. The first row (TOTAL) has the grand total's counters (the answer's
# plus the unfolded slots) and the answer's row (the arrays to place entries by only when
# there are entries to place). The other rows are the entries to compute
# (ADMINISTRATION, with code and name; MONTH), as the other questions' rows: their rendered
# entries, if any, are stale.
_PORTAL = text(
    f"""
    WITH unfolded AS MATERIALIZED (
        SELECT administration_id, month, {_LIST} FROM request_stats WHERE slot >= 0
    ), live_administrations AS MATERIALIZED (
        {_live("administration_id", "request_stats_by_administration")}
    ), live_months AS MATERIALIZED ({_live("month", "request_stats_by_month")}
    )
    SELECT {TOTAL} AS grouping, NULL::integer AS administration_id, NULL::timestamptz AS month,
           NULL::text AS code, NULL::jsonb AS name, total.*, answer.ranking, {
        ", ".join(
            f"CASE WHEN EXISTS (SELECT FROM live_administrations) THEN answer.{column} END "
            f"AS {column}"
            for column in (
                "ranking_ids",
                "ranking_ends",
                "ranking_pct",
                "ranking_received",
                "ranking_codes",
            )
        )
    }, answer.monthly, {
        ", ".join(
            f"CASE WHEN EXISTS (SELECT FROM live_months) THEN answer.{column} END AS {column}"
            for column in ("monthly_months", "monthly_ends")
        )
    }
    FROM (
        SELECT {_SUMMED} FROM (
            SELECT {_LIST} FROM request_stats_answer
            UNION ALL  -- (only before the first fold renders the answer's row)
            SELECT {_LIST} FROM request_stats_by_month
            WHERE NOT EXISTS (SELECT FROM request_stats_answer)
            UNION ALL
            SELECT {_LIST} FROM unfolded
        ) AS parts
    ) AS total
    LEFT JOIN request_stats_answer AS answer ON true
    UNION ALL
    SELECT {ADMINISTRATION}, l.administration_id, NULL, a.code, a.name, {
        ", ".join(f"l.{name}" for name in COUNTERS)
    }, {", ".join(["NULL"] * 9)}
    FROM live_administrations AS l JOIN administrations AS a ON a.id = l.administration_id
    UNION ALL
    SELECT {MONTH}, NULL, l.month, NULL, NULL, {", ".join(f"l.{name}" for name in COUNTERS)},
           {", ".join(["NULL"] * 9)}
    FROM live_months AS l
    """
)


_PORTAL_ON_DRIVER = driver.Compiled(_PORTAL)


async def portal(direct: driver.Direct) -> Sequence[Any]:
    """The whole portal's rows (`_PORTAL`): the first has the total and the rendered entries,
    the others the entries to compute. On the driver: the public statistics' hot question."""
    return await driver.fetch_all(direct, _PORTAL_ON_DRIVER, {})


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
_OVERDUE = _per_administration(Request.state.in_(CLOCK_RUNNING), Request.due_at < bindparam("now"))


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
