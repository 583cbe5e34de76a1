"""Questions and answers, localized, managed by national admins."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models.integration import FaqEntry
from app.repositories import faq as repository
from app.schemas.faq import FaqIn, FaqOut
from app.services.textnorm import fold, like_pattern


def out(entry: FaqEntry) -> FaqOut:
    return FaqOut.model_validate(
        {
            "id": entry.id,
            "topic": entry.topic,
            "position": entry.position,
            "question": entry.question,
            "answer": entry.answer,
            "updated_at": entry.updated_at,
        }
    )


def _fill(entry: FaqEntry, body: FaqIn, now: datetime) -> None:
    entry.topic = body.topic
    entry.position = body.position
    entry.question = body.question.model_dump()
    entry.answer = body.answer.model_dump()
    entry.updated_at = now
    entry.search_text = fold(" ".join([*entry.question.values(), *entry.answer.values()]))


async def listing(session: AsyncSession, *, topic: str | None, q: str | None) -> list[FaqEntry]:
    return await repository.listing(session, topic=topic, pattern=like_pattern(q) if q else None)


async def create(session: AsyncSession, body: FaqIn, now: datetime) -> FaqEntry:
    entry = FaqEntry(created_at=now)
    _fill(entry, body, now)
    session.add(entry)
    await session.flush()
    return entry


async def replace(session: AsyncSession, entry_id: int, body: FaqIn, now: datetime) -> FaqEntry:
    entry = await repository.get(session, entry_id)
    if entry is None:
        raise NotFound()
    _fill(entry, body, now)
    await session.flush()
    return entry


async def remove(session: AsyncSession, entry_id: int) -> None:
    if not await repository.remove(session, entry_id):
        raise NotFound()


class SampleFaq(BaseModel):
    sample: bool
    notice: str
    entries: list[FaqIn]


async def load_sample(session: AsyncSession, now: datetime) -> int:
    """Fill an empty FAQ with the sample questions; once national admins have one of their own
    (edited, moved or deleted entries included), leave it alone. Returns how many were added."""
    if await repository.any_entry(session):
        return 0
    raw = resources.files("app").joinpath("data/sample_faq.json").read_text("utf-8")
    sample = SampleFaq.model_validate(json.loads(raw))
    for body in sample.entries:
        await create(session, body, now)
    return len(sample.entries)
