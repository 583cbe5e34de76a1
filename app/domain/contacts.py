"""Contacts: phone numbers to E.164 (Moroccan national form accepted), emails validated."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.domain import moroccan_phones, plain_emails
from app.domain.errors import FieldCodeError

DEFAULT_REGION = moroccan_phones.REGION
# CIN (carte nationale d'identité électronique): one or two letters then up to six digits.
_CIN = re.compile(r"^[A-Z]{1,2}[0-9]{1,6}$")


def normalize_phone(raw: str) -> str:
    """E.164 form of a phone number; national numbers are read as Moroccan.

    Foreign numbers are welcome in international form (Moroccans abroad, foreign residents).
    """
    common = moroccan_phones.e164(raw)  # what phonenumbers gives, without parsing (most calls)
    if common is not None:
        return common
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise FieldCodeError("invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise FieldCodeError("invalid_phone")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def phone_forms(phone: str) -> list[str]:
    """How people type an E.164 number: its digits, and the national form of a Moroccan one."""
    digits = phone.lstrip("+")
    return [digits, "0" + digits[3:]] if digits.startswith("212") else [digits]


def normalize_email(raw: str) -> str:
    """The normalized address (domain lower-cased, IDNA); the local part keeps its case."""
    address = raw.strip()
    plain = plain_emails.normalized(address)  # what email_validator gives, cheaper (most calls)
    if plain is not None:
        return plain
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldCodeError("invalid_email") from exc
    return str(result.normalized)


def email_key(email: str) -> str:
    """The form used to compare addresses when a citizen proves ownership: case-insensitive."""
    return email.strip().casefold()


def mask_email(email: str) -> str:
    """Enough of an address for its owner to recognize it, not enough to write to it."""
    local, _, domain = email.rpartition("@")
    name, dot, top = domain.rpartition(".")
    return f"{local[:1]}***@{name[:1]}***{dot}{top}" if name else f"{local[:1]}***@***"


def mask_phone(phone: str) -> str:
    return "*" * max(len(phone) - 2, 3) + phone[-2:]


def normalize_national_id(raw: str) -> str:
    value = "".join(raw.split()).upper()
    if not _CIN.fullmatch(value):
        raise FieldCodeError("invalid_national_id")
    return value
