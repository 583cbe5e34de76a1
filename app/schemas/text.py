"""Free text as people type it, made safe to show to staff.

Bidirectional override and isolate controls (U+202A–U+202E, U+2066–U+2069) reorder what follows
them on screen: a name `‮lanruoJ` reads "Journal" in a queue. They are removed on input; the
implicit marks Arabic text may carry (U+200E LRM, U+200F RLM, U+061C ALM) stay, and Arabic and
mixed Arabic–French text display right-to-left as they should without any control. Names and
other required text must also show something: zero-width and blank characters alone are refused.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from app.domain.errors import FieldCodeError

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Found by a regular expression, a table look-up per character: a `str.translate` by a table
# looks every character of a non-ASCII text up in a dict (5× the cost, for every field).
_BIDI_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")
# Letters and symbols that draw nothing: Hangul fillers, the braille blank.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def without_bidi_controls(value: Any) -> Any:
    return _BIDI_CONTROL.sub("", value) if isinstance(value, str) else value


def shows_something(text: str) -> bool:
    """True when a character would be seen: a letter, digit, punctuation or symbol that is not
    a blank glyph (format characters such as U+200B, spaces and lone marks are not)."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_GLYPHS for ch in text)


def _visible(value: str) -> str:
    if not shows_something(value):
        raise FieldCodeError("invisible_text")
    return value


# Any free text shown to staff or citizens.
FreeText = Annotated[str, BeforeValidator(without_bidi_controls)]
# Text that must be seen: names, subjects, descriptions, messages.
VisibleText = Annotated[str, BeforeValidator(without_bidi_controls), AfterValidator(_visible)]


def clean_values(value: Any) -> Any:
    """Strings inside attribute values (a string, or a list of them) lose their bidi controls."""
    if isinstance(value, list):
        return [without_bidi_controls(item) for item in value]
    return without_bidi_controls(value)
