"""Writes of the statistics counters (`request_stats`), without a hot row.

One statement per bump: add to a slot row of the cohort that no other transaction holds
(`FOR UPDATE SKIP LOCKED`), or, when every slot is held (or there is none yet), insert a new
slot numbered after this transaction's id, so concurrent writers never pick the same new slot.
Either way the writer waits on nobody; the sums over the slots stay exact.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

COUNTERS = (
    "received",
    "processed",
    "processing_seconds",
    "reopened",
    "rated",
    "rating_sum",
    "satisfied",
)

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
