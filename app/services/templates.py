"""Emails and SMS to citizens and administrations, in Arabic, French and English.

The words live in the one catalogue (`app.i18n`): `email.<template>.subject`,
`email.<template>.body` and `sms.<template>`. Emails get a plain-text part and an HTML part
(right-to-left for Arabic).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from app.i18n import Language, translate


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def day(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y")


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
