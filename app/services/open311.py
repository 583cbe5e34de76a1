"""Open311 GeoReport v2 facade: the catalogue and requests in the civic-tech standard.

Deviations, on purpose (also in the API description): complaints are private, so anonymous
GETs show only non-identifying fields and an id that is not the tracking number; a location
is optional (a complaint concerns an administration, not a place); the POST answer adds the
`tracking_number` the person needs; service codes are `ADMINISTRATION-service`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import (
    FieldError,
    ValidationFailed,
    field_error_from_pydantic,
)
from app.i18n import Language, translate
from app.models.catalogue import Administration, Service
from app.models.enums import Channel, Kind, Role, State
from app.models.integration import ApiKey
from app.models.request import Request
from app.repositories import open311 as repository
from app.schemas.common import in_calendar
from app.schemas.open311 import (
    DefinitionAttribute,
    DefinitionValue,
    Discovery,
    Endpoint,
    ErrorItem,
    PostedRequest,
    RequestItem,
    ServiceDefinition,
    ServiceItem,
    TokenItem,
)
from app.schemas.requests import DESCRIPTION_MAX, RequestIn
from app.services import access_log, api_keys, clock, idempotency
from app.services import requests as requests_service
from app.services.lifecycle import Actor

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this facade's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-23T00:00:00Z"
JURISDICTION = "chikaya.ma"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
OPEN_STATES = frozenset(
    {State.submitted, State.in_progress, State.awaiting_citizen, State.appealed}
)
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
# Deep pages cost a walk along the index; past this, narrow the dates instead.
MAX_OFFSET = 10_000
# Open311 caps descriptions at 4000 characters; ours hold more, so both limits hold.
OPEN311_DESCRIPTION_MAX = min(4000, DESCRIPTION_MAX)
SUBJECT_LENGTH = 80
IDEMPOTENCY_KEY_MAX = 255
# Our extra datatypes travel as Open311 strings, explained in `datatype_description`
# (the message `open311.datatype.<ours>`).
EXTRA_DATATYPES = frozenset({"boolean", "date", "email", "phone", "national_id"})
# Characters XML 1.0 cannot carry, even escaped; free text may hold them.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# XML: a collection element holds repeated elements of the singular name.
PLURALS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    """Rendered as GeoReport's error list: `[{"code": ..., "description": ...}]`."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = list(descriptions)


def error(status: int, key: str, **params: object) -> Open311Error:
    """The error of message `open311.<key>`, in the language of the request."""
    return Open311Error(status, translate(f"open311.{key}", None, **params))


def w3c(moment: datetime) -> str:
    """A W3C datetime in UTC, to the second, with its `Z`: what every GeoReport client parses."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def code_of(administration: Administration, service: Service) -> str:
    return f"{administration.code}-{service.code}"


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """One jurisdiction is served; giving it is optional, giving another is a 404."""
    if jurisdiction_id and jurisdiction_id != JURISDICTION:
        raise error(404, "unknown_jurisdiction", jurisdiction=JURISDICTION)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise error(404, "unknown_format")
    return fmt


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


async def authenticate(session: AsyncSession, api_key: str | None) -> ApiKey | None:
    """The integration key, if one is given; a wrong or revoked one is a 403, never ignored."""
    if not api_key:
        return None
    key = await api_keys.authenticate(session, api_key)
    if key is None:
        raise error(403, "invalid_api_key")
    return key


# --- services


async def _services(
    session: AsyncSession, codes: Iterable[str] | None = None
) -> list[tuple[Administration, Service]]:
    stmt = (
        select(Administration, Service)
        .join(Service, Service.administration_id == Administration.id)
        .where(Service.active)
        .order_by(Administration.code, Service.code)
    )
    if codes is not None:
        stmt = stmt.where((Administration.code + "-" + Service.code).in_(list(codes)))
    return [(a, s) for a, s in (await session.execute(stmt)).all()]


async def _one_service(session: AsyncSession, code: str) -> tuple[Administration, Service]:
    found = await _services(session, [code])
    if not found:
        raise error(404, "unknown_service", code=code)
    return found[0]


def _service_item(
    administration: Administration, service: Service, language: Language
) -> ServiceItem:
    return ServiceItem(
        service_code=code_of(administration, service),
        service_name=service.name[language],
        description=service.description[language],
        metadata=bool(service.attributes),
        keywords=",".join(service.kinds),
        group=administration.name[language],
    )


async def service_list(session: AsyncSession, language: Language) -> list[ServiceItem]:
    return [_service_item(a, s, language) for a, s in await _services(session)]


async def service_definition(
    session: AsyncSession, code: str, language: Language
) -> ServiceDefinition:
    administration, service = await _one_service(session, code)
    attributes = []
    for definition in sorted(service.attributes, key=lambda d: d["order"]):
        datatype, note = definition["datatype"], None
        if datatype in EXTRA_DATATYPES:
            datatype, note = "string", translate(f"open311.datatype.{datatype}", language)
        attributes.append(
            DefinitionAttribute(
                code=definition["code"],
                datatype=datatype,
                required=bool(definition.get("required")),
                datatype_description=note,
                order=definition["order"],
                description=definition["description"][language],
                values=[
                    DefinitionValue(key=v["key"], name=v["name"][language])
                    for v in definition.get("values", [])
                ],
            )
        )
    return ServiceDefinition(service_code=code_of(administration, service), attributes=attributes)


# --- requests


def _status(state: str) -> str:
    return "open" if State(state) in OPEN_STATES else "closed"


def _notice(due_at: datetime, language: Language) -> str:
    return translate("open311.notice", language, due=due_at.date().isoformat())


def _request_item(row: Row[Any], language: Language) -> RequestItem:
    """The specification's request object. Anonymous callers get only what identifies nobody:
    the public id, the service, the status, the dates and the agency."""
    status = _status(row.state)
    closed = status == "closed"
    full = bool(row.owned)  # the owning administration's own system sees its requests in full
    changed = row.updated_at if full else (row.last_public_change or row.created_at)
    item = RequestItem(
        service_request_id=row.public_id or "",
        status=status,
        service_name=row.service_name[language] if row.service_code else None,
        service_code=f"{row.administration_code}-{row.service_code}" if row.service_code else None,
        agency_responsible=row.administration_name[language],
        # When the person made it: a letter's or a call's date, not its registration.
        requested_datetime=w3c(row.received_at),
        updated_datetime=w3c(row.closed_at if closed and row.closed_at else changed),
        expected_datetime=w3c(row.due_at),
    )
    # A fixed label of the state for everyone; the administration's own words (its latest
    # public reply) only for its own key, which sees the request in full.
    label = translate(f"open311.status_notes.{row.state}", language)
    item.status_notes = (row.status_notes or label) if full else label
    if full:
        item.description = row.description
        item.service_notice = _notice(row.due_at, language)
        item.address = row.address
        item.lat = row.latitude
        item.long = row.longitude
    return item


def _parse_datetime(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise error(400, "bad_datetime", name=name) from None
    # Aware, and inside the calendar once in UTC (the 90-day span is computed from it).
    if parsed.tzinfo is None or not in_calendar(parsed):
        raise error(400, "bad_datetime", name=name)
    return parsed


@dataclass(frozen=True)
class RequestQuery:
    """The GET filters of the specification, plus the `page`/`page_size` extension."""

    ids: str | None = None
    service_codes: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None
    page: str | None = None
    page_size: str | None = None


def _positive(name: str, value: str | None, default: int, maximum: int) -> int:
    if not value:
        return default
    # ASCII only ("²" and "١" are digits to str.isdigit), and short before int() reads it.
    if (
        not (value.isascii() and value.isdigit() and len(value) <= 9)
        or not 1 <= int(value) <= maximum
    ):
        raise error(400, "bad_integer", name=name, max=maximum)
    return int(value)


async def _items(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    language: Language,
    key: ApiKey | None,
    *,
    limit: int = MAX_RESULTS,
    offset: int = 0,
) -> list[RequestItem]:
    rows = await repository.request_page(
        session,
        conditions,
        owner=key.administration_id if key else None,
        limit=limit,
        offset=offset,
    )
    owned = [row.id for row in rows if row.owned]
    if key is not None and owned:  # the owning key read their personal fields
        await access_log.record_many(session, owned, _reader(key), "detail", clock.now())
    return [_request_item(row, language) for row in rows]


def _reader(key: ApiKey) -> Actor:
    return Actor(
        role=Role.integration,
        administration_id=key.administration_id,
        api_key_id=key.id,
        api_key_name=key.name,
    )


async def request_list(
    session: AsyncSession,
    query: RequestQuery,
    *,
    language: Language,
    key: ApiKey | None,
    now: datetime,
) -> list[RequestItem]:
    """Requests newest first: by ids (which override every other filter, as the specification
    says), or requested within at most 90 days (default the last 90), 1000 at a time."""
    page_size = _positive("page_size", query.page_size, MAX_RESULTS, MAX_RESULTS)
    page = _positive("page", query.page, 1, MAX_OFFSET)
    if (page - 1) * page_size >= MAX_OFFSET:
        raise error(400, "page_too_deep", max=MAX_OFFSET)
    conditions: list[ColumnElement[bool]] = []
    if query.ids is not None:
        conditions.append(Request.public_id.in_(_csv(query.ids)[:MAX_RESULTS]))
    else:
        end = _parse_datetime("end_date", query.end_date) or now
        start = _parse_datetime("start_date", query.start_date) or end - MAX_SPAN
        if start > end:
            raise error(400, "start_after_end")
        if end - start > MAX_SPAN:
            raise error(400, "span_too_long")
        # `requested_datetime` is when the person made the request (a letter's arrival).
        conditions += [Request.received_at >= start, Request.received_at <= end]
        if query.service_codes:
            codes = set(_csv(query.service_codes))
            found = await _services(session, codes)
            unknown = codes - {code_of(a, s) for a, s in found}
            if unknown:
                raise error(404, "unknown_service", code=", ".join(sorted(unknown)))
            conditions.append(Request.service_id.in_([s.id for _, s in found]))
        wanted = set(_csv(query.status))
        if not wanted <= {"open", "closed"}:
            raise error(400, "bad_status")
        open_values = [s.value for s in OPEN_STATES]
        if wanted == {"open"}:
            conditions.append(Request.state.in_(open_values))
        elif wanted == {"closed"}:
            conditions.append(Request.state.not_in(open_values))
    return await _items(
        session, conditions, language, key, limit=page_size, offset=(page - 1) * page_size
    )


async def one_request(
    session: AsyncSession, public_id: str, *, language: Language, key: ApiKey | None
) -> list[RequestItem]:
    rows = await repository.request_page(
        session,
        [Request.public_id == public_id],
        owner=key.administration_id if key else None,
        limit=1,
        offset=0,
    )
    if not rows:
        raise error(404, "unknown_request", id=public_id)
    if key is not None and rows[0].owned:  # the owning key read its personal fields
        await access_log.record(session, rows[0].id, _reader(key), "detail", clock.now())
    return [_request_item(row, language) for row in rows]


async def token(session: AsyncSession, value: str) -> list[TokenItem]:
    """Requests are filed at once, so the POST answers `service_request_id` and no token; for
    clients written for queued servers, each id serves as its own token."""
    found = await session.scalar(select(Request.public_id).where(Request.public_id == value))
    if found is None:
        raise error(404, "unknown_token")
    return [TokenItem(service_request_id=found, token=value)]


# --- submission


def parse_attributes(form: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`attribute[code]=v` and, for multi-valued ones, `attribute[code][]=v1&...`."""
    values: dict[str, Any] = {}
    for name, value in form:
        if not (name.startswith("attribute[") and "]" in name):
            continue
        code, _, rest = name[len("attribute[") :].partition("]")
        if rest == "[]":
            values.setdefault(code, [])
            if isinstance(values[code], list):
                values[code].append(value)
        else:
            values[code] = value
    return values


def _typed(definitions: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> dict[str, Any]:
    """Form values are strings: give numbers, booleans and lists their type before the
    catalogue's own validation (which then reports anything still wrong)."""
    kinds = {d["code"]: d["datatype"] for d in definitions}
    typed: dict[str, Any] = {}
    for code, value in values.items():
        kind = kinds.get(code)
        if isinstance(value, str) and kind == "number":
            try:
                typed[code] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
            except ValueError:
                typed[code] = value
        elif isinstance(value, str) and kind == "boolean":
            typed[code] = {"true": True, "false": False}.get(value.strip().lower(), value)
        elif isinstance(value, str) and kind == "multivaluelist":
            typed[code] = _csv(value)
        else:
            typed[code] = value
    return typed


def _location(form: Mapping[str, str]) -> dict[str, Any] | None:
    address = (form.get("address_string") or "").strip() or None
    lat, long = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not (address or lat or long):
        return None
    return {"address": address, "lat": lat or None, "long": long or None}


def _describe(error: FieldError) -> str:
    """A field error in Open311's words: `attribute[code]`, `email`, `lat`, ..."""
    name = error.field
    for prefix in ("complainant.", "location."):
        name = name.removeprefix(prefix)
    if name.startswith("attributes."):
        name = f"attribute[{name.removeprefix('attributes.')}]"
    return f"{name}: {error.render()['message']}"


def _payload(
    form: Mapping[str, str],
    attributes: Mapping[str, Any],
    administration: Administration,
    service: Service,
    language: Language,
) -> RequestIn:
    description = (form.get("description") or "").strip()
    if len(description) > OPEN311_DESCRIPTION_MAX:
        raise Open311Error(
            400,
            _describe(FieldError("description", "too_long", {"max": OPEN311_DESCRIPTION_MAX})),
        )
    name = " ".join(p.strip() for p in (form.get("first_name"), form.get("last_name")) if p)
    subject = description.split("\n", 1)[0][:SUBJECT_LENGTH].strip()
    kind = Kind.complaint if Kind.complaint in service.kinds else Kind(service.kinds[0])
    try:
        return RequestIn(
            kind=kind,
            administration=administration.code,
            service=service.code,
            subject=subject if len(subject) >= 3 else service.name[language],
            description=description,
            attributes=_typed(service.attributes, attributes),
            channel=Channel.integration,
            language=language,
            complainant={
                "full_name": name if len(name) >= 2 else translate("open311.name_not_given"),
                "email": form.get("email") or None,
                "phone": form.get("phone") or None,
            },
            location=_location(form),
        )
    except ValidationError as invalid:
        errors = [
            field_error_from_pydantic({**e, "loc": ("body", *e["loc"])}) for e in invalid.errors()
        ]
        raise Open311Error(400, *(_describe(e) for e in errors)) from None


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
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise error(400, "bad_idempotency_key", max=IDEMPOTENCY_KEY_MAX)
    code = (form.get("service_code") or "").strip()
    if not code:
        raise error(400, "service_code_required")
    administration, service = await _one_service(session, code)
    if administration.id != key.administration_id:
        raise error(403, "other_administration")
    payload = _payload(form, attributes, administration, service, language)
    actor = Actor(role=Role.integration, administration_id=key.administration_id)

    async def work() -> idempotency.Answer:
        try:
            submitted = await requests_service.submit(
                session, payload, actor, language=language, settings=settings, now=now
            )
        except ValidationFailed as invalid:
            raise Open311Error(400, *(_describe(e) for e in invalid.errors)) from None
        request = submitted.request
        item = PostedRequest(
            service_request_id=request.public_id or "",
            service_notice=_notice(request.due_at, language),
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


# --- discovery and rendering


def discovery(base_url: str) -> Discovery:
    return Discovery(
        changeset=CHANGESET,
        contact="Chikaya portal team, https://www.chikaya.ma",
        key_service="Integration keys are issued to administrations by the portal's national "
        "administrators (python -m app api-keys create).",
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=base_url,
                changeset=CHANGESET,
                type="production",
                formats=["text/xml", "application/json"],
            )
        ],
    )


def to_xml(root: str, value: Any) -> bytes:
    """GeoReport XML: collections become repeated singular elements, booleans true/false."""

    def fill(element: ElementTree.Element, data: Any, name: str) -> None:
        if isinstance(data, dict):
            for key, child in data.items():
                fill(ElementTree.SubElement(element, key), child, key)
        elif isinstance(data, list):
            for child in data:
                item_name = PLURALS.get(name, name)
                fill(ElementTree.SubElement(element, item_name), child, item_name)
        elif isinstance(data, bool):
            element.text = "true" if data else "false"
        elif data is not None:
            element.text = XML_FORBIDDEN.sub("", str(data))

    element = ElementTree.Element(root)
    fill(element, value, root)
    body = ElementTree.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def errors_body(failure: Open311Error) -> list[ErrorItem]:
    return [ErrorItem(code=failure.status, description=text) for text in failure.descriptions]
