"""Shapes of the catalogue's management: administrations and services as national admins create
and edit them (and supervisors their own services' texts and attributes).

The bodies reuse the public catalogue's field names and its attribute-definition shape, so what
an administrator sends is what the catalogue then shows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.models.enums import Kind
from app.schemas.catalogue import (
    ATTRIBUTE_EXAMPLE,
    AdministrationSummary,
    AttributeDefinition,
    ServiceOut,
)
from app.schemas.common import body_config
from app.schemas.text import VisibleText

ADMINISTRATION_CODE = r"^[A-Z0-9][A-Z0-9_-]{1,31}$"
SERVICE_CODE = r"^[a-z0-9][a-z0-9_-]{1,47}$"
SECTOR = r"^[a-z_]{2,32}$"
# Decree 2-17-265: an answer within 60 days; law 31-13: information within 20.
LEGAL_MAX_ANSWER_DAYS = 60
LEGAL_MAX_INFORMATION_DAYS = 20
MAX_WINDOW_DAYS = 90
MAX_ATTRIBUTES = 50
MAX_VALUES = 100
MAX_DOCUMENTS = 20

# What supervisors may change on their own administration's services.
SUPERVISOR_FIELDS = frozenset({"name", "description", "required_documents", "attributes"})

Text = Annotated[VisibleText, Field(min_length=1, max_length=2000)]
# Bounds that keep numbers sane; the legal maxima are checked with a field error of their own
# (`over_legal_maximum`), which names the maximum that applies.
Days = Annotated[int, Field(ge=1, le=366)]
WindowDays = Annotated[int, Field(ge=1, le=MAX_WINDOW_DAYS)]


class LocalizedIn(BaseModel):
    """A text in each of the portal's three languages: all three, each showing something."""

    model_config = body_config(
        {"ar": "التأمين", "fr": "Assurance", "en": "Insurance"}, strip_whitespace=True
    )

    ar: Text
    fr: Text
    en: Text


_NAME = {"ar": "شكايات التأمين", "fr": "Réclamations d'assurance", "en": "Insurance complaints"}
_DESCRIPTION = {
    "ar": "شكايات ضد شركات التأمين",
    "fr": "Réclamations contre une compagnie d'assurance",
    "en": "Complaints against an insurance company",
}
_SERVICE_EXAMPLE: dict[str, Any] = {
    "code": "insurance",
    "name": _NAME,
    "description": _DESCRIPTION,
    "kinds": ["complaint", "observation"],
    "answer_days": 45,
    "required_documents": [
        {"ar": "نسخة من العقد", "fr": "Copie du contrat", "en": "Copy of the policy"}
    ],
    "attributes": [ATTRIBUTE_EXAMPLE],
    "requires_verified_contact": False,
}
_ADMINISTRATION_EXAMPLE: dict[str, Any] = {
    "code": "ACAPS",
    "name": {
        "ar": "هيئة مراقبة التأمينات والاحتياط الاجتماعي",
        "fr": "Autorité de contrôle des assurances et de la prévoyance sociale",
        "en": "Insurance and Social Welfare Supervisory Authority",
    },
    "sector": "finance",
    "answer_days": 60,
}

_ANSWER_DAYS = (
    "Days to answer; `null` (or absent): the administration's, else the portal's 60. At most "
    "60 (decree 2-17-265), and 20 when the service takes information requests (law 31-13): "
    "past that, `over_legal_maximum`."
)
_ATTRIBUTES = (
    "Extra fields of the form, in the public catalogue's shape. Codes and orders unique, list "
    "datatypes with their `values` (keys unique) and only they, `max_length` for string and "
    "text only, `minimum` ≤ `maximum` for numbers only."
)


class ServiceCreate(BaseModel):
    """A new service of an administration, in the public catalogue's field names."""

    model_config = body_config(_SERVICE_EXAMPLE, strip_whitespace=True)

    code: str = Field(
        pattern=SERVICE_CODE,
        description="Unique within the administration; never changes (requests, Open311 and "
        "integrations name the service by it).",
    )
    name: LocalizedIn
    description: LocalizedIn
    kinds: list[Kind] = Field(
        min_length=1, max_length=len(Kind), description="The request kinds it accepts."
    )
    answer_days: Days | None = Field(default=None, description=_ANSWER_DAYS)
    reopen_window_days: WindowDays | None = Field(
        default=None, description="Days to reopen after an answer; `null`: the administration's."
    )
    required_documents: list[LocalizedIn] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    attributes: list[AttributeDefinition] = Field(
        default_factory=list, max_length=MAX_ATTRIBUTES, description=_ATTRIBUTES
    )
    requires_verified_contact: bool = False


_PATCH_EXAMPLES: list[Any] = [
    {"name": _NAME, "attributes": [ATTRIBUTE_EXAMPLE]},
    {"answer_days": 30, "kinds": ["complaint"]},
    {"archived": True},
]


class ServicePatch(BaseModel):
    """The fields to change; those absent stay as they are. Supervisors may send only `name`,
    `description`, `required_documents` and `attributes`."""

    model_config = body_config(examples=_PATCH_EXAMPLES, strip_whitespace=True)

    name: LocalizedIn | None = None
    description: LocalizedIn | None = None
    kinds: list[Kind] | None = Field(default=None, min_length=1, max_length=len(Kind))
    answer_days: Days | None = Field(
        default=None, description=_ANSWER_DAYS + " National admins only."
    )
    reopen_window_days: WindowDays | None = Field(
        default=None, description="`null`: the administration's. National admins only."
    )
    required_documents: list[LocalizedIn] | None = Field(default=None, max_length=MAX_DOCUMENTS)
    attributes: list[AttributeDefinition] | None = Field(
        default=None,
        max_length=MAX_ATTRIBUTES,
        description=_ATTRIBUTES + " Replaces the whole list; requests already filed keep "
        "their values.",
    )
    requires_verified_contact: bool | None = None
    archived: bool | None = Field(
        default=None,
        description="`true`: out of the public catalogue and refused to new filings "
        "(`service_archived`), while the requests already filed keep showing it; `false` "
        "brings it back. National admins only.",
    )


class AdministrationCreate(BaseModel):
    """A new administration, in the public catalogue's field names."""

    model_config = body_config(_ADMINISTRATION_EXAMPLE, strip_whitespace=True)

    code: str = Field(
        pattern=ADMINISTRATION_CODE,
        description="Unique; capitals, digits, `_` and `-`; never changes.",
    )
    name: LocalizedIn
    sector: str = Field(pattern=SECTOR, examples=["finance"])
    parent: str | None = Field(
        default=None, max_length=32, description="Code of the parent body, for a sub-unit."
    )
    answer_days: Days | None = Field(
        default=None,
        description="Days to answer for its services that set none; `null`: the portal's 60. "
        "At most 60 (`over_legal_maximum`).",
    )
    reopen_window_days: WindowDays | None = None


class AdministrationPatch(BaseModel):
    """The fields to change; those absent stay as they are (`null` resets a deadline to the
    portal's default, or removes the parent)."""

    model_config = body_config(
        examples=[{"answer_days": 45}, {"sector": "finance"}], strip_whitespace=True
    )

    name: LocalizedIn | None = None
    sector: str | None = Field(default=None, pattern=SECTOR)
    parent: str | None = Field(default=None, max_length=32)
    answer_days: Days | None = None
    reopen_window_days: WindowDays | None = None


class ServiceAdminOut(ServiceOut):
    """A service as the back office sees it: the public view, whose it is and whether it is
    archived. `answer_days` and `reopen_window_days` are those in force."""

    administration: str = Field(examples=["ACAPS"])
    reference: str = Field(
        examples=["ACAPS-insurance"],
        description="`ADMINISTRATION-code`, as Open311's `service_code`: the `{service}` of "
        "`/api/v1/backoffice/services/{service}`.",
    )
    archived: bool


class AdministrationAdminOut(AdministrationSummary):
    """An administration as the back office sees it, with every service, archived ones too."""

    answer_days: int
    reopen_window_days: int
    services: list[ServiceAdminOut]


class ServiceRemoved(BaseModel):
    """What `DELETE` did: a service never used is deleted, one used by requests archived."""

    reference: str = Field(examples=["ACAPS-insurance"])
    outcome: Literal["deleted", "archived"]
