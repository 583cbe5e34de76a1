"""Plain ASCII email addresses, normalized without email_validator's general machinery.

`email_validator.validate_email` costs some 20 µs an address (Unicode tables, IDNA remapping),
a twentieth of a submission's own work. An address such as `Fatima.Zahra+tag@Example.MA` —
ASCII letters and digits, single dots, pluses, dashes or underscores between them in the local
part, and a dotted domain of such labels ending in letters — needs none of it: email_validator
keeps its local part as typed and lower-cases its domain. `normalized` answers only for such an
address; anything else (quoted or Unicode local parts, internationalized or `xn--` domains,
role names like `Postmaster` that it lower-cases, special-use domains, lengths near a limit)
gets None and goes to email_validator, so every error stays its own.
`tests/test_plain_emails.py` checks the two agree over a systematic sample.
"""

from __future__ import annotations

import re

import email_validator
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

_WORD = r"[A-Za-z0-9]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # at most 63 characters
_PLAIN = re.compile(
    rf"(?P<local>{_WORD}(?:[._+-]{_WORD})*)@(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,63}})"
)
# Well under email_validator's limits (253 after the @, 254 in all): an address near one is
# left to it.
_MAX_LENGTH = 200
_ROLE_NAMES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def normalized(address: str) -> str | None:
    """What `validate_email(address, check_deliverability=False).normalized` is, for a plain
    ASCII address; None for any other (valid or not)."""
    if len(address) > _MAX_LENGTH:
        return None
    plain = _PLAIN.fullmatch(address)
    if plain is None:
        return None
    local, domain = plain.group("local"), plain.group("domain").lower()
    if local.lower() in _ROLE_NAMES or "--" in domain:
        return None  # lower-cased, or an IDNA label (`xn--`) and its rules: email_validator's
    # Read at each call, as email_validator does: a list a deployment may extend.
    for special in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        if domain == special or domain.endswith("." + special):
            return None
    return f"{local}@{domain}"
