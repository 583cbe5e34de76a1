"""What each call of the facade does: read the catalogue and the requests through the
repository, file through the API's one submission path, log the owning key's reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.errors import ValidationFailed
from app.i18n import Language
from app.models.catalogue import Administration, Service
from app.models.enums import Role
from app.models.integration import ApiKey
from app.repositories import open311 as repository
from app.repositories.driver import Direct
from app.repositories.open311 import RequestFilter
from app.schemas.open311 import (
    PostedRequest,
    RequestItem,
    ServiceDefinition,
    ServiceItem,
    TokenItem,
)
from app.services import access_log, api_keys, clock, idempotency
from app.services import requests as requests_service
from app.services.open311 import forms, render
from app.services.open311.errors import Open311Error, error


async def authenticate(session: AsyncSession, api_key: str | None) -> ApiKey | None:
    """The integration key, if one is given; a wrong or revoked one is a 403, never ignored."""
    if not api_key:
        return None
    key = await api_keys.authenticate(session, api_key)
    if key is None:
        raise error(403, "invalid_api_key")
    return key


def _reader(key: ApiKey) -> Actor:
    """The key's administration's system, as the history and the access log name it."""
    return Actor(
        role=Role.integration,
        administration_id=key.administration_id,
        api_key_id=key.id,
        api_key_name=key.name,
    )


# --- services


async def _one_service(session: AsyncSession, code: str) -> tuple[Administration, Service]:
    found = await repository.services(session, [code])
    if not found:
        raise error(404, "unknown_service", code=code)
    return found[0]


async def service_list(session: AsyncSession, language: Language) -> list[ServiceItem]:
    return [render.service_item(a, s, language) for a, s in await repository.services(session)]


async def service_definition(
    session: AsyncSession, code: str, language: Language
) -> ServiceDefinition:
    administration, service = await _one_service(session, code)
    return render.service_definition(administration, service, language)


# --- requests


async def _items(
    session: AsyncSession,
    direct: Direct,
    found: RequestFilter,
    language: Language,
    key: ApiKey | None,
    *,
    limit: int,
    offset: int,
) -> list[RequestItem]:
    """The page read on the driver (no session: an anonymous caller's page opens none); the
    owning key's access-log rows written in the session, committed with the answer."""
    rows = await repository.request_page(
        direct,
        found,
        owner=key.administration_id if key else None,
        language=language,
        limit=limit,
        offset=offset,
    )
    owned = [row.id for row in rows if row.owned]
    if key is not None and owned:  # the owning key read their personal fields
        await access_log.record_many(session, owned, _reader(key), "detail", clock.now())
    return [render.request_item(row, language) for row in rows]


async def request_list(
    session: AsyncSession,
    direct: Direct,
    query: forms.RequestQuery,
    *,
    language: Language,
    key: ApiKey | None,
    now: datetime,
) -> list[RequestItem]:
    """Requests newest first: by ids (which override every other filter, as the specification
    says), or requested within at most 90 days (default the last 90), 1000 at a time."""
    limit, offset = forms.page_of(query)
    if query.ids is not None:
        found = RequestFilter(public_ids=forms.ids_of(query))
        return await _items(session, direct, found, language, key, limit=limit, offset=offset)
    start, end = forms.period_of(query, now)
    service_ids = None
    if query.service_codes:
        codes = forms.service_codes_of(query)
        services = await repository.services(session, codes)
        unknown = codes - {render.code_of(a, s) for a, s in services}
        if unknown:
            raise error(404, "unknown_service", code=", ".join(sorted(unknown)))
        service_ids = [s.id for _, s in services]
    wanted = forms.statuses_of(query)
    open_values = [s.value for s in render.OPEN_STATES]
    found = RequestFilter(
        # `requested_datetime` is when the person made the request (a letter's arrival).
        received_from=start,
        received_to=end,
        service_ids=service_ids,
        states=open_values if wanted == {"open"} else None,
        not_states=open_values if wanted == {"closed"} else None,
    )
    return await _items(session, direct, found, language, key, limit=limit, offset=offset)


async def one_request(
    session: AsyncSession,
    direct: Direct,
    public_id: str,
    *,
    language: Language,
    key: ApiKey | None,
) -> list[RequestItem]:
    rows = await repository.request_page(
        direct,
        RequestFilter(public_ids=[public_id]),
        owner=key.administration_id if key else None,
        language=language,
        limit=1,
        offset=0,
    )
    if not rows:
        raise error(404, "unknown_request", id=public_id)
    if key is not None and rows[0].owned:  # the owning key read its personal fields
        await access_log.record(session, rows[0].id, _reader(key), "detail", clock.now())
    return [render.request_item(row, language) for row in rows]


async def token(session: AsyncSession, value: str) -> list[TokenItem]:
    """Requests are filed at once, so the POST answers `service_request_id` and no token; for
    clients written for queued servers, each id serves as its own token."""
    found = await repository.public_id(session, value)
    if found is None:
        raise error(404, "unknown_token")
    return [TokenItem(service_request_id=found, token=value)]


# --- submission


async def submit(
    session: AsyncSession,
    form: Mapping[str, str],
    attributes: Mapping[str, Any],
    *,
    key: ApiKey,
    idempotency_key: str | None,
    language: Language,
    settings: Settings,
    now: datetime,
) -> list[PostedRequest]:
    """File through the one submission path of the API, as an integration of the key's
    administration; a retry with the same `Idempotency-Key` gets the first answer."""
    if idempotency_key is not None and len(idempotency_key) > forms.IDEMPOTENCY_KEY_MAX:
        raise error(400, "bad_idempotency_key", max=forms.IDEMPOTENCY_KEY_MAX)
    code = (form.get("service_code") or "").strip()
    if not code:
        raise error(400, "service_code_required")
    administration, service = await _one_service(session, code)
    if administration.id != key.administration_id:
        raise error(403, "other_administration")
    payload = forms.payload(form, attributes, administration, service, language)
    actor = _reader(key)  # the filing's history names the key, as its actions' do

    async def work() -> idempotency.Answer:
        try:
            submitted = await requests_service.submit(
                session,
                payload,
                actor,
                language=language,
                settings=settings,
                now=now,
                address=f"api_key:{key.id}",  # a system's tries count against its key
            )
        except ValidationFailed as invalid:
            raise Open311Error(400, *(forms.describe(e) for e in invalid.errors)) from None
        request = submitted.request
        item = PostedRequest(
            service_request_id=request.public_id or "",
            service_notice=render.notice(request.due_at, language),
            tracking_number=request.tracking_number,
        )
        return idempotency.Answer(201, [item.model_dump(mode="json")])

    # A key reused with another body, or still running, is a problem the GeoReport rendering
    # of the router turns into an error list (422 as the specification's 400).
    answer, _ = await idempotency.once(
        session,
        scope=f"api_key:{key.id}:POST /open311/v2/requests",
        key=idempotency_key,
        payload={"form": sorted(form.items()), "attributes": attributes},
        now=now,
        ttl_hours=settings.idempotency_ttl_hours,
        work=work,
    )
    return [PostedRequest.model_validate(item) for item in answer.body]
