"""Shapes of canned responses: an administration's reusable answers, in ar, fr and en."""

from __future__ import annotations

import string
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.domain.errors import FieldCodeError
from app.schemas.common import Localized, body_config
from app.schemas.requests import CANNED_CODE
from app.schemas.text import VisibleText

# What the server fills when a response is used, from the request it answers.
PLACEHOLDERS = ("tracking_number", "citizen_name", "due_date")
CODE_PATTERN = CANNED_CODE
BODY_MAX = 4000  # leaves room for the filled placeholders within a message's 5000


def _placeholders_known(text: str) -> str:
    """Only `{tracking_number}`, `{citizen_name}` and `{due_date}`, bare (no attribute, index,
    conversion or format: `{due_date.year}` would reach into Python objects); `{{` and `}}`
    write a brace."""
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        raise FieldCodeError("invalid_placeholder", allowed=allowed) from None
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise FieldCodeError("unknown_placeholder", name=name or "{}", allowed=allowed)
    return text


TemplateText = Annotated[
    VisibleText, Field(min_length=1, max_length=BODY_MAX), AfterValidator(_placeholders_known)
]


class TemplateBody(BaseModel):
    """The text in each language, with placeholders the server fills in the citizen's."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ar: TemplateText
    fr: TemplateText
    en: TemplateText


_EXAMPLE: dict[str, Any] = {
    "code": "ask-receipt",
    "name": {"ar": "طلب وصل الأداء", "fr": "Demande du reçu", "en": "Ask for the receipt"},
    "body": {
        "ar": "السيد(ة) {citizen_name}، المرجو إرفاق وصل الأداء بطلبكم {tracking_number} "
        "قبل {due_date}.",
        "fr": "Madame, Monsieur {citizen_name}, merci de joindre le reçu de paiement à votre "
        "demande {tracking_number} avant le {due_date}.",
        "en": "Dear {citizen_name}, please attach the payment receipt to your request "
        "{tracking_number} before {due_date}.",
    },
}


class CannedResponseIn(BaseModel):
    """A canned response's content (replaced whole by `PUT`)."""

    model_config = body_config(_EXAMPLE, strip_whitespace=True)

    code: str = Field(
        pattern=CODE_PATTERN,
        description="What staff name it by in an action's or message's `template`; unique "
        "within the administration.",
    )
    name: Localized = Field(description="A short title for staff, in ar, fr and en.")
    body: TemplateBody = Field(
        description="The text sent, in ar, fr and en; placeholders `{tracking_number}`, "
        "`{citizen_name}` and `{due_date}` (YYYY-MM-DD) are filled when it is used; `{{` and "
        "`}}` write a brace."
    )


class CannedResponseCreate(CannedResponseIn):
    model_config = body_config({**_EXAMPLE, "administration": "ACAPS"}, strip_whitespace=True)

    administration: str | None = Field(
        default=None,
        max_length=32,
        description="National admins: the administration it belongs to (required). "
        "Supervisors: their own, which is the default.",
    )


class TextOut(BaseModel):
    """A body as stored, in each language (up to 4000 characters each)."""

    ar: str
    fr: str
    en: str


class CannedResponseOut(BaseModel):
    id: int
    administration: str = Field(description="Code of the administration it belongs to.")
    code: str
    name: Localized
    body: TextOut = Field(description="With its placeholders, as written.")
    updated_at: datetime
