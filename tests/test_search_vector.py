"""The search vector the application writes (`services.search.search_vector`) is the one
PostgreSQL's `to_tsvector('simple', search_text)` computes, on the real server: search finds
what it found when the database generated the column."""

from __future__ import annotations

import random
import unicodedata

import pytest
from sqlalchemy import text

from app.models.enums import Role
from app.services.search import _NON_WORD, search_vector
from app.services.textnorm import fold, tsquery_terms
from tests.factories import complaint, file, make_administration, make_staff


def _search_text(raw: str) -> str:
    return _NON_WORD.sub(" ", fold(raw)).strip()  # as `search.search_text` makes it


_ADVERSARIAL = [
    "",
    "   ",
    "CH-2026-000123 Indemnisation refusée 1 Mon assureur refuse d'indemniser le sinistre",
    "Fatima Zahra El Idrissi citizen1@example.ma +212600000000 0600000000",
    "a_b a__b _a b_ snake_case_name john_doe@example.com",
    "x-1 pol-777 -5 +5 1.5 1,5 1e5 1e5x 12e34e5 1E5X e1 12abc abc12 0001 0x1F 1e 1ex",
    "https://example.ma/path?q=1&x=2 www.example.ma/a_b ftp://x.y file.txt /usr/local/bin",
    "L'été à Fès, où l'œuvre coûte 3 000 DH: Ça crée des problèmes; Straße ÆØÅ ﬁ",
    "الضمان الاجتماعي للضمان والضمان رقم ١٢٣٤٥ ع12345 شكاية",
    "ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰⵎⴰⵣⵉⵖ Ελληνικά Русский 中文 日本語 한국어",
    "ᏣᎳᎩ ϒ ৴ ³ ½ Ⅻ ǅ ﬀ",
    "x" * 2047 + " short " + "y" * 2048 + " é" * 3 + " " + "ب" * 1023 + " " + "ب" * 1024,
    "x" * 2046 + " short " + "y" * 2046 + " é" * 3 + " " + "ب" * 1023,
    "short " + "ب" * 1024,
    "x" * 2047 + " short",
    " ".join(["again"] * 300 + ["other"] * 3),
    " ".join(f"w{i % 7}" for i in range(17000)),
]


def _random_texts(count: int) -> list[str]:
    alphabet = ["1", "0", "e", "E", "x", "_", " ", "é", "ж", "ب", "a", "5", "-", ".", "@", "/"]
    draw = random.Random(20261130)
    return [
        "".join(draw.choice(alphabet) for _ in range(draw.randint(1, 14))) for _ in range(count)
    ]


def _every_character() -> list[str]:
    """Each code point alone, inside a word, between digits and doubled: the parser's and
    the dictionary's view of it in every position that could differ. Every one of the Basic
    Multilingual Plane and every one assigned beyond it; of the million unassigned beyond it
    (non-word characters to Python: spaces in a search text), one in 64 (a fifth of the time)."""
    texts = []
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        if code > 0xFFFF and code % 64 and unicodedata.category(chr(code)) == "Cn":
            continue
        c = chr(code)
        texts.append(f"{c} a{c}b 1{c}2 {c}{c} {c.upper()} 1e5{c}")
    return texts


async def _differing(session, raws: list[str]) -> list[tuple[str, str | None, str]]:
    """The texts whose vector built here is not PostgreSQL's, with both."""
    texts = [_search_text(raw) for raw in raws]
    vectors = [search_vector(t) for t in texts]
    found = await session.execute(
        text(
            "SELECT s, v, to_tsvector('simple', s)::text FROM unnest(CAST(:texts AS text[]), "
            "CAST(:vectors AS text[])) AS x(s, v) "
            "WHERE CAST(v AS tsvector) IS DISTINCT FROM to_tsvector('simple', s) "
            "AND v IS NOT NULL"
        ),
        {"texts": texts, "vectors": vectors},
    )
    return [tuple(row) for row in found]


async def test_adversarial_texts_have_postgresql_s_vector(session):
    await session.execute(text("SET LOCAL client_min_messages = warning"))  # "too long" notices
    assert await _differing(session, _ADVERSARIAL) == []
    built = [search_vector(_search_text(raw)) for raw in _ADVERSARIAL]
    assert all(v is not None for v in built[:10])  # Arabic, Tifinagh, accents: built here
    assert built[10] is None  # Cherokee, number signs: the locale decides, PostgreSQL parses
    # A word of 2047 bytes or more: versions of the server disagree on it, each parses its own.
    assert [built[11], built[13], built[14]] == [None, None, None]
    assert built[12] is not None


async def test_random_texts_have_postgresql_s_vector(session):
    assert await _differing(session, _random_texts(50_000)) == []


async def test_every_character_has_postgresql_s_vector_or_is_left_to_it(session):
    texts = _every_character()
    differing = []
    for start in range(0, len(texts), 50_000):
        differing += await _differing(session, texts[start : start + 50_000])
    assert differing == []
    # Most scripts are built here: the fallback is for what the locale decides.
    built = sum(search_vector(_search_text(t)) is not None for t in texts[:0x3000])
    assert built > 0x1800


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a_b 1e5x", "a:1 b:2 1e5:3 x:4"),
        ("z z", "z:1 z:2"),
        ("", ""),
    ],
)
def test_vector_text(raw, expected):
    assert search_vector(_search_text(raw)).strip() == expected


def test_a_letter_the_locale_decides_is_left_to_postgresql():
    assert unicodedata.category("Ꭰ") == "Lu"
    assert search_vector("ꭰ") is None  # folds to Cherokee's upper case
    assert search_vector("৴") is None  # a number sign Python calls a word character


_QUERIES = [
    "john_doe",
    "john",
    "doe",
    "1e5x",
    "1e5",
    "pol-777",
    "POL",
    "ᏣᎳᎩ",
    "ꭰ",
    "fes",
    "Fès",
    "l'œuvre",
    "الضمان",
    "ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "john.doe_1@example.ma",
    "example",
    "nothing-here",
    "indemnisation refusee",
]


async def test_the_back_office_finds_what_postgresql_s_parse_finds(client, session, settings):
    """Filed through the API (the filing statement), with texts built here and one left to
    PostgreSQL: each stored vector is `to_tsvector('simple', search_text)`, and the queue's
    `q` finds, for each query, the requests that vector finds."""
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    bodies = [
        complaint(admin.code, subject="Dossier john_doe 1e5x POL-777 à Fès"),
        complaint(admin.code, subject="l'œuvre الضمان ⵜⴰⵎⴰⵣⵉⵖⵜ doe john"),
        complaint(admin.code, subject="ᏣᎳᎩ ꭰ john.doe_1@example.ma"),  # left to PostgreSQL
        # A word too long for some versions' `tsvector` input: left to PostgreSQL too.
        complaint(admin.code, subject="john doe", description="x" * 2047 + " fes"),
    ]
    numbers = [(await file(client, body))["tracking_number"] for body in bodies]
    stored = await session.execute(
        text(
            "SELECT tracking_number, search_vector = to_tsvector('simple', search_text) "
            "FROM requests WHERE tracking_number = ANY(:numbers)"
        ),
        {"numbers": numbers},
    )
    assert dict(stored.all()) == dict.fromkeys(numbers, True)
    found_any = 0
    for query in _QUERIES:
        terms = tsquery_terms(query)
        parsed = await session.scalars(
            text(
                "SELECT tracking_number FROM requests WHERE tracking_number = ANY(:numbers) "
                "AND to_tsvector('simple', search_text) @@ to_tsquery('simple', :terms)"
            ),
            {"numbers": numbers, "terms": terms},
        )
        expected = sorted(parsed)
        answer = await client.get("/api/v1/backoffice/requests", params={"q": query}, headers=agent)
        assert answer.status_code == 200, answer.text
        assert sorted(item["tracking_number"] for item in answer.json()["items"]) == expected, query
        found_any += bool(expected)
    assert found_any >= 12  # the queries find something: the comparison is not of empty sets
