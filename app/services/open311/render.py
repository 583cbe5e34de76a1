"""The facade's answers: our rows and catalogue as the specification's objects, and those as
JSON (the "Spark convention": collections are arrays) or XML."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from pydantic import BaseModel, TypeAdapter

from app.i18n import Language, translate
from app.models.catalogue import Administration, Service
from app.models.enums import State
from app.schemas.open311 import (
    DefinitionAttribute,
    DefinitionValue,
    Discovery,
    Endpoint,
    RequestItem,
    ServiceDefinition,
    ServiceItem,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this facade's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-23T00:00:00Z"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The specification knows two statuses: `open` while the administration (or the national
# level, on appeal) still owes an answer, `closed` once it has given one or the request ended.
OPEN_STATES = frozenset(
    {State.submitted, State.in_progress, State.awaiting_citizen, State.appealed}
)
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


def w3c(moment: datetime) -> str:
    """A W3C datetime in UTC, to the second, with its `Z`: what every GeoReport client parses."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def code_of(administration: Administration, service: Service) -> str:
    return f"{administration.code}-{service.code}"


def status_of(state: str) -> str:
    return "open" if State(state) in OPEN_STATES else "closed"


def notice(due_at: datetime, language: Language) -> str:
    return translate("open311.notice", language, due=due_at.date().isoformat())


# --- the catalogue


def service_item(
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


def service_definition(
    administration: Administration, service: Service, language: Language
) -> ServiceDefinition:
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


def request_item(row: Any, language: Language) -> RequestItem:
    """The specification's request object, from a row of `repositories.open311.request_page`
    (its names in `language` already).
    Anonymous callers get only what identifies nobody: the public id, the service, the status,
    the dates, the agency and a fixed label of the state as `status_notes`."""
    status = status_of(row.state)
    closed = status == "closed"
    full = bool(row.owned)  # the owning administration's own system sees its requests in full
    changed = row.updated_at if full else (row.last_public_change or row.created_at)
    # A fixed label of the state for everyone; the administration's own words (its latest
    # public reply) only for its own key, which sees the request in full.
    label = translate(f"open311.status_notes.{row.state}", language)
    fields: dict[str, Any] = {
        "service_request_id": row.public_id or "",
        "status": status,
        "status_notes": (row.status_notes or label) if full else label,
        "service_name": row.service_name if row.service_code else None,
        "service_code": f"{row.administration_code}-{row.service_code}"
        if row.service_code
        else None,
        "agency_responsible": row.administration_name,
        # When the person made it: a letter's or a call's date, not its registration.
        "requested_datetime": w3c(row.received_at),
        "updated_datetime": w3c(row.closed_at if closed and row.closed_at else changed),
        "expected_datetime": w3c(row.due_at),
    }
    if full:
        fields["description"] = row.description
        fields["service_notice"] = notice(row.due_at, language)
        fields["address"] = row.address
        fields["lat"] = row.latitude
        fields["long"] = row.longitude
        fields["tracking_number"] = row.tracking_number  # what its actions name
    # Every value is of its field's type already (strings and floats from the row, a page of
    # up to 1000): built without validating each again.
    return RequestItem.model_construct(**fields)


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


# --- JSON and XML


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


@functools.cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    # Building a TypeAdapter costs far more than using one: once per type.
    return TypeAdapter(kind)


def encode(fmt: str, root: str, value: BaseModel | list[Any]) -> bytes:
    """The same data as JSON or as XML (whose root element is `root`)."""
    adapter = _adapter(type(value))
    if fmt == "xml":
        return to_xml(root, adapter.dump_python(value, mode="json"))
    # pydantic-core writes the bytes (UTF-8, not escaped), no intermediate dicts.
    return adapter.dump_json(value)
