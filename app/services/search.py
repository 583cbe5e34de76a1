"""Search indexing: what the back-office search finds a request by, and the reindex after a
release that changes it. The text is stored on the request (`search_text`); PostgreSQL derives
its `tsvector` (`search_vector`, GIN-indexed)."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.contacts import phone_forms
from app.models.request import Request
from app.repositories import search as repository
from app.services.textnorm import fold

# Punctuation out: PostgreSQL's parser would keep `pol-777` as `pol` and `-777`, and an email
# as one token, where people search by their parts.
_NON_WORD = re.compile(r"\W+")


def _attribute_words(attributes: dict[str, object]) -> list[str]:
    words: list[str] = []
    for value in attributes.values():
        items = value if isinstance(value, list) else [value]
        words += [str(item) for item in items if isinstance(item, str | int | float)]
    return words


def search_text(request: Request) -> str:
    """What the back-office search finds a request by: its number, words, the person's name,
    email and phone (as typed), and the values of its attributes (a policy number, ...)."""
    parts = [request.tracking_number, request.subject, request.description, request.full_name]
    parts += [request.organization_name or "", request.email or ""]
    if request.phone:
        parts += phone_forms(request.phone)
    parts += _attribute_words(request.attributes or {})
    return _NON_WORD.sub(" ", fold(" ".join(parts))).strip()


async def reindex_batch(session: AsyncSession, after_id: int, size: int = 1000) -> list[int]:
    """Recompute the search text of the next `size` requests after `after_id` (after a release
    that changes what search covers); returns the ids done, in order (empty: none left)."""
    batch = await repository.requests_after(session, after_id, size)
    for request in batch:
        request.search_text = search_text(request)
    await session.flush()
    return [request.id for request in batch]
