"""The CSV export of an administration's requests, streamed row by row from a server cursor."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime

from app.db import SessionMaker
from app.domain.actors import Actor
from app.repositories import exports as repository
from app.repositories.driver import Direct
from app.services import access_log
from app.services.requests import is_overdue

PUBLIC_COLUMNS = [
    "reference",
    "administration",
    "kind",
    "state",
    "service",
    "channel",
    "created_at",
    "received_at",
    "due_at",
    "answered_at",
    "closed_at",
    "overdue",
    "escalation_level",
    "reopen_count",
    "rating_score",
    # The survey's answers given with the rating (empty when skipped).
    "rating_speed",
    "rating_clarity",
    "rating_courtesy",
    "rating_outcome",
]
# Free text may name people, and the tracking number with a contact opens the request: both
# travel only with the personal data, to those who handle the requests.
PERSONAL_COLUMNS = ["tracking_number", "subject", "full_name", "email", "phone", "national_id"]


def _cell(value: object) -> str:
    text = value.isoformat() if isinstance(value, datetime) else "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


async def _log(direct: Direct, reader: Actor, ids: list[int], now: datetime) -> None:
    """The chunk's requests in the access log, committed before the chunk leaves (one
    statement on the driver, beside the stream's session)."""
    await access_log.record_many_on_driver(direct, ids, reader, "export", now)
    ids.clear()


async def rows(
    sessionmaker: SessionMaker,
    direct: Direct,
    *,
    administration_id: int | None,
    personal: bool,
    now: datetime,
    reader: Actor | None = None,
) -> AsyncIterator[str]:
    """CSV text in chunks; opens its own session, since the body streams after the route.
    With personal data, each request of a chunk is in the access log (`reader`'s read)
    before the chunk is sent."""
    columns = PUBLIC_COLUMNS + (PERSONAL_COLUMNS if personal else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    logged: list[int] = []
    async with sessionmaker() as session:
        async for request, administration_code, service_code in repository.stream(
            session, administration_id
        ):
            if personal and reader is not None:
                logged.append(request.id)
            derived = {
                "reference": request.public_id,  # the public id, as Open311 shows it
                "administration": administration_code,
                "service": service_code,
                "overdue": is_overdue(request, now),
                **{
                    f"rating_{dimension}": (request.rating_dimensions or {}).get(dimension)
                    for dimension in ("speed", "clarity", "courtesy", "outcome")
                },
            }
            values = {
                name: derived[name] if name in derived else getattr(request, name)
                for name in columns
            }
            writer.writerow([_cell(values[name]) for name in columns])
            if buffer.tell() > 64 * 1024:
                if logged and reader is not None:
                    await _log(direct, reader, logged, now)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    if logged and reader is not None:
        await _log(direct, reader, logged, now)
    yield buffer.getvalue()
