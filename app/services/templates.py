"""Texts of the messages sent to citizens and administrations, in Arabic, French and English.

Emails get a plain-text part and an HTML part (right-to-left for Arabic). SMS stay within two
segments: 320 GSM characters in Latin scripts, 134 UCS-2 characters in Arabic.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.i18n import Language

STATE_LABELS: Final[dict[str, dict[str, str]]] = {
    "submitted": {"ar": "مودع", "fr": "déposée", "en": "submitted"},
    "in_progress": {"ar": "قيد المعالجة", "fr": "en cours de traitement", "en": "in progress"},
    "awaiting_citizen": {
        "ar": "في انتظار ردكم",
        "fr": "en attente de votre réponse",
        "en": "awaiting your reply",
    },
    "answered": {"ar": "تمت الإجابة", "fr": "répondue", "en": "answered"},
    "acknowledged": {"ar": "تم الاطلاع عليه", "fr": "prise en compte", "en": "acknowledged"},
    "appealed": {"ar": "قيد التظلم", "fr": "en recours", "en": "under appeal"},
    "closed": {"ar": "مغلق", "fr": "clôturée", "en": "closed"},
    "rejected": {"ar": "مرفوض", "fr": "rejetée", "en": "rejected"},
}

SUBJECTS: Final[dict[str, dict[str, str]]] = {
    "acknowledgement": {
        "ar": "إيصال بالاستلام — طلبكم رقم {number}",
        "fr": "Accusé de réception — votre demande {number}",
        "en": "Acknowledgement — your request {number}",
    },
    "state_changed": {
        "ar": "تحيين طلبكم رقم {number}",
        "fr": "Votre demande {number} a évolué",
        "en": "Your request {number} has been updated",
    },
    "message": {
        "ar": "رسالة جديدة بخصوص طلبكم رقم {number}",
        "fr": "Nouveau message sur votre demande {number}",
        "en": "New message about your request {number}",
    },
    "reopen_reminder": {
        "ar": "آخر أجل لإعادة فتح طلبكم رقم {number}",
        "fr": "Dernier délai pour rouvrir votre demande {number}",
        "en": "Last days to reopen your request {number}",
    },
    "contact_changed": {
        "ar": "تم تغيير وسيلة الاتصال الخاصة بطلبكم رقم {number}",
        "fr": "Les coordonnées de votre demande {number} ont été modifiées",
        "en": "The contact details of your request {number} were changed",
    },
    "new_request": {
        "ar": "طلب جديد رقم {number}",
        "fr": "Nouvelle demande {number}",
        "en": "New request {number}",
    },
}

BODIES: Final[dict[str, dict[str, str]]] = {
    "acknowledgement": {
        "ar": "توصلت {administration} بطلبكم رقم {number} بتاريخ {date}. يجب الرد عليه قبل {due}. احتفظوا بهذا الرقم لتتبع طلبكم على {portal}.",
        "fr": "{administration} a bien reçu votre demande n° {number} le {date}. Une réponse est due avant le {due}. Gardez ce numéro pour suivre votre demande sur {portal}.",
        "en": "{administration} received your request no. {number} on {date}. An answer is due by {due}. Keep this number to follow your request on {portal}.",
    },
    "state_changed": {
        "ar": "طلبكم رقم {number} لدى {administration} أصبح: {state}.",
        "fr": "Votre demande n° {number} auprès de {administration} est désormais : {state}.",
        "en": "Your request no. {number} with {administration} is now: {state}.",
    },
    "message": {
        "ar": "كتبت لكم {administration} بخصوص طلبكم رقم {number}.",
        "fr": "{administration} vous a écrit au sujet de votre demande n° {number}.",
        "en": "{administration} wrote to you about your request no. {number}.",
    },
    "reopen_reminder": {
        "ar": "إذا لم يقنعكم جواب {administration} عن طلبكم رقم {number}، يمكنكم إعادة فتحه قبل {until}.",
        "fr": "Si la réponse de {administration} à votre demande n° {number} ne vous convainc pas, vous pouvez la rouvrir avant le {until}.",
        "en": "If the answer of {administration} to your request no. {number} does not convince you, you can reopen it before {until}.",
    },
    "contact_changed": {
        "ar": "غيرت {administration} وسيلة الاتصال الخاصة بطلبكم رقم {number}، وستصل الرسائل المتعلقة به من الآن إلى: {contact}. إذا لم تطلبوا ذلك، اتصلوا بـ{administration} مع ذكر رقم طلبكم.",
        "fr": "{administration} a modifié les coordonnées de votre demande n° {number} ; ses messages iront désormais à : {contact}. Si vous n'en êtes pas à l'origine, contactez {administration} en indiquant ce numéro.",
        "en": "{administration} changed the contact details of your request no. {number}; its messages now go to: {contact}. If you did not ask for this, contact {administration} with this number.",
    },
    "new_request": {
        "ar": "وصل طلب جديد رقم {number} ({kind}) إلى {administration}، يجب الرد عليه قبل {due}.",
        "fr": "Une nouvelle demande n° {number} ({kind}) est arrivée à {administration} ; réponse due avant le {due}.",
        "en": "A new request no. {number} ({kind}) reached {administration}; an answer is due by {due}.",
    },
}

SMS: Final[dict[str, dict[str, str]]] = {
    "acknowledgement": {
        "ar": "شكاية: توصلنا بطلبكم رقم {number}. الجواب قبل {due}.",
        "fr": "Chikaya: demande {number} reçue. Réponse avant le {due}.",
        "en": "Chikaya: request {number} received. Answer due by {due}.",
    },
    "state_changed": {
        "ar": "شكاية: طلبكم {number} أصبح: {state}.",
        "fr": "Chikaya: votre demande {number} est {state}.",
        "en": "Chikaya: your request {number} is {state}.",
    },
    "message": {
        "ar": "شكاية: رسالة جديدة بخصوص طلبكم {number}.",
        "fr": "Chikaya: nouveau message sur votre demande {number}.",
        "en": "Chikaya: new message about your request {number}.",
    },
    "contact_changed": {
        "ar": "شكاية: تم تغيير وسيلة الاتصال لطلبكم {number} إلى {contact}.",
        "fr": "Chikaya: le contact de votre demande {number} a été remplacé par {contact}.",
        "en": "Chikaya: the contact of your request {number} was changed to {contact}.",
    },
    "reopen_reminder": {
        "ar": "شكاية: يمكنكم إعادة فتح طلبكم {number} قبل {until}.",
        "fr": "Chikaya: vous pouvez rouvrir la demande {number} avant le {until}.",
        "en": "Chikaya: you can reopen request {number} before {until}.",
    },
}

SIGNATURE: Final[dict[str, str]] = {
    "ar": "البوابة الوطنية للشكايات — هذه رسالة آلية، المرجو عدم الرد عليها.",
    "fr": "Portail national des réclamations — message automatique, merci de ne pas y répondre.",
    "en": "National complaints portal — automatic message, please do not reply.",
}


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def day(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y")


def email(template: str, language: Language, quoted: str | None = None, **params: str) -> Email:
    """The email `template` in `language`; `quoted` is a message from the other side, as is."""
    subject = SUBJECTS[template][language].format(**params)
    lines = [BODIES[template][language].format(**params)]
    if quoted:
        lines.append(quoted)
    lines.append(SIGNATURE[language])
    direction = "rtl" if language == "ar" else "ltr"
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    body = (
        f'<!doctype html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: Arial, sans-serif" dir="{direction}">{paragraphs}</body></html>'
    )
    return Email(subject=subject, text="\n\n".join(lines), html=body)


def sms(template: str, language: Language, **params: str) -> str:
    return SMS[template][language].format(**params)
