"""Validation of a submission's `attributes` against its service's attribute definitions."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from app.domain.contacts import normalize_email, normalize_national_id, normalize_phone
from app.domain.errors import FieldCodeError
from app.errors import FieldError
from app.schemas.catalogue import AttributeDefinition, Datatype

STRING_MAX = 255
TEXT_MAX = 5000


def _string(limit: int) -> Callable[[AttributeDefinition, Any], Any]:
    def check(definition: AttributeDefinition, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldCodeError("not_a_string")
        text: str = value.strip()
        maximum = definition.max_length or limit
        if len(text) > maximum:
            raise FieldCodeError("too_long", max=maximum)
        return text

    return check


def _number(definition: AttributeDefinition, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldCodeError("not_a_number")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldCodeError("not_a_number")
    if definition.minimum is not None and value < definition.minimum:
        raise FieldCodeError("too_small", min=_plain(definition.minimum))
    if definition.maximum is not None and value > definition.maximum:
        raise FieldCodeError("too_large", max=_plain(definition.maximum))
    return value


def _plain(bound: float) -> int | float:
    return int(bound) if bound.is_integer() else bound


def _boolean(_: AttributeDefinition, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldCodeError("not_a_boolean")
    return value


def _date(_: AttributeDefinition, value: Any) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError) as exc:
        raise FieldCodeError("not_a_date") from exc


def _datetime(_: AttributeDefinition, value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise FieldCodeError("not_a_datetime") from exc
    if parsed.tzinfo is None:
        raise FieldCodeError("not_a_datetime")
    return parsed.isoformat()


def _choices(definition: AttributeDefinition) -> str:
    return ", ".join(v.key for v in definition.values)


def _single(definition: AttributeDefinition, value: Any) -> str:
    if value not in {v.key for v in definition.values}:
        raise FieldCodeError("not_in_choices", choices=_choices(definition))
    return str(value)


def _multi(definition: AttributeDefinition, value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise FieldCodeError("not_a_list")
    keys = {v.key for v in definition.values}
    if any(item not in keys for item in value):
        raise FieldCodeError("not_in_choices", choices=_choices(definition))
    return list(dict.fromkeys(value))  # drop repeats, keep order


def _typed_string(normalize: Callable[[str], str]) -> Callable[[AttributeDefinition, Any], str]:
    def check(_: AttributeDefinition, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldCodeError("not_a_string")
        return normalize(value)

    return check


_CHECKS: dict[Datatype, Callable[[AttributeDefinition, Any], Any]] = {
    Datatype.string: _string(STRING_MAX),
    Datatype.text: _string(TEXT_MAX),
    Datatype.number: _number,
    Datatype.boolean: _boolean,
    Datatype.date: _date,
    Datatype.datetime: _datetime,
    Datatype.singlevaluelist: _single,
    Datatype.multivaluelist: _multi,
    Datatype.email: _typed_string(normalize_email),
    Datatype.phone: _typed_string(normalize_phone),
    Datatype.national_id: _typed_string(normalize_national_id),
}


# Fields that hold a person's contact or identity whatever their definition says.
PERSONAL_DATATYPES = frozenset({Datatype.email, Datatype.phone, Datatype.national_id})


def personal_codes(definitions: Sequence[AttributeDefinition]) -> set[str]:
    """Codes of the attributes whose values are personal data (law 09-08), removed when a
    request is anonymized: marked `personal`, or of a contact or identity datatype."""
    return {d.code for d in definitions if d.personal or d.datatype in PERSONAL_DATATYPES}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list) and not value)


def validate_attributes(
    definitions: Sequence[Mapping[str, Any] | AttributeDefinition],
    values: Mapping[str, Any],
    *,
    prefix: str = "attributes",
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check `values` against `definitions`: required ones present, types right, nothing unknown.

    Returns the cleaned values (normalized phones, dates, ...) and every field error at once.
    Definitions already parsed (the catalogue cache keeps them so) are used as they are.
    """
    parsed = [
        d if isinstance(d, AttributeDefinition) else AttributeDefinition.model_validate(d)
        for d in definitions
    ]
    by_code = {d.code: d for d in parsed}
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for code in values:
        if code not in by_code:
            # The name is echoed back: keep it printable whatever the client sent.
            shown = code.encode("utf-8", "backslashreplace").decode("utf-8")
            errors.append(FieldError(f"{prefix}.{shown}", "unknown"))
    for definition in sorted(parsed, key=lambda d: d.order):
        value = values.get(definition.code)
        if _is_blank(value):
            if definition.required:
                errors.append(FieldError(f"{prefix}.{definition.code}", "required"))
            continue
        try:
            cleaned[definition.code] = _CHECKS[definition.datatype](definition, value)
        except FieldCodeError as exc:
            errors.append(FieldError(f"{prefix}.{definition.code}", exc.code, exc.params))
    return cleaned, errors
