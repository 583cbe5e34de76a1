"""Folding text for search in Arabic and French: case, accents, diacritics and hamza forms."""

from __future__ import annotations

import re
import unicodedata

# Arabic harakat, tanwin, shadda, sukun, superscript alef, Quranic marks, and tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Hamza carriers and look-alike letters folded to their base letter, as people type them.
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ة": "ه",
        "ء": "",
    }
)
# Arabic-Indic and Eastern Arabic-Indic digits, as phones and forms type them, to 0-9.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Arabic letters glued to digits (ع12345) are two words to search: PostgreSQL would keep one.
_SCRIPT_BOUNDARY = re.compile(r"(?<=[\u0600-\u06ff])(?=\d)|(?<=\d)(?=[\u0600-\u06ff])")
# What either table changes, found first: most text (Latin) has none of it, and a translation
# by a table of non-Latin letters costs a look-up per character.
_FOLDED = re.compile("[" + "".join(map(chr, {**_ARABIC_FOLD, **_DIGITS})) + "]")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
# Light stemming of Arabic articles and proclitics (as Lucene's Arabic analyzer does), so that
# "الضمان" finds "للضمان" and "والضمان".
_ARTICLE = re.compile(r"(?<!\S)(?:وال|بال|كال|فال|لل|ال)(?=\S{2,})")


def char_class(codes: list[int]) -> str:
    """A regular expression's character class body for `codes` (ascending), as ranges."""
    spans: list[list[int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans)


# Combining characters (`unicodedata.combining`), which decomposition leaves after their base
# letter (é is e and U+0301): U+0300 is the first, and none lies beyond U+1EFFF (a test holds
# it to the whole of Unicode as this Python knows it). A class of characters of the Basic
# Multilingual Plane is a table look-up per character for the regular expression engine, 6×
# cheaper than a translation by a table of the same characters; one with characters beyond it
# is a walk over its ranges, so those are stripped only from text that has such a character.
_COMBINING_CODES = [code for code in range(0x300, 0x1F000) if unicodedata.combining(chr(code))]
_COMBINING = re.compile("[" + char_class([c for c in _COMBINING_CODES if c <= 0xFFFF]) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_COMBINING_ASTRAL = re.compile("[" + char_class([c for c in _COMBINING_CODES if c > 0xFFFF]) + "]")


def _without_combining(decomposed: str) -> str:
    stripped = _COMBINING.sub("", decomposed)
    return _COMBINING_ASTRAL.sub("", stripped) if _ASTRAL.search(stripped) else stripped


def fold(text: str) -> str:
    """Lower-case, strip Latin accents and Arabic marks, unify hamza forms and digits, squeeze
    spaces."""
    if _FOLDED.search(text):
        text = text.translate(_ARABIC_FOLD).translate(_DIGITS)
    text = _ARABIC_MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Drop combining marks left by decomposition (é -> e) but keep Arabic letters intact.
    stripped = decomposed if decomposed.isascii() else _without_combining(decomposed)
    stripped = unicodedata.normalize("NFKC", stripped)
    if not _ARABIC_LETTER.search(stripped):  # no article to strip either: they are Arabic
        # Whitespace squeezed (`split` splits where the pattern `\s+` matches).
        return " ".join(stripped.split())
    stripped = _SCRIPT_BOUNDARY.sub(" ", stripped.translate(_ARABIC_FOLD))
    return _ARTICLE.sub("", " ".join(stripped.split()))


def like_pattern(query: str) -> str:
    """A LIKE pattern matching `query` anywhere, with LIKE's wildcards escaped."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def tsquery_terms(query: str) -> str | None:
    """A prefix-matching `to_tsquery('simple', ...)` expression for a folded query, or None."""
    words = re.findall(r"\w+", fold(query))
    if not words:
        return None
    return " & ".join(f"{word}:*" for word in words[:8])
