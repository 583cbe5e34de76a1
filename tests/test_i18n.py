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


# --- one catalogue: every word the portal shows lives in MESSAGES, and nowhere else


def test_every_state_kind_and_action_has_its_words():
    from app.models.enums import Kind
    from app.services import lifecycle

    keys = {f"kind.{kind.value}{use}" for kind in Kind for use in ("", ".in_sentence")}
    for kind in Kind:
        for state in lifecycle.states_of(kind):
            keys |= {f"state.{state.value}", f"state.{state.value}.in_sentence"}
        keys |= {f"action.{t.action.value}" for t in lifecycle.TABLES[kind]}
    assert keys - set(MESSAGES) == set()


@pytest.mark.parametrize(
    "template",
    ["acknowledgement", "state_changed", "message", "reopen_reminder", "contact_changed"],
)
def test_every_citizen_notice_has_a_subject_a_body_and_an_sms(template):
    for key in (f"email.{template}.subject", f"email.{template}.body", f"sms.{template}"):
        assert key in MESSAGES


def _trilingual_literals(path):
    """Dict literals keyed by the three languages: a catalogue of words written in place."""
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if set(LANGUAGES) <= keys:
                yield node.lineno


def test_no_module_but_i18n_keeps_words_of_its_own():
    from pathlib import Path

    import app

    root = Path(app.__file__).parent
    # OpenAPI examples show what a client sends or gets back; they are not the portal's words.
    allowed = {root / "i18n.py", *root.joinpath("schemas").glob("*.py")}
    found = [
        f"{path.relative_to(root)}:{line}"
        for path in sorted(root.rglob("*.py"))
        if path not in allowed
        for line in _trilingual_literals(path)
    ]
    assert found == []
