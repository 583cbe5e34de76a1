"""Folding text for search: the fast path gives what the plain rules give."""

from __future__ import annotations

import unicodedata

import pytest

from app.services import textnorm
from app.services.textnorm import fold


def _fold_as_before(text: str) -> str:
    """`fold` as it was written before its fast path: the articles stripped whatever the
    script (each character judged by `unicodedata.combining`, as its table judges them)."""
    t = textnorm
    if t._FOLDED.search(text):
        text = text.translate(t._ARABIC_FOLD).translate(t._DIGITS)
    text = t._ARABIC_MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = unicodedata.normalize("NFKC", stripped)
    if t._ARABIC_LETTER.search(stripped):
        stripped = t._SCRIPT_BOUNDARY.sub(" ", stripped.translate(t._ARABIC_FOLD))
    return t._ARTICLE.sub("", " ".join(stripped.split()))


@pytest.mark.parametrize(
    "text",
    [
        "Indemnisation refusée 12 Mon assureur refuse d'indemniser le sinistre du 3 mars 2026.",
        "K7MD-Q2ZX-9PT  Fatima Zahra El Idrissi citizen12@example.ma +212612345678",
        "ÉLÈVE Œuvre ﬁn Straße İstanbul Ångström naïve façade",
        "Tiếng Việt có dấu, ñandú, Dvořák, Łódź",
        "شكاية بخصوص التأمين والضمان للضمان بالسيارة ع12345 ٣٤٥ إدارة أمن",
        "مَدْرَسَةٌ قُرْآنٌ ـــ mixed ال ab الضمان",
        "\u0301\u0308 lone marks, e\u0301 decomposed, \u1e9b\u0323 and \U0001e94a",
        "",
        "   ",
    ],
)
def test_fold_is_what_it_was(text):
    assert fold(text) == _fold_as_before(text)


def test_the_combining_marks_are_every_one_unicode_has():
    everything = [c for c in range(0x110000) if unicodedata.combining(chr(c))]
    assert everything == textnorm._COMBINING_CODES


def test_combining_marks_of_every_plane_are_stripped_as_before():
    """Every combining mark, alone, after a letter, after an astral letter and in an Arabic
    word, folds as the per-character judgement folded it."""
    texts = []
    for code in textnorm._COMBINING_CODES:
        mark = chr(code)
        texts += [mark, f"e{mark} x", f"\U0001e900{mark}a", f"الضمان{mark}ب é"]
    mismatched = [text for text in texts if fold(text) != _fold_as_before(text)]
    assert mismatched == []
