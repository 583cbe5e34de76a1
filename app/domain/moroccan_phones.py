"""Moroccan phone numbers in the two shapes people type most, read without phonenumbers' parser.

`phonenumbers.parse` and `is_valid_number` cost some 25 µs a number, a tenth of a submission's
own work. A number typed `+212XXXXXXXXX` or `0XXXXXXXXX` (ASCII digits, at most one space, dot
or dash between them) needs none of the parser's generality: its national number is its last
nine digits, valid exactly when phonenumbers' own Moroccan patterns say so (the metadata read
here, never a copy of it). `e164` answers only for such a valid number; anything else — other
countries, other shapes, every invalid number — gets None and goes to phonenumbers, so every
error stays phonenumbers' own. `tests/test_moroccan_phones.py` checks the two agree over every
two- and three-digit prefix, separators and lookalike digits included.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers
from phonenumbers.phonemetadata import PhoneNumberDesc

REGION = "MA"
_METADATA = phonenumbers.PhoneMetadata.metadata_for_region(REGION)
if _METADATA is None:  # pragma: no cover - phonenumbers always ships Morocco's
    raise RuntimeError(f"phonenumbers has no metadata for {REGION}")
COUNTRY_CODE = f"+{_METADATA.country_code}"
# `+212` then nine digits, or the national prefix `0` then nine digits; [0-9], never \d: an
# Arabic-Indic digit is phonenumbers' to convert. (The prefix is the metadata's
# `national_prefix_for_parsing`, `0` with no transform rule: the tests check it.)
_SHAPE = re.compile(rf"(?:{re.escape(COUNTRY_CODE)}|0)((?:[ .-]?[0-9]){{9}})")
_SEPARATORS = str.maketrans("", "", " .-")
# The kinds `phonenumbers.number_type` tries after the general description: any one makes a
# number valid (`is_valid_number`), whatever the order. Mobile and fixed lines first, the
# numbers people give: one pattern tried instead of ten.
_KINDS = (
    "mobile",
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


def _matcher(desc: PhoneNumberDesc | None) -> Callable[[str], bool]:
    """phonenumbers' `_is_number_matching_desc` for one description: a possible length (when
    it lists any), then its national number pattern over the whole number; a description
    the metadata leaves out matches nothing."""
    if desc is None or desc.national_number_pattern is None:
        return lambda national: False
    lengths = frozenset(desc.possible_length)
    pattern = re.compile(desc.national_number_pattern)

    def matches(national: str) -> bool:
        return (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None

    return matches


_GENERAL = _matcher(_METADATA.general_desc)
_VALID_KINDS = [_matcher(getattr(_METADATA, kind)) for kind in _KINDS]


def e164(raw: str) -> str | None:
    """The E.164 form of a valid Moroccan number in one of the common shapes, else None."""
    shape = _SHAPE.fullmatch(raw)
    if shape is None:
        return None
    national = shape.group(1).translate(_SEPARATORS)
    if not _GENERAL(national) or not any(valid(national) for valid in _VALID_KINDS):
        return None
    return COUNTRY_CODE + national
