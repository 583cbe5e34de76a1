"""Open311 GeoReport v2 shapes, field for field as the specification names them.

The same models give the JSON answers and, element for element, the XML ones; field order is
the specification's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ServiceItem(BaseModel):
    service_code: str = Field(examples=["ACAPS-insurance"])
    service_name: str
    description: str
    metadata: bool = Field(description="True when the service has attributes to fill in.")
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str = Field(description="The request kinds the service accepts, comma separated.")
    group: str = Field(description="The administration.")


class DefinitionValue(BaseModel):
    key: str
    name: str


class DefinitionAttribute(BaseModel):
    variable: bool = True
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[DefinitionValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[DefinitionAttribute]


class RequestItem(BaseModel):
    """A service request. Withheld fields are null: anonymous callers see no description,
    notice or location, and only a fixed label as notes (complaints are private)."""

    service_request_id: str = Field(description="The public id; never the tracking number.")
    status: Literal["open", "closed"]
    status_notes: str | None = Field(
        default=None,
        description="For the owning administration's key: its latest public reply (message or "
        "answer). For anyone else: a fixed label of the state, in the language of "
        "`Accept-Language`.",
        examples=["Being handled by the administration."],
    )
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str
    service_notice: str | None = None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str = Field(description="The legal deadline of the answer.")
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    tracking_number: str | None = Field(
        default=None,
        description="Our addition, for the owning administration's key only: the number its "
        "actions name (`POST /api/v1/backoffice/requests/{n}/actions/{action}` with "
        "`X-API-Key`). Null for anyone else.",
    )


class PostedRequest(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None = None
    tracking_number: str = Field(
        description="Our addition: the number the person tracks the request with (give it to "
        "them; with their email or phone it opens the request in the portal)."
    )


class TokenItem(BaseModel):
    service_request_id: str
    token: str


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class ErrorItem(BaseModel):
    code: int = Field(examples=[404])
    description: str = Field(examples=["Unknown service_code X-y."])
