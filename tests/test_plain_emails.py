"""The plain-address shortcut of `normalize_email` never disagrees with email_validator: every
local part of a systematic list against every domain, valid and invalid, plain and not."""

from __future__ import annotations

import email_validator
import pytest
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from app.domain import plain_emails
from app.domain.contacts import normalize_email
from app.domain.errors import FieldCodeError

LOCALS = [
    "fatima",
    "Fatima.Zahra",
    "FATIMA_ZAHRA",
    "f.z+tag",
    "el-idrissi",
    "a",
    "0612345678",
    "a.b.c.d",
    "x_y-z+w",
    *CASE_INSENSITIVE_MAILBOX_NAMES,
    "PostMaster",
    "Abuse",
    "a" * 64,
    "a" * 65,
    # Not plain: email_validator decides.
    ".fatima",
    "fatima.",
    "fa..tima",
    "fa.-tima",
    "fatima++",
    '"fatima zahra"',
    "fatima!",
    "o'brien",
    "fatïma",
    "فاطمة",
    "fa tima",
    "",
]
DOMAINS = [
    "example.ma",
    "Example.MA",
    "gmail.com",
    "mail.gov.ma",
    "sub-domain.example.co.uk",
    "123.example.ma",
    "a.bc",
    "x" * 63 + ".ma",
    "x" * 64 + ".ma",
    ".".join(["abcdefghi"] * 25) + ".ma",
    "example.m",
    "example.c0m",
    "example.123",
    "localhost",
    "example",
    "example.local",
    "example.test",
    "example.invalid",
    "mail.example",
    "1.168.192.in-addr.arpa",
    "onion.onion",
    "xn--mgbh0fb.xn--mgbc0a9azcg",
    "xn--bcher-kva.example",
    "ab--cd.ma",
    "xn--zz.ma",
    "-example.ma",
    "example-.ma",
    "exa_mple.ma",
    "example..ma",
    "example.ma.",
    ".example.ma",
    "bücher.example",
    "مثال.المغرب",
    "[192.168.0.1]",
    "",
]


def email_validator_normalized(raw: str) -> str | None:
    try:
        return str(email_validator.validate_email(raw, check_deliverability=False).normalized)
    except email_validator.EmailNotValidError:
        return None


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_local_part_at_every_domain_agrees_with_email_validator(domain):
    for local in LOCALS:
        for raw in (f"{local}@{domain}", f"{local}@{domain.upper()}", f"{local}@@{domain}"):
            fast = plain_emails.normalized(raw)
            if fast is not None:
                assert fast == email_validator_normalized(raw), raw


def test_the_common_addresses_take_the_shortcut():
    for raw, expected in [
        ("citizen1@example.ma", "citizen1@example.ma"),
        ("Fatima.Zahra+plainte@Gmail.COM", "Fatima.Zahra+plainte@gmail.com"),
        ("ahmed_benali-2@mail.gov.ma", "ahmed_benali-2@mail.gov.ma"),
    ]:
        assert email_validator_normalized(raw) == expected
        assert plain_emails.normalized(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Fatima@Example.MA ", "Fatima@example.ma"),
        ("PostMaster@Example.MA", "postmaster@example.ma"),
        ("fatima@xn--bcher-kva.example.ma", "fatima@bücher.example.ma"),
        ("fatima@Bücher.example.ma", "fatima@bücher.example.ma"),
        ('"fatima"@example.ma', None),
        ("fatima@example.local", None),
        ("fatima@localhost", None),
        ("fatima@example..ma", None),
    ],
)
def test_normalize_email_answers_what_email_validator_answers(raw, expected):
    assert email_validator_normalized(raw.strip()) == expected
    if expected is None:
        with pytest.raises(FieldCodeError) as refused:
            normalize_email(raw)
        assert refused.value.code == "invalid_email"
    else:
        assert normalize_email(raw) == expected
