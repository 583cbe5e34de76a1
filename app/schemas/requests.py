"""Shapes of requests: submission, the views of a request, messages and citizen actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.domain.errors import FieldCodeError
from app.models.enums import Channel, Kind, Outcome, PersonType, RejectionReason, State
from app.schemas.common import AwareMoment, Id, Localized, Moment
from app.schemas.contacts import Email, Phone
from app.schemas.privacy import privacy_notice_field
from app.schemas.text import FreeText, VisibleText, clean_values

Language = Literal["ar", "fr", "en"]

SUBJECT_MAX = 200
DESCRIPTION_MAX = 5000
MESSAGE_MAX = 5000
REASON_MAX = 2000
CANNED_CODE = r"^[a-z][a-z0-9_-]{1,47}$"  # a canned response's code
MAX_ATTRIBUTES = 50


class ComplainantIn(BaseModel):
    """The person filing: a natural or legal person, reachable by email and/or phone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    person_type: PersonType = PersonType.natural
    full_name: VisibleText = Field(
        min_length=2, max_length=200, examples=["Fatima Zahra El Idrissi"]
    )
    organization_name: VisibleText | None = Field(
        default=None, max_length=200, description="For a legal person: the company or association."
    )
    email: Email = Field(default=None, max_length=254, examples=["fatima@example.ma"])
    phone: Phone = Field(
        default=None,
        max_length=32,
        description="E.164 (`+212612345678`) or Moroccan national form (`0612345678`); "
        "foreign numbers in international form.",
        examples=["0612345678"],
    )
    national_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]{4,32}$",
        description="National identity card (CIN) or passport number.",
        examples=["AB123456"],
    )
    country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="Country of residence, ISO 3166-1 alpha-2 (Moroccans abroad may file).",
        examples=["MA"],
    )
    verification_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="The code `POST /api/v1/citizens/otp` sent to this email (or, without "
        "one, phone): required by services with `requires_verified_contact`, welcome anywhere; "
        "it serves once.",
        examples=["493027"],
    )

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        # The regions phonenumbers knows are ISO 3166-1 alpha-2 codes: every country people
        # live in, without a hand-kept list.
        if value is not None and value not in phonenumbers.SUPPORTED_REGIONS:
            raise FieldCodeError("unknown_country")
        return value


class Location(BaseModel):
    """Where the matter happened: an address, coordinates (WGS 84), or both."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {"address": "Avenue Mohammed V, Rabat", "lat": 34.0209, "long": -6.8416}
        },
    )

    address: VisibleText | None = Field(default=None, min_length=3, max_length=250)
    lat: float | None = Field(
        default=None, ge=-90, le=90, allow_inf_nan=False, description="Latitude, WGS 84."
    )
    long: float | None = Field(
        default=None, ge=-180, le=180, allow_inf_nan=False, description="Longitude, WGS 84."
    )

    @model_validator(mode="after")
    def _complete(self) -> Location:
        if (self.lat is None) != (self.long is None) or (self.address is None and self.lat is None):
            raise FieldCodeError("location_incomplete")
        return self


class RequestIn(BaseModel):
    """A new complaint, observation or suggestion."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {
                "kind": "complaint",
                "administration": "ACAPS",
                "service": "insurance",
                "subject": "Indemnisation refusée après un accident",
                "description": "Mon assureur refuse d'indemniser le sinistre déclaré le 3 mars.",
                "attributes": {},
                "channel": "web",
                "language": "fr",
                "complainant": {
                    "full_name": "Fatima Zahra El Idrissi",
                    "email": "fatima@example.ma",
                },
            }
        },
    )

    kind: Kind
    administration: str = Field(max_length=32, description="Code of the administration.")
    service: str | None = Field(default=None, max_length=48, description="Code of its service.")
    subject: VisibleText = Field(min_length=3, max_length=SUBJECT_MAX)
    description: VisibleText = Field(min_length=10, max_length=DESCRIPTION_MAX)
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the service's attributes, keyed by attribute code.",
    )
    channel: Channel = Field(
        default=Channel.web,
        description="`web` or `mobile` for citizens; `call_center` or `mail` for operators.",
    )
    language: Language | None = Field(
        default=None,
        description="Language of later messages; defaults to the negotiated `Accept-Language`.",
    )
    complainant: ComplainantIn
    location: Location | None = Field(
        default=None,
        description="Optional: where the matter happened (a road, an office), when it matters.",
    )
    urgent: bool = Field(
        default=False,
        description="Information requests only: urgent ones are answered within 3 days "
        "(law 31-13) instead of 20.",
    )
    received_at: Moment | None = Field(
        default=None,
        description="Operators only: when the letter or the call was actually received.",
    )

    @field_validator("attributes")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ATTRIBUTES:
            raise FieldCodeError("too_many", max=MAX_ATTRIBUTES)
        # Attribute values are shown to staff like any free text.
        return {key: clean_values(item) for key, item in value.items()}


class AdministrationRef(BaseModel):
    code: str
    name: Localized


class ServiceRef(BaseModel):
    code: str
    name: Localized


class RequestCreated(BaseModel):
    """The answer to a submission: what the citizen needs to follow it."""

    tracking_number: str = Field(examples=["K7MD-Q2ZX-9PT"])
    kind: Kind
    state: State
    administration: AdministrationRef
    service: ServiceRef | None
    created_at: datetime
    due_at: datetime = Field(description="When the answer is due (legal deadline).")
    access_token: str = Field(
        description="A tracking token for this request, to add documents at once."
    )
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the token stays valid.")
    privacy_notice: str = privacy_notice_field()


class ComplainantOut(BaseModel):
    person_type: PersonType
    full_name: str
    organization_name: str | None
    email: str | None
    phone: str | None
    national_id: str | None
    country: str | None
    contact_verified: bool = Field(
        default=False, description="A one-time code proved a contact at filing."
    )
    verified_contact: Literal["email", "phone"] | None = Field(
        default=None, description="Which contact the code proved."
    )


class StaffRef(BaseModel):
    id: int
    full_name: str
    role: str


class EventOut(BaseModel):
    """One line of the history."""

    action: str
    from_state: State | None
    to_state: State
    actor: str = Field(
        description="The role that acted: citizen, agent, supervisor, operator, system."
    )
    actor_name: str | None = Field(default=None, description="Staff only: who acted.")
    at: datetime
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    internal: bool = False


class RatingDimensions(BaseModel):
    """The survey's questions, each from 1 (very poor) to 5 (very good); any may be skipped."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"speed": 2, "clarity": 5, "courtesy": 5, "outcome": 4}},
    )

    speed: int | None = Field(default=None, ge=1, le=5, description="How fast the answer came.")
    clarity: int | None = Field(default=None, ge=1, le=5, description="How clear the answer was.")
    courtesy: int | None = Field(
        default=None, ge=1, le=5, description="How courteous the administration was."
    )
    outcome: int | None = Field(
        default=None, ge=1, le=5, description="How well the matter itself was settled."
    )


class Rating(BaseModel):
    score: int
    comment: str | None
    dimensions: RatingDimensions | None = Field(
        default=None, description="The survey's answers, when the citizen gave them."
    )
    rated_at: datetime


class RequestSummary(BaseModel):
    tracking_number: str
    kind: Kind
    state: State
    administration: str
    service: str | None
    subject: str
    channel: Channel
    created_at: datetime
    due_at: datetime
    overdue: bool = Field(description="Past its due date while the administration holds it.")
    escalation_level: int = Field(
        ge=0,
        le=2,
        description="Deadlines that bite: 0 on time; 1 past its due date, escalated to the "
        "administration's supervisors; 2 still unanswered `ESCALATION_DAYS` later, escalated to "
        "the national admins. Kept once answered; a new deadline (transfer, reopening) sets it "
        "back to 0.",
    )
    assignee: StaffRef | None = None


class RequestDetail(BaseModel):
    """A request as its citizen or its administration's staff see it."""

    tracking_number: str
    kind: Kind
    state: State
    version: int = Field(description='Bumped by every change; the `ETag` is `"v<version>"`.')
    administration: AdministrationRef
    service: ServiceRef | None
    subject: str
    description: str
    attributes: dict[str, Any]
    channel: Channel
    language: Language
    complainant: ComplainantOut
    location: Location | None
    created_at: datetime = Field(description="When the request was registered.")
    received_at: datetime = Field(description="When it actually reached the portal (paper, call).")
    updated_at: datetime
    due_at: datetime
    clock_paused: bool = Field(description="True while awaiting the citizen: the clock stops.")
    overdue: bool
    escalation_level: int | None = Field(
        default=None,
        ge=0,
        le=2,
        description="Staff only. "
        + "Deadlines that bite: 0 on time; 1 past its due date, escalated to the "
        "administration's supervisors; 2 still unanswered `ESCALATION_DAYS` later, escalated to "
        "the national admins. Kept once answered; a new deadline (transfer, reopening) sets it "
        "back to 0.",
    )
    escalated_at: datetime | None = Field(
        default=None, description="Staff only: when it reached its escalation level."
    )
    answered_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    reopen_until: datetime | None = Field(description="Last moment to reopen, once answered.")
    rejection_reason: RejectionReason | None
    urgent: bool
    extension_count: int
    outcome: Outcome | None = Field(description="Information requests: the answer's outcome.")
    legal_ground: str | None = Field(description="Information requests: ground of a refusal.")
    rating: Rating | None
    assignee: StaffRef | None = None
    operator: StaffRef | None = None
    duplicate_of: str | None = Field(
        default=None, description="Staff only: the original this request was marked a duplicate of."
    )
    duplicates: list[str] | None = Field(
        default=None,
        description="Staff only: the tracking numbers of the requests marked duplicates of "
        "this one.",
    )
    allowed_actions: list[str] = Field(description="What the caller may do now (lifecycle table).")
    history: list[EventOut]


class MessageIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"example": {"body": "Voici le constat amiable demandé."}},
    )

    body: VisibleText | None = Field(
        default=None,
        min_length=1,
        max_length=MESSAGE_MAX,
        description="The text; staff may name a `template` instead.",
    )
    template: str | None = Field(
        default=None,
        pattern=CANNED_CODE,
        description="Staff: the code of a canned response of the request's administration, "
        "sent in place of `body` with its placeholders filled in the citizen's language.",
        examples=["ask-receipt"],
    )
    internal: bool = Field(
        default=False, description="Staff only: an internal note the citizen never sees."
    )


class MessageOut(BaseModel):
    id: int
    author: str = Field(description="The role of the author: citizen, agent, supervisor, ...")
    author_name: str | None = Field(default=None, description="Staff only.")
    body: str
    internal: bool
    created_at: datetime


class CloseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"example": {"reason": "La réponse me convient."}},
    )

    reason: FreeText | None = Field(default=None, max_length=REASON_MAX)


class ReopenIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"example": {"reason": "Le remboursement n'a toujours pas été versé."}},
    )

    reason: VisibleText = Field(min_length=3, max_length=REASON_MAX)


class RatingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {
                "score": 4,
                "comment": "Réponse claire, un peu lente.",
                "dimensions": {"speed": 2, "clarity": 5, "courtesy": 5, "outcome": 4},
            }
        },
    )

    score: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: FreeText | None = Field(default=None, max_length=REASON_MAX)
    dimensions: RatingDimensions | None = Field(
        default=None,
        description="Optional survey: `speed`, `clarity`, `courtesy` and `outcome`, each 1–5 "
        "(statistics report each one's average).",
    )

    def dimension_scores(self) -> dict[str, int]:
        """The dimensions answered, as stored with the rating."""
        return self.dimensions.model_dump(exclude_none=True) if self.dimensions else {}


class ActionIn(BaseModel):
    """What a staff action carries; each action of the lifecycle table names what it requires."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"example": {"message": "Merci de joindre le constat amiable."}},
    )

    message: FreeText | None = Field(
        default=None,
        max_length=MESSAGE_MAX,
        description="The text of `request_info`, `answer`, `reject`, `acknowledge`, `message`, "
        "`note`, `interim_reply`, and of `decide_appeal` `sent_back` (instructions to the "
        "administration); or a `template` instead.",
    )
    reason: FreeText | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="Why: for `transfer`, `decline_transfer` and `extend_deadline`.",
    )
    reason_code: RejectionReason | None = Field(default=None, description="For `reject`.")
    assignee: Id | None = Field(default=None, description="Staff id, for `assign`.")
    administration: str | None = Field(
        default=None, max_length=32, description="Target administration code, for `transfer`."
    )
    service: str | None = Field(
        default=None, max_length=48, description="Target service code, for `transfer`."
    )
    days: int | None = Field(
        default=None,
        ge=1,
        le=90,
        description="For `extend_deadline`, and `decide_appeal` `sent_back` (1-60): the new "
        "deadline, in days from now.",
    )
    outcome: Outcome | None = Field(
        default=None, description="Information requests: `answer` and `decide_appeal`."
    )
    legal_ground: FreeText | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="The legal ground of a refusal or partial refusal (law 31-13, article 7).",
    )
    decision: Literal["dismissed", "sent_back"] | None = Field(
        default=None,
        description="National admins, `decide_appeal` on a complaint: `dismissed` closes it, "
        "`sent_back` returns it to the administration with `days` (1-60) and a `message` of "
        "instructions.",
    )
    duplicate_of: str | None = Field(
        default=None,
        max_length=32,
        description="For `mark_duplicate`: the tracking number of the original, a request of "
        "the same administration.",
        examples=["K7MD-Q2ZX-9PT"],
    )
    expected_at: AwareMoment | None = Field(
        default=None,
        description="For `interim_reply`: when the citizen may expect the answer (in the "
        "future, with its time zone; the due date does not move).",
        examples=["2026-12-20T12:00:00Z"],
    )
    template: str | None = Field(
        default=None,
        pattern=CANNED_CODE,
        description="The code of a canned response of the request's administration, in place "
        "of `message`: the server fills its placeholders in the citizen's language.",
        examples=["ask-receipt"],
    )


class ContactIn(BaseModel):
    """A contact for a mail or phone request, so its author can track it: attached by an
    operator when it has none, replaced only by a supervisor of its administration."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"example": {"email": "ahmed@example.ma", "phone": "0612345678"}},
    )

    email: Email = Field(default=None, max_length=254)
    phone: Phone = Field(default=None, max_length=32)
    reason: FreeText | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="Supervisors replacing a contact: why (kept in the request's history).",
    )
