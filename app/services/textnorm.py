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
_SPACES = re.compile(r"\s+")
# Light stemming of Arabic articles and proclitics (as Lucene's Arabic analyzer does), so that
# "الضمان" finds "للضمان" and "والضمان".
_ARTICLE = re.compile(r"(?<!\S)(?:وال|بال|كال|فال|لل|ال)(?=\S{2,})")


def fold(text: str) -> str:
    """Lower-case, strip Latin accents and Arabic marks, unify hamza forms and digits, squeeze
    spaces."""
    text = _ARABIC_MARKS.sub("", text.translate(_ARABIC_FOLD).translate(_DIGITS))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Drop combining marks left by decomposition (é -> e) but keep Arabic letters intact.
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = unicodedata.normalize("NFKC", stripped).translate(_ARABIC_FOLD)
    stripped = _SCRIPT_BOUNDARY.sub(" ", stripped)
    return _ARTICLE.sub("", _SPACES.sub(" ", stripped).strip())


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
