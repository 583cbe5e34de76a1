"""Emails and SMS to citizens and administrations, in Arabic, French and English.

The words live in the one catalogue (`app.i18n`): `email.<template>.subject`,
`email.<template>.body` and `sms.<template>`. Emails get a plain-text part and an HTML part
(right-to-left for Arabic).

An outbox message keeps what renders it (`message`: the template, the language, the
parameters, the quoted words), and the dispatcher renders it just before sending (`render`):
a change writes a few short strings instead of three bodies, and does no rendering in the
request that causes it. Rows written whole (before rendering moved to send time, and the
password resets, which render themselves) are sent as they are.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from app.domain import instants
from app.i18n import MESSAGES, Language, translate


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


day = instants.day  # `moment.strftime("%d/%m/%Y")`, as messages quote a day


def email(template: str, language: Language, quoted: str | None = None, **params: str) -> Email:
    """The email `template` in `language`; `quoted` is a message from the other side, as is."""
    subject = translate(f"email.{template}.subject", language, **params)
    lines = [translate(f"email.{template}.body", language, **params)]
    if quoted:
        lines.append(quoted)
    lines.append(translate("email.signature", language, portal=translate("portal.name", language)))
    direction = "rtl" if language == "ar" else "ltr"
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    body = (
        f'<!doctype html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: Arial, sans-serif" dir="{direction}">{paragraphs}</body></html>'
    )
    return Email(subject=subject, text="\n\n".join(lines), html=body)


def sms(template: str, language: Language, **params: str) -> str:
    return translate(f"sms.{template}", language, **params)


def message(
    channel: str, template: str, language: Language, quoted: str | None = None, **params: str
) -> dict[str, Any]:
    """The outbox payload of an email (or an SMS) `template`: what `render` makes it from at
    send time. Only the parameters its words use are kept (an SMS says less than an email),
    and an SMS quotes nobody: `quoted` is kept for emails only."""
    return payload(channel, template, language, params, quoted)


def payload(
    channel: str,
    template: str,
    language: Language,
    params: Mapping[str, str],
    quoted: str | None = None,
) -> dict[str, Any]:
    """`message`, its parameters given as a mapping (one kept by the caller for several
    messages, not copied into keyword arguments for each)."""
    used = _placeholders(channel, template)
    kept = {name: value for name, value in params.items() if name in used}
    written: dict[str, Any] = {"template": template, "language": language, "params": kept}
    if quoted and channel == "email":
        written["quoted"] = quoted
    return written


@cache
def _placeholders(channel: str, template: str) -> frozenset[str]:
    """The names that the words of `template` on `channel` use, in any language."""
    keys = (
        [f"email.{template}.subject", f"email.{template}.body"]
        if channel == "email"
        else [f"sms.{template}"]
    )
    return frozenset(
        name
        for key in keys
        for text in MESSAGES.get(key, {}).values()
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    )


def render(channel: str, payload: Mapping[str, Any]) -> dict[str, str]:
    """What an outbox message says: an email's `subject`, `text`, `html` and `language`, an
    SMS's `text` and `language` — rendered now from a payload of `message`, or read as they
    are from a payload written whole (the older form, and password resets)."""
    template = payload.get("template")
    if template is None:
        return {key: str(value) for key, value in payload.items()}
    language = cast(Language, payload["language"])
    params: dict[str, str] = payload["params"]
    if channel == "email":
        mail = email(template, language, payload.get("quoted"), **params)
        return {"subject": mail.subject, "text": mail.text, "html": mail.html, "language": language}
    return {"text": sms(template, language, **params), "language": language}
