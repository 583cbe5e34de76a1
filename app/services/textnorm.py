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


class _NoCombining(dict[int, int | None]):
    """A `str.translate` table dropping combining characters (`unicodedata.combining`), each
    character judged once: a translation in C, not a Python test per character."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < 20_000:  # the characters people write; any others are judged anew
            self[code] = kept
        return kept


_NO_COMBINING = _NoCombining()


def fold(text: str) -> str:
    """Lower-case, strip Latin accents and Arabic marks, unify hamza forms and digits, squeeze
    spaces."""
    if _FOLDED.search(text):
        text = text.translate(_ARABIC_FOLD).translate(_DIGITS)
    text = _ARABIC_MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Drop combining marks left by decomposition (é -> e) but keep Arabic letters intact.
    stripped = decomposed if decomposed.isascii() else decomposed.translate(_NO_COMBINING)
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
