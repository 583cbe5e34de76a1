"""What the portal tells whom, written to the outbox in the transaction of the change itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain import instants
from app.domain.contacts import email_key, mask_email, mask_phone
from app.i18n import Language, translate
from app.models.catalogue import Administration
from app.models.enums import Action, Channel, Kind, Role, State
from app.models.request import Request, RequestEvent
from app.repositories import notifications as repository
from app.repositories.notifications import Outbox as Outbox  # re-exported: submissions build one
from app.repositories.throttle import Counter
from app.services import templates, throttle

# Channels of anonymous citizens; operators and integrations file on the others.
ANONYMOUS_CHANNELS = {Channel.web.value, Channel.mobile.value}
# Citizen-facing events whose note is the administration's own words, quoted in the email.
SPEAKING = {
    Action.request_info,
    Action.answer,
    Action.reject,
    Action.acknowledge,
    Action.message,
    Action.interim_reply,
}


# Every message goes through the outbox, in the transaction of what it tells: the messages of a
# change are gathered in an `Outbox` and written in one statement; the rarer ones (contacts
# changed, one-time codes) one by one.
_add = repository.add_outbox


def _mailbox(email: str) -> str:
    """The mailbox an address reaches, for counting: case folded, `+tag` dropped (most
    providers deliver `name+anything@` to `name@`)."""
    local, _, domain = email_key(email).rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _language(request: Request) -> Language:
    return cast(Language, request.language)


def _about(request: Request, administration: Administration, language: Language) -> dict[str, str]:
    """The words every message about a request carries: its number and its administration."""
    return {
        "number": request.tracking_number,
        "administration": administration.name.get(language) or administration.code,
    }


def _for_staff(
    request: Request, administration: Administration, language: Language
) -> dict[str, str]:
    """What staff are told of a request: its number, administration, kind and due date."""
    return {
        **_about(request, administration, language),
        "kind": translate(f"kind.{request.kind}.in_sentence", language),
        "due": templates.day(request.due_at),
    }


def _email_staff(
    outbox: Outbox, request: Request, template: str, payload: dict[str, Any], to: list[str]
) -> None:
    """The same email about `request` to each staff address in `to`."""
    for address in to:
        outbox.message(
            channel="email",
            event=template,
            recipient=address,
            payload=payload,
            request_id=request.id,
        )


def _citizen(
    outbox: Outbox,
    request: Request,
    administration: Administration,
    kind: str,
    now: datetime,
    *,
    quoted: str | None = None,
    sms_too: bool = False,
    gates: tuple[str | None, str | None] = (None, None),
    **params: str,
) -> None:
    """Email the citizen; SMS when there is no email (or always, with `sms_too`). `gates`: the
    keys of the counters that must count the email and the SMS (`Outbox.message`)."""
    language = _language(request)
    params = {**_about(request, administration, language), **params}
    email_gate, sms_gate = gates
    for channel, recipient, wanted, gate in (
        ("email", request.email, True, email_gate),
        ("sms", request.phone, sms_too or not request.email, sms_gate),
    ):
        if recipient and wanted:
            outbox.message(
                channel=channel,
                event=kind,
                recipient=recipient,
                payload=templates.message(channel, kind, language, quoted, **params),
                request_id=request.id,
                gate=gate,
            )


def webhook_body(
    event: str, request: Request, administration: Administration, now: datetime, **extra: Any
) -> dict[str, Any]:
    """What administrations' systems receive: the facts of the request, no personal data."""
    return {
        "event": event,
        "occurred_at": instants.isoformat(now),
        "request": {
            "tracking_number": request.tracking_number,
            "kind": request.kind,
            "state": request.state,
            "administration": administration.code,
            "subject": request.subject,
            "channel": request.channel,
            "created_at": instants.isoformat(request.created_at),
            "due_at": instants.isoformat(request.due_at),
        },
        **extra,
    }


def _webhooks(
    outbox: Outbox,
    administration: Administration,
    event: str,
    request: Request,
    now: datetime,
    **extra: Any,
) -> None:
    """One message per active webhook taking `event`, found by the statement writing them."""
    outbox.fanout(
        "webhooks",
        administration_id=administration.id,
        event=event,
        payload=webhook_body(event, request, administration, now, **extra),
        request_id=request.id,
    )


def _tell_administration(
    outbox: Outbox,
    request: Request,
    administration: Administration,
    settings: Settings,
    now: datetime,
) -> None:
    """New-request notice to the administration's supervisors, and its `request.created` hooks
    (both found by the statement writing them)."""
    language = cast(Language, settings.default_language)
    params = _for_staff(request, administration, language)
    outbox.fanout(
        "supervisors",
        administration_id=administration.id,
        event="new_request",
        payload=templates.message("email", "new_request", language, **params),
        request_id=request.id,
    )
    _webhooks(outbox, administration, "request.created", request, now)


async def _tell_national_admins(
    session: AsyncSession,
    outbox: Outbox,
    request: Request,
    administration: Administration,
    template: str,
    quoted: str | None,
    settings: Settings,
) -> None:
    """Something waits for the national admins (a declined transfer, a complaint's appeal):
    each of them is told, quoting staff's words at most, never the citizen's."""
    language = cast(Language, settings.default_language)
    payload = templates.message(
        "email", template, language, quoted, **_about(request, administration, language)
    )
    to = await repository.staff_emails(session, request.administration_id, national=True)
    _email_staff(outbox, request, template, payload, to)


def acknowledgement_ceilings(
    request: Request, settings: Settings, now: datetime
) -> tuple[Counter | None, Counter | None]:
    """The counters a new request's acknowledgements pass, by email and by SMS (None: not
    counted), counted by the statement filing it.

    Anyone may file with anyone's contact: past a daily ceiling per email or phone, the
    request is filed all the same and only its acknowledgement to that contact is skipped,
    so nobody can flood a stranger's inbox or phone, nor stop anyone from filing. (The
    supervisors' notices are bounded by the per-address submission ceiling.)"""
    if settings.acknowledgements_per_recipient_per_day <= 0 or (
        request.channel not in ANONYMOUS_CHANNELS
    ):  # no ceiling (`throttle.acknowledgement_counter`): no mailbox worked out for it
        return None, None
    email = phone = None
    if request.email:
        email = throttle.acknowledgement_counter("email", _mailbox(request.email), settings, now)
    if request.phone:
        phone = throttle.acknowledgement_counter("sms", request.phone, settings, now)
    return email, phone


def on_submitted(
    request: Request,
    administration: Administration,
    settings: Settings,
    now: datetime,
    *,
    ceilings: tuple[Counter | None, Counter | None],
) -> Outbox:
    """The messages of a new request (its tracking number drawn, its id not yet known: they
    are written by the statement inserting it): acknowledge at once (decree 2-17-265) by email
    and SMS, each only if its counter of `ceilings` (`acknowledgement_ceilings`) counts it,
    and tell the administration (its supervisors, its `request.created` hooks).

    What `_citizen` and `_tell_administration` write, from the same words (`_about`,
    `_for_staff`, `webhook_body`), without reading the unset id (an unset mapped attribute
    costs thirty reads of a dict) nor copying the words into keyword arguments for each
    message: this runs at every submission."""
    language = _language(request)
    outbox = Outbox()
    about = {
        **_about(request, administration, language),
        "date": templates.day(request.received_at),
        "due": templates.day(request.due_at),
        "portal": settings.portal_url,
    }
    for channel, recipient, gate in zip(
        ("email", "sms"), (request.email, request.phone), ceilings, strict=True
    ):
        if recipient:
            outbox.message(
                channel=channel,
                event="acknowledgement",
                recipient=recipient,
                payload=templates.payload(channel, "acknowledgement", language, about),
                request_id=None,
                gate=gate.key if gate else None,
            )
    staff_language = cast(Language, settings.default_language)
    for_staff = _for_staff(request, administration, staff_language)
    outbox.fanout(
        "supervisors",
        administration_id=administration.id,
        event="new_request",
        payload=templates.payload("email", "new_request", staff_language, for_staff),
        request_id=None,
    )
    outbox.fanout(
        "webhooks",
        administration_id=administration.id,
        event="request.created",
        payload=webhook_body("request.created", request, administration, now),
        request_id=None,
    )
    return outbox


async def _tell_duplicates(
    session: AsyncSession,
    outbox: Outbox,
    request: Request,
    administration: Administration,
    now: datetime,
) -> None:
    """The original was answered: each duplicate's citizen hears so about their own request,
    never with the original's text, number or complainant (another citizen's affair)."""
    for duplicate in await repository.duplicates_of(session, request.id):
        _citizen(outbox, duplicate, administration, "duplicate_answered", now)


async def on_event(
    session: AsyncSession, request: Request, event: RequestEvent, settings: Settings, now: datetime
) -> None:
    """After any lifecycle event: tell the citizen what they did not do themselves, and hooks."""
    administration = await repository.administration(session, request.administration_id)
    outbox = Outbox()
    action = Action(event.action)
    # Documents go with an answer or a message, which speak for themselves.
    if event.public and event.actor_role != Role.citizen and action is not Action.attach:
        language = _language(request)
        quoted = event.note if action in SPEAKING else None
        if action is Action.message:
            _citizen(outbox, request, administration, "message", now, quoted=quoted)
        elif action is Action.interim_reply:
            expected = templates.day(datetime.fromisoformat(event.data["expected_at"]))
            _citizen(
                outbox,
                request,
                administration,
                "interim_reply",
                now,
                quoted=quoted,
                expected=expected,
            )
        else:
            state = translate(f"state.{event.to_state}.in_sentence", language)
            _citizen(
                outbox, request, administration, "state_changed", now, quoted=quoted, state=state
            )
    if action is Action.transfer:
        _tell_administration(outbox, request, administration, settings, now)
    if action is Action.decline_transfer:  # with the declining administration's reason
        await _tell_national_admins(
            session, outbox, request, administration, "transfer_declined", event.note, settings
        )
    if action is Action.appeal and request.kind == Kind.complaint:  # the reason is the citizen's
        await _tell_national_admins(
            session, outbox, request, administration, "appeal_filed", None, settings
        )
    if action in (Action.alert_due_soon, Action.escalate):
        await _tell_staff_of_deadline(
            session, outbox, request, administration, action, settings, now
        )
    if event.to_state == State.answered and event.from_state != event.to_state:
        await _tell_duplicates(session, outbox, request, administration, now)
    if event.from_state != event.to_state:
        _webhooks(
            outbox,
            administration,
            "request.state_changed",
            request,
            now,
            change={"action": event.action, "from": event.from_state, "to": event.to_state},
        )
    if action is Action.message and event.public:
        _webhooks(outbox, administration, "message.created", request, now, author=event.actor_role)
    await repository.write(session, outbox, now)


async def _tell_staff_of_deadline(
    session: AsyncSession,
    outbox: Outbox,
    request: Request,
    administration: Administration,
    action: Action,
    settings: Settings,
    now: datetime,
) -> None:
    """Deadlines that bite: a due date near (the assignee and the supervisors), missed (level
    1: the supervisors) or long missed (level 2: the national admins), by email."""
    language = cast(Language, settings.default_language)
    if action is Action.alert_due_soon:
        template, days = "due_soon", settings.due_soon_days
        recipients = await repository.staff_emails(
            session, request.administration_id, assignee_id=request.assignee_id, supervisors=True
        )
    elif request.escalation_level >= 2:
        template, days = "escalated_national", settings.escalation_days
        recipients = await repository.staff_emails(
            session, request.administration_id, national=True
        )
    else:
        template, days = "escalated", 0
        recipients = await repository.staff_emails(
            session, request.administration_id, supervisors=True
        )
    params = {**_for_staff(request, administration, language), "days": str(days)}
    payload = templates.message("email", template, language, **params)
    _email_staff(outbox, request, template, payload, recipients)


async def contact_changed(
    session: AsyncSession,
    request: Request,
    old_email: str | None,
    old_phone: str | None,
    now: datetime,
    *,
    template: str = "contact_changed",
) -> None:
    """Tell the previous contact of a request that it was replaced: whoever held it can no
    longer follow the request and must know. The new contact is shown masked, never in full.
    `template` "contact_corrected" when the citizen corrected it themself."""
    administration = await repository.administration(session, request.administration_id)
    language = _language(request)
    masked = [mask_email(request.email)] if request.email else []
    masked += [mask_phone(request.phone)] if request.phone else []
    params = {**_about(request, administration, language), "contact": ", ".join(masked)}
    for channel, recipient in (("email", old_email), ("sms", old_phone)):
        if recipient:
            _add(
                session,
                channel=channel,
                event=template,
                recipient=recipient,
                payload=templates.message(channel, template, language, **params),
                now=now,
                request_id=request.id,
            )


def one_time_code(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    code: str,
    language: Language,
    now: datetime,
    expires_at: datetime,
) -> None:
    """A citizen's one-time code: ahead of the recipient's older messages (a priority), and
    dropped unsent at its expiry."""
    params = {"code": code, "minutes": str(round((expires_at - now).total_seconds() / 60))}
    _add(
        session,
        channel=channel,
        event="one_time_code",
        recipient=recipient,
        payload=templates.message(channel, "one_time_code", language, **params),
        now=now,
        priority=1,
        expires_at=expires_at,
    )


async def remind_reopen_windows(
    session: AsyncSession, settings: Settings, now: datetime, batch: int = 200
) -> int:
    """Remind citizens a few days before their reopen window closes (once per answer)."""
    due = await repository.reopen_reminders_due(
        session,
        now=now,
        default_window_days=settings.reopen_window_days,
        reminder_days=settings.reopen_reminder_days,
        batch=batch,
    )
    reminded = 0
    outbox = Outbox()
    for request, administration in due:
        assert request.answered_at is not None
        service = (
            await repository.service(session, request.service_id) if request.service_id else None
        )
        days = (
            (service.reopen_window_days if service else None)
            or administration.reopen_window_days
            or settings.reopen_window_days
        )
        until = templates.day(request.answered_at + timedelta(days=days))
        _citizen(outbox, request, administration, "reopen_reminder", now, until=until)
        request.reopen_reminder_sent_at = now
        reminded += 1
    await repository.write(session, outbox, now)
    await session.flush()
    return reminded
