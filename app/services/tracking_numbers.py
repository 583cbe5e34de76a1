"""Tracking numbers: read aloud, typed on a phone, printed on a receipt — and never guessed.

Ten symbols drawn from a 32-letter alphabet without look-alikes (no I, L, O, U), that is 50
bits from the operating system's CSPRNG, plus one Luhn mod-32 check symbol that catches every
single wrong symbol and most swaps of neighbours. Shown as `XXXX-XXXX-XXX`. Input is forgiving:
case, spaces, dashes and the usual confusions (O→0, I/L→1) are accepted.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {symbol: value for value, symbol in enumerate(ALPHABET)}
CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})
RANDOM_SYMBOLS = 10
RANDOM_BITS = RANDOM_SYMBOLS * 5  # 50 bits >= the 40 the design asks for


def check_symbol(payload: str) -> str:
    """The Luhn mod N check symbol of `payload` (N = 32)."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for symbol in reversed(payload):
        addend = factor * _INDEX[symbol]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _format(symbols: str) -> str:
    return f"{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


# Each random byte read as one symbol by its low 5 bits: 256 is a multiple of 32, so every
# symbol is equally likely, as `secrets.choice` would draw it, for one read of the CSPRNG per
# draw instead of one per symbol.
_SYMBOL_OF_BYTE = bytes(ord(ALPHABET[byte % len(ALPHABET)]) for byte in range(256))
assert 256 % len(ALPHABET) == 0


def _random_symbols(count: int) -> str:
    """`count` symbols drawn uniformly and independently from the operating system's CSPRNG."""
    return secrets.token_bytes(count).translate(_SYMBOL_OF_BYTE).decode("ascii")


def generate() -> str:
    payload = _random_symbols(RANDOM_SYMBOLS)
    return _format(payload + check_symbol(payload))


def normalize(raw: str) -> str | None:
    """The canonical form of a typed tracking number, or None when it cannot be one."""
    symbols = "".join(raw.upper().split()).replace("-", "").translate(CONFUSIONS)
    if len(symbols) != RANDOM_SYMBOLS + 1 or any(ch not in _INDEX for ch in symbols):
        return None
    payload, check = symbols[:-1], symbols[-1]
    if check_symbol(payload) != check:
        return None
    return _format(symbols)


def public_id() -> str:
    """The id shown to the public (Open311 `service_request_id`): random, unrelated to the
    tracking number, which stays the citizen's secret."""
    return "R" + _random_symbols(13)


def receipt_code() -> str:
    """A code printed on a receipt so anyone can check it is genuine: 60 random bits."""
    return _format(_random_symbols(12))
