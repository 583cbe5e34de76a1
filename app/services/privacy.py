"""Law 09-08: the retention purge that anonymizes requests closed long ago, and the notice.

A request closed or rejected more than `RETENTION_DAYS_AFTER_CLOSE` days ago loses every
personal datum: the `anonymize` action of the lifecycle (system only, no change of state)
clears the request's own columns and records the `anonymize` event; this module clears what
lives in other rows in the same transaction — message bodies, history notes, attribute values
marked `personal`, outbox messages, documents. What stays: kind, service, administration,
dates, state, rating score, the receipt code (its check shows no personal data) and the
statistics counters, which no anonymization touches.

Documents are removed, rows and files: a row without its file would be a broken link, and the
name and SHA-256 of a citizen's document still identify it. The files go after the commit (a
rolled-back purge must not lose them); a process dying in between leaves files no row points
to, which the orphan sweep of the periodic work deletes.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import SessionMaker
from app.domain.actors import SYSTEM
from app.i18n import Language, translate
from app.models.enums import Action, State
from app.models.request import Request
from app.repositories import privacy as repository
from app.schemas.catalogue import AttributeDefinition
from app.schemas.privacy import Controller, LegalBasis, PrivacyNotice, Retention, Right
from app.services import lifecycle
from app.services.attributes import personal_codes
from app.services.lifecycle import ActionInput
from app.services.requests import policy_of
from app.services.search import index
from app.services.storage import get_storage

log = logging.getLogger("app.privacy")

FINAL = (State.closed, State.rejected)


def due_before(settings: Settings, now: datetime) -> datetime:
    """Requests closed before this instant are past their retention at `now`."""
    return now - timedelta(days=settings.retention_days_after_close)


async def _definitions(session: AsyncSession, request: Request) -> list[AttributeDefinition]:
    if request.service_id is None:
        return []
    service = await repository.service(session, request.service_id)
    return [AttributeDefinition.model_validate(d) for d in (service.attributes if service else [])]


async def anonymize(
    session: AsyncSession, request: Request, settings: Settings, now: datetime
) -> list[str]:
    """Anonymize one request (locked by the caller or by `apply`); returns the storage keys of
    its documents, to delete once the transaction has committed."""
    keys = await repository.storage_keys(session, request.id)
    policy = dataclasses.replace(
        await policy_of(session, request, settings),
        retention_days=settings.retention_days_after_close,
    )
    facts: dict[str, Any] = {
        "retention_days": settings.retention_days_after_close,
        "documents_deleted": len(keys),
    }
    event = await lifecycle.apply(
        session, request, Action.anonymize, SYSTEM, ActionInput(data=facts), policy, now
    )
    # Values of attributes marked personal go; so do values whose definition is gone (the
    # service changed since): nobody can say they are not personal.
    definitions = await _definitions(session, request)
    personal, known = personal_codes(definitions), {d.code for d in definitions}
    request.attributes = {
        code: value
        for code, value in (request.attributes or {}).items()
        if code in known and code not in personal
    }
    index(request)  # what `requests reindex` would compute now
    # Unsent messages would carry the data out later; sent ones keep only their traces
    # (channel, event, dates), not who they went to nor what they said.
    await repository.erase(session, request.id, kept_event_id=event.id)
    await session.flush()
    return keys


async def purge_batch(
    session: AsyncSession, settings: Settings, now: datetime, size: int = 100
) -> tuple[int, list[str]]:
    """Anonymize up to `size` requests past their retention at `now`; returns how many and the
    storage keys to delete after commit. `SKIP LOCKED`: several workers share the work."""
    keys: list[str] = []
    requests = await repository.past_retention(session, FINAL, due_before(settings, now), size)
    for request in requests:
        keys += await anonymize(session, request, settings, now)
    return len(requests), keys


async def purge(
    sessionmaker: SessionMaker, settings: Settings, now: datetime, size: int = 100
) -> int:
    """Every request past its retention at `now`, a batch per transaction; returns how many.
    Each batch leaves the selection for good, so the loop ends."""
    storage = get_storage(settings)
    done = 0
    while True:
        async with sessionmaker() as session:
            count, keys = await purge_batch(session, settings, now, size)
            await session.commit()
        for key in keys:
            await storage.delete(key)
        done += count
        if count < size:
            return done


# --- the notice


def notice(settings: Settings, language: Language) -> PrivacyNotice:
    """The privacy notice in `language`; its words live in `app.i18n`."""

    def t(key: str, **params: object) -> str:
        return translate(f"privacy.{key}", language, **params)

    postal = settings.privacy_postal_address
    return PrivacyNotice(
        language=language,
        title=t("title"),
        controller=Controller(
            name=settings.privacy_controller or t("controller"),
            email=settings.privacy_contact_email,
            postal_address=postal,
            website=settings.portal_url,
        ),
        purposes=[t(f"purpose.{p}") for p in ("handling", "contact", "statistics")],
        legal_basis=[
            LegalBasis(reference=reference, text=t(f"basis.{key}"))
            for key, reference in (
                ("law_09_08", "law 09-08"),
                ("decree_2_17_265", "decree 2-17-265"),
                ("law_31_13", "law 31-13"),
            )
        ],
        retention=Retention(
            days_after_close=settings.retention_days_after_close,
            text=t("retention", days=settings.retention_days_after_close),
        ),
        recipients=[t(f"recipient.{r}") for r in ("administration", "oversight", "processors")],
        rights=[
            Right(right="access", text=t("right.access"), endpoints=list(ACCESS)),
            Right(
                right="rectification",
                text=t("right.rectification"),
                endpoints=["PATCH /api/v1/citizens/me"],
            ),
            Right(
                right="objection",
                text=t("right.objection"),
                endpoints=["POST /api/v1/requests/{tracking_number}/close"],
            ),
        ],
        how_to_exercise=t(
            "how",
            email=settings.privacy_contact_email,
            postal=t("how.postal", address=postal) if postal else "",
        ),
        cndp_declaration=settings.cndp_declaration,
    )


ACCESS = (
    "GET /api/v1/citizens/me/requests",
    "GET /api/v1/citizens/me/export",
    "GET /api/v1/requests/{tracking_number}",
)
