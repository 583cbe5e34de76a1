"""Every message the API speaks exists in Arabic, French and English, with the same blanks."""

from __future__ import annotations

import string

import pytest

from app.errors import DomainError
from app.i18n import LANGUAGES, MESSAGES, negotiate, translate


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_is_in_three_languages_with_the_same_placeholders(key):
    entry = MESSAGES[key]
    assert set(entry) == set(LANGUAGES), key
    assert all(entry[language].strip() for language in LANGUAGES), key
    assert _placeholders(entry["ar"]) == _placeholders(entry["fr"]) == _placeholders(entry["en"])


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@pytest.mark.parametrize("error", _subclasses(DomainError), ids=lambda e: e.__name__)
def test_every_problem_code_has_a_title_and_a_detail(error):
    assert f"{error.code}.title" in MESSAGES
    assert f"{error.code}.detail" in MESSAGES


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-MA,fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=0.5, ar;q=0.9", "ar"),
        ("de, en;q=0.1", "en"),
        ("de", "ar"),
        ("fr;q=0, en", "en"),
        ("", "ar"),
    ],
)
def test_language_negotiation_honours_quality_values(header, expected):
    assert negotiate(header, "ar") == expected


def test_a_message_is_formatted_in_the_language_asked():
    assert translate("open311.unknown_service", "fr", code="X-y") == "service_code inconnu : X-y."
