"""One-time password-reset links for staff, emailed through the outbox.

Only the SHA-256 of a link's token is stored; a token works once, before it expires, for an
active account. The email itself waits in the outbox like every other message.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import FieldError, InvalidResetToken
from app.i18n import Language, translate
from app.models.outbox import OutboxMessage
from app.models.user import PasswordReset, User
from app.repositories import password_resets as repository
from app.repositories import users as users_repository
from app.services import users


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_link(token: str, settings: Settings) -> str:
    # In the fragment: browsers never send it to a server, so it stays out of access logs and
    # `Referer` headers; the portal's page reads it and posts it to the confirm endpoint.
    return f"{settings.portal_url.rstrip('/')}/staff/password-reset#token={token}"


def _email(user: User, link: str, minutes: int, language: Language) -> dict[str, str]:
    subject = translate("email.password_reset.subject", language)
    lines = [
        translate("email.password_reset.body", language, email=user.email, minutes=minutes),
        link,
        translate("email.password_reset.ignore", language),
        translate("email.signature", language, portal=translate("portal.name", language)),
    ]
    direction = "rtl" if language == "ar" else "ltr"
    paragraphs = "".join(
        f'<p><a href="{html.escape(line)}">{html.escape(line)}</a></p>'
        if line == link
        else f"<p>{html.escape(line)}</p>"
        for line in lines
    )
    page = (
        f'<!doctype html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: Arial, sans-serif" dir="{direction}">{paragraphs}</body></html>'
    )
    return {
        "subject": subject,
        "text": "\n\n".join(lines),
        "html": page,
        "language": language,
    }


async def issue(
    session: AsyncSession, user: User, settings: Settings, now: datetime, language: Language
) -> datetime:
    """A new link for `user`, queued in the outbox; returns when it expires."""
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=settings.password_reset_ttl_minutes)
    session.add(
        PasswordReset(
            user_id=user.id, token_hash=_digest(token), expires_at=expires_at, created_at=now
        )
    )
    session.add(
        OutboxMessage(
            message_id=uuid.uuid4(),
            channel="email",
            event="password_reset",
            recipient=user.email,
            payload=_email(
                user, reset_link(token, settings), settings.password_reset_ttl_minutes, language
            ),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    await session.flush()
    return expires_at


async def request(
    session: AsyncSession, email: str, settings: Settings, now: datetime, language: Language
) -> None:
    """Someone asks for a link for `email`: sent when an active account has it, unless that
    account got enough links this hour (so nobody floods a staff mailbox). The caller answers
    the same either way: this does not tell whether an account exists."""
    user = await users.find_by_email(session, email)
    if user is None or not user.active:
        return
    recent = await repository.count_since(session, user.id, now - timedelta(hours=1))
    if recent >= settings.password_resets_per_account_per_hour:
        return
    await issue(session, user, settings, now, language)


async def confirm(
    session: AsyncSession, token: str, password: str, settings: Settings, now: datetime
) -> list[FieldError]:
    """Use the link's token to set a new password; every token of the account is revoked.
    Returns the password's problems (then the caller rolls back and the link still works)."""
    user_id = await repository.spend(session, _digest(token), now)
    user = None
    if user_id is not None:
        user = await users_repository.active_locked(session, user_id)
    if user is None:
        raise InvalidResetToken()
    return await users.set_password(session, user, password, settings, now)
