"""What GeoReport clients send, read and checked: the format and jurisdiction of every call, the
filters of a GET of requests, and the form-encoded body of a POST (as a `RequestIn`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from app.errors import FieldError, field_error_from_pydantic
from app.i18n import Language, translate
from app.models.catalogue import Administration, Service
from app.models.enums import Channel, Kind
from app.schemas.common import in_calendar
from app.schemas.requests import DESCRIPTION_MAX, RequestIn
from app.services.open311.errors import Open311Error, error
from app.services.open311.render import FORMATS

JURISDICTION = "chikaya.ma"
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
# Deep pages cost a walk along the index; past this, narrow the dates instead.
MAX_OFFSET = 10_000
# Open311 caps descriptions at 4000 characters; ours hold more, so both limits hold.
OPEN311_DESCRIPTION_MAX = min(4000, DESCRIPTION_MAX)
SUBJECT_LENGTH = 80
IDEMPOTENCY_KEY_MAX = 255
STATUSES = frozenset({"open", "closed"})


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """One jurisdiction is served; giving it is optional, giving another is a 404."""
    if jurisdiction_id and jurisdiction_id != JURISDICTION:
        raise error(404, "unknown_jurisdiction", jurisdiction=JURISDICTION)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise error(404, "unknown_format")
    return fmt


def csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


# --- the filters of GET requests


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


def page_of(query: RequestQuery) -> tuple[int, int]:
    """`(limit, offset)` of the `page`/`page_size` extension (1000 a page by default)."""
    page_size = _positive("page_size", query.page_size, MAX_RESULTS, MAX_RESULTS)
    page = _positive("page", query.page, 1, MAX_OFFSET)
    if (page - 1) * page_size >= MAX_OFFSET:
        raise error(400, "page_too_deep", max=MAX_OFFSET)
    return page_size, (page - 1) * page_size


def ids_of(query: RequestQuery) -> list[str]:
    return csv(query.ids)[:MAX_RESULTS]


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


def period_of(query: RequestQuery, now: datetime) -> tuple[datetime, datetime]:
    """At most 90 days of `requested_datetime`, by default the 90 days up to now."""
    end = _parse_datetime("end_date", query.end_date) or now
    start = _parse_datetime("start_date", query.start_date) or end - MAX_SPAN
    if start > end:
        raise error(400, "start_after_end")
    if end - start > MAX_SPAN:
        raise error(400, "span_too_long")
    return start, end


def service_codes_of(query: RequestQuery) -> set[str]:
    return set(csv(query.service_codes))


def statuses_of(query: RequestQuery) -> set[str]:
    """`open`, `closed`, both or none (none and both mean any)."""
    wanted = set(csv(query.status))
    if not wanted <= STATUSES:
        raise error(400, "bad_status")
    return wanted


# --- the body of POST requests


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
            typed[code] = csv(value)
        else:
            typed[code] = value
    return typed


def _location(form: Mapping[str, str]) -> dict[str, Any] | None:
    address = (form.get("address_string") or "").strip() or None
    lat, long = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not (address or lat or long):
        return None
    return {"address": address, "lat": lat or None, "long": long or None}


def describe(failure: FieldError) -> str:
    """A field error in Open311's words: `attribute[code]`, `email`, `lat`, ..."""
    name = failure.field
    for prefix in ("complainant.", "location."):
        name = name.removeprefix(prefix)
    if name.startswith("attributes."):
        name = f"attribute[{name.removeprefix('attributes.')}]"
    return f"{name}: {failure.render()['message']}"


def payload(
    form: Mapping[str, str],
    attributes: Mapping[str, Any],
    administration: Administration,
    service: Service,
    language: Language,
) -> RequestIn:
    """The submission a POST's form describes, on channel `integration` (400 with every field
    error in Open311's words when it is not one)."""
    description = (form.get("description") or "").strip()
    if len(description) > OPEN311_DESCRIPTION_MAX:
        raise Open311Error(
            400,
            describe(FieldError("description", "too_long", {"max": OPEN311_DESCRIPTION_MAX})),
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
        raise Open311Error(400, *(describe(e) for e in errors)) from None
