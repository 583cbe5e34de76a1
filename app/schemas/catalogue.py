"""Catalogue shapes: administrations, services and their attribute definitions (Open311)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models.enums import Kind
from app.schemas.common import Localized, body_config
from app.schemas.privacy import privacy_notice_field


class Datatype(StrEnum):
    """Open311 datatypes, plus the portal's own typed fields."""

    string = "string"
    text = "text"
    number = "number"
    datetime = "datetime"
    date = "date"
    boolean = "boolean"
    singlevaluelist = "singlevaluelist"
    multivaluelist = "multivaluelist"
    email = "email"
    phone = "phone"
    national_id = "national_id"


LIST_DATATYPES = (Datatype.singlevaluelist, Datatype.multivaluelist)


class AttributeValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: Localized


ATTRIBUTE_EXAMPLE: dict[str, Any] = {
    "code": "policy_number",
    "datatype": "string",
    "required": True,
    "order": 1,
    "description": {"ar": "رقم العقد", "fr": "Numéro de police", "en": "Policy number"},
    "max_length": 40,
    "values": [],
    "personal": True,
}


class AttributeDefinition(BaseModel):
    """One extra field of a service's form, in Open311's vocabulary with localized labels."""

    model_config = body_config(ATTRIBUTE_EXAMPLE)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    datatype: Datatype
    required: bool = False
    order: int = Field(ge=1)
    description: Localized
    max_length: int | None = Field(default=None, ge=1, le=5000)
    minimum: float | None = Field(default=None, description="Numbers: the least value.")
    maximum: float | None = Field(default=None, description="Numbers: the greatest value.")
    values: list[AttributeValue] = Field(default_factory=list)
    personal: bool = Field(
        default=False,
        description="Personal data (law 09-08): a name, a national id, a policy number... "
        "Removed with the rest of the request's personal data once its retention has passed "
        "(email, phone and national-id fields always are).",
    )

    @model_validator(mode="after")
    def _values_match_datatype(self) -> Self:
        if (self.datatype in LIST_DATATYPES) != bool(self.values):
            raise ValueError("values are required for list datatypes and only for them")
        if self.max_length is not None and self.datatype not in (Datatype.string, Datatype.text):
            raise ValueError("max_length applies to string and text only")
        bounded = self.minimum is not None or self.maximum is not None
        if bounded and self.datatype is not Datatype.number:
            raise ValueError("minimum and maximum apply to numbers only")
        return self


class ServiceOut(BaseModel):
    code: str = Field(examples=["insurance"])
    name: Localized
    description: Localized
    kinds: list[Kind] = Field(description="The request kinds this service accepts.")
    answer_days: int = Field(description="Days the administration has to answer (legal deadline).")
    reopen_window_days: int = Field(
        description="Days after an answer during which it can be reopened."
    )
    required_documents: list[Localized]
    attributes: list[AttributeDefinition] = Field(
        description="Extra fields of the form, sorted by `order`."
    )
    requires_verified_contact: bool = Field(
        default=False,
        description="Filing needs `complainant.verification_code`: the code sent by "
        "`POST /api/v1/citizens/otp` to the complainant's email or phone.",
    )
    privacy_notice: str = privacy_notice_field()


class AdministrationSummary(BaseModel):
    code: str = Field(examples=["ACAPS"])
    name: Localized
    sector: str = Field(examples=["finance"])
    parent: str | None = Field(default=None, description="Code of the parent body, for a sub-unit.")
    is_sample: bool = Field(description="True for the sample catalogue shipped with the project.")


class AdministrationOut(AdministrationSummary):
    answer_days: int
    reopen_window_days: int
    services: list[ServiceOut]


# --- the sample catalogue file (app/data/sample_catalogue.json)


class SampleService(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,47}$")
    name: Localized
    description: Localized
    kinds: list[Kind] = Field(min_length=1)
    answer_days: int | None = Field(default=None, ge=1, le=90)
    reopen_window_days: int | None = Field(default=None, ge=1, le=90)
    required_documents: list[Localized] = Field(default_factory=list)
    attributes: list[AttributeDefinition] = Field(default_factory=list)
    requires_verified_contact: bool = False

    @model_validator(mode="after")
    def _unique_attributes(self) -> Self:
        codes = [a.code for a in self.attributes]
        orders = [a.order for a in self.attributes]
        if len(set(codes)) != len(codes) or len(set(orders)) != len(orders):
            raise ValueError(f"service {self.code}: attribute codes and orders must be unique")
        return self


class SampleAdministration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
    name: Localized
    sector: str = Field(pattern=r"^[a-z_]{2,32}$")
    parent: str | None = None
    answer_days: int | None = Field(default=None, ge=1, le=90)
    reopen_window_days: int | None = Field(default=None, ge=1, le=90)
    services: list[SampleService]


class SampleCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample: bool
    notice: Localized
    administrations: list[SampleAdministration]
