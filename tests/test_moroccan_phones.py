"""The Moroccan shortcut of `normalize_phone` never disagrees with phonenumbers: over every
national number prefix (four digits deep, deeper than any Moroccan pattern branches), valid
and invalid, in every shape it takes and in shapes it must leave to phonenumbers."""

from __future__ import annotations

import itertools

import phonenumbers
import pytest

from app.domain import moroccan_phones
from app.domain.contacts import normalize_phone
from app.domain.errors import FieldCodeError

FILLS = ("00000000", "12345678", "99999999", "50505050")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def phonenumbers_e164(raw: str) -> str | None:
    """What phonenumbers alone makes of `raw`: its E.164 form, or None (invalid)."""
    try:
        number = phonenumbers.parse(raw, "MA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_numbers(depth: int) -> list[str]:
    """Nine-digit national numbers: every prefix of `depth` digits, completed a few ways."""
    return [
        "".join(prefix) + fill[: 9 - depth]
        for prefix in itertools.product("0123456789", repeat=depth)
        for fill in FILLS
    ]


def grouped(digits: str, separator: str) -> str:
    """`612345678` as people write it: `6 12 34 56 78`."""
    return separator.join([digits[0], *(digits[i : i + 2] for i in range(1, len(digits), 2))])


def shapes(national: str) -> list[str]:
    """How a national number reaches us: the shortcut's shapes and neighbours it must refuse."""
    return [
        "0" + national,
        "+212" + national,
        "0" + grouped(national, " "),
        "+212 " + grouped(national, "."),
        "0" + grouped(national, "-"),
        "0 " + national,
        "+212-" + national,
        # Not the shortcut's: phonenumbers decides these.
        "212" + national,
        "00212" + national,
        "+2120" + national,
        "+212 (0)" + national,
        "0" + national[:-1],
        "0" + national + "1",
        "+212" + national[:-1],
        "+212" + national + "1",
        "0" + national.translate(ARABIC_INDIC),
        "+212" + national.translate(ARABIC_INDIC),
        "0" + national[:-1] + national[-1].translate(ARABIC_INDIC),
        " 0" + national,
        "0" + national + " ",
        "0" + grouped(national, "  "),
        "0" + grouped(national, "/"),
        "+ 212" + national,
        "+33" + national,
        "+1" + national,
    ]


def test_the_metadata_is_what_the_shortcut_reads():
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("MA")
    assert metadata is not None
    assert moroccan_phones.COUNTRY_CODE == "+212"
    assert metadata.national_prefix_for_parsing == "0"
    assert metadata.national_prefix_transform_rule is None
    assert phonenumbers.COUNTRY_CODE_TO_REGION_CODE[212][0] == "MA"


@pytest.mark.parametrize("depth", [2, 3])
def test_every_shape_of_every_prefix_agrees_with_phonenumbers(depth):
    answered = refused = 0
    for national in national_numbers(depth):
        for raw in shapes(national):
            fast = moroccan_phones.e164(raw)
            if fast is None:
                refused += 1
            else:
                answered += 1
                assert fast == phonenumbers_e164(raw), raw
    assert answered > 0  # both roads are taken
    assert refused > 0


def test_every_valid_moroccan_number_in_the_common_shapes_takes_the_shortcut():
    valid = 0
    for national in national_numbers(4):
        for raw in ("0" + national, "+212" + national, "0" + grouped(national, " ")):
            expected = phonenumbers_e164(raw)
            if expected is not None and expected.startswith("+212"):
                assert moroccan_phones.e164(raw) == expected, raw
                valid += 1
            else:  # invalid, or `00…`: the international prefix, phonenumbers' to read
                assert moroccan_phones.e164(raw) is None, raw
    assert valid > 1000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+212612345678"),
        ("+212 6 12 34 56 78", "+212612345678"),
        ("0522-12-34-56", "+212522123456"),
        ("05.28.81.23.45", "+212528812345"),  # Laayoune: Western Sahara's numbers are +212 too
        ("+212 (0)6 12 34 56 78", "+212612345678"),
        ("٠٦١٢٣٤٥٦٧٨", "+212612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("212612345678", "+212612345678"),
    ],
)
def test_normalize_phone_answers_what_phonenumbers_answers(raw, expected):
    assert phonenumbers_e164(raw) == expected
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "0412345678", "+212 4 12 34 56 78", "0612", "+2126"])
def test_an_invalid_number_is_refused_as_phonenumbers_refuses_it(raw):
    assert phonenumbers_e164(raw) is None
    with pytest.raises(FieldCodeError) as refused:
        normalize_phone(raw)
    assert refused.value.code == "invalid_phone"
