"""Search indexing: what the back-office search finds a request by, and the reindex after a
release that changes it. The text is stored on the request (`search_text`) with its `tsvector`
(`search_vector`, GIN-indexed), written by the application as `to_tsvector('simple', text)`
would compute it (`search_vector`)."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.contacts import phone_forms
from app.models.request import Request
from app.repositories import search as repository
from app.services.textnorm import char_class, fold

# Punctuation out: PostgreSQL's parser would keep `pol-777` as `pol` and `-777`, and an email
# as one token, where people search by their parts.
_NON_WORD = re.compile(r"\W+")


def _attribute_words(attributes: dict[str, object]) -> list[str]:
    words: list[str] = []
    for value in attributes.values():
        items = value if isinstance(value, list) else [value]
        words += [str(item) for item in items if isinstance(item, str | int | float)]
    return words


def search_text(request: Request) -> str:
    """What the back-office search finds a request by: its number, words, the person's name,
    email and phone (as typed), and the values of its attributes (a policy number, ...)."""
    parts = [request.tracking_number, request.subject, request.description, request.full_name]
    parts += [request.organization_name or "", request.email or ""]
    if request.phone:
        parts += phone_forms(request.phone)
    parts += _attribute_words(request.attributes or {})
    return _NON_WORD.sub(" ", fold(" ".join(parts))).strip()


# The search text is words of `\w` characters between single spaces. PostgreSQL's default
# parser (`to_tsvector('simple', …)`, most of the search vector's cost to a filing on the
# server) splits them further in two cases only: at underscores (`a_b` is `a`, `b`), and after
# a number in scientific notation at the start of a word (`1e5x` is `1e5`, `x`). The 'simple'
# dictionary then lower-cases each word (folded already) and drops the longest (below).
# `tests/test_search_vector.py` holds this to the server's own `to_tsvector` on every character.
_WORD = re.compile(r"[0-9]+e[0-9]+(?=[^\W0-9_])|[^\W_]+")
# The longest word built here. PostgreSQL 16.2 drops a word of 2047 bytes from `to_tsvector`
# and refuses it as `tsvector` input; 15.20 keeps it and takes it: a text with a longer word
# is left to the server's own parse, whatever its version.
MAX_WORD_BYTES = 2046
MAX_POSITION = 16383  # a later word keeps this position (MAXENTRYPOS - 1)
MAX_POSITIONS = 255  # positions kept per word, the first ones


@functools.cache
def _positioned(count: int) -> str:
    """`tsvector` input of `count` words, each at its position (`%s:1 %s:2 …`), for a text
    short enough to reach no limit: PostgreSQL merges a word's positions itself. One format
    of a template costs a filing's server a third of a join of words and suffixes."""
    return " ".join(f"%s:{position}" for position in range(1, count + 1))


# The parser asks the database's locale whether a non-ASCII character is a letter, and the
# dictionary lower-cases by it: letters already lower-case (or caseless) and in Unicode since
# 3.2 are letters and unchanged in every locale, C included; so are Tifinagh's (Unicode 4.1,
# 2005), in which Amazigh is written. A text with any other character (an exotic script, a
# number sign such as `৴`, a letter that folds to upper case as Cherokee's do, or an upper
# case one that folding leaves, as `🄰` is `A`: Turkish locales lower `I` to `ı`) is left to
# PostgreSQL's parser.
_SETTLED = char_class(
    [
        code
        for code in range(0x80, 0x10000)
        if unicodedata.category(chr(code)) in ("Ll", "Lo")
        and (
            unicodedata.ucd_3_2_0.category(chr(code)) == unicodedata.category(chr(code))
            or 0x2D30 <= code <= 0x2D67  # Tifinagh's letters
        )
    ]
)
_UNSETTLED = re.compile(f"[^a-z0-9_ {_SETTLED}]")
# A text a split on single spaces gets right: no character above nor underscore (matched
# whole, which costs a fifth of searching for one), and nothing that may be a number in
# scientific notation (searched from its `e`, which costs a third of a digit's search).
_PLAIN = re.compile(f"[a-z0-9 {_SETTLED}]*")
_MANTISSA = re.compile("e(?<=[0-9]e)[0-9]")


def search_vector(text: str) -> str | None:
    """`to_tsvector('simple', text)` of a search text, as `tsvector` input (`word:1 …`): no
    parser run at each write. None when the text has a character the database's locale
    decides (then PostgreSQL parses the text)."""
    if not text:
        return ""
    if (
        _PLAIN.fullmatch(text) is not None
        and _MANTISSA.search(text) is None
        and "  " not in text
        and text[0] != " " != text[-1]
    ):
        words = text.split(" ")
    elif _UNSETTLED.search(text) is not None:
        return None
    else:
        words = _WORD.findall(text)
    if len(words) <= MAX_POSITIONS and (
        len(text) * 4 <= MAX_WORD_BYTES or max(map(len, words), default=0) * 4 <= MAX_WORD_BYTES
    ):
        return _positioned(len(words)) % tuple(words)
    return _limited(words)


def _limited(words: list[str]) -> str | None:
    """The vector of `words` as `to_tsvector` limits it: positions past the last one at the
    last, a word's first positions kept; None with a word over `MAX_WORD_BYTES`."""
    positions: dict[str, list[int]] = {}
    position = 0
    for word in words:
        if len(word.encode()) > MAX_WORD_BYTES:
            return None
        position = min(position + 1, MAX_POSITION)
        kept = positions.setdefault(word, [])
        if len(kept) < MAX_POSITIONS and (not kept or kept[-1] < position):
            kept.append(position)
    return " ".join(f"{word}:{','.join(map(str, kept))}" for word, kept in positions.items())


def vector_value(text: str) -> Any:
    """What `search_vector` is set to for `text`: its vector, or PostgreSQL's parse of it (an
    SQL expression, run by the write)."""
    vector = search_vector(text)
    return repository.parsed_vector(text) if vector is None else vector


def index(request: Request) -> None:
    """Set the request's search text and vector from what it says now."""
    request.search_text = search_text(request)
    request.search_vector = vector_value(request.search_text)


async def reindex_batch(session: AsyncSession, after_id: int, size: int = 1000) -> list[int]:
    """Recompute the search text of the next `size` requests after `after_id` (after a release
    that changes what search covers); returns the ids done, in order (empty: none left)."""
    batch = await repository.requests_after(session, after_id, size)
    for request in batch:
        index(request)
    await session.flush()
    return [request.id for request in batch]
