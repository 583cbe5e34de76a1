"""A submission's outbox messages are written by `notifications.on_submitted`, which builds them
from the same words as the helpers every other change uses (`_citizen`, `_tell_administration`)
but without reading the unset id or copying the words for each message: it must write what
those helpers write (the citizen's acknowledgement by email and SMS, the supervisors' notice,
the `request.created` hooks), whatever the languages, contacts, kinds, names and ceilings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from app.config import Settings
from app.models.base import loaded
from app.models.catalogue import Administration
from app.models.enums import Kind, State
from app.models.request import Request
from app.repositories.throttle import Counter
from app.services import notifications, templates

NOW = datetime(2026, 3, 2, 9, 0, 5, 123456, tzinfo=UTC)


def _through_the_helpers(
    request: Request,
    administration: Administration,
    settings: Settings,
    now: datetime,
    ceilings: tuple[Counter | None, Counter | None],
) -> notifications.Outbox:
    """What `on_submitted` wrote when it called the helpers."""
    outbox = notifications.Outbox()
    email, sms = ceilings
    notifications._citizen(
        outbox,
        request,
        administration,
        "acknowledgement",
        now,
        sms_too=True,
        gates=(email.key if email else None, sms.key if sms else None),
        date=templates.day(request.received_at),
        due=templates.day(request.due_at),
        portal=settings.portal_url,
    )
    notifications._tell_administration(outbox, request, administration, settings, now)
    return outbox


CONTACTS = [("a@b.ma", None), (None, "+212600000000"), ("A+x@B.ma", "+212611111111")]
NAMES = [{"fr": "Adm", "ar": "إدارة", "en": "Adm en"}, {"fr": "", "ar": "", "en": ""}]


@pytest.mark.parametrize(("language", "staff_language"), [("fr", "fr"), ("ar", "fr"), ("en", "ar")])
def test_a_submission_writes_what_the_helpers_write(
    settings: Settings, language: str, staff_language: str
) -> None:
    custom = settings.model_copy(
        update={"default_language": staff_language, "portal_url": "https://portal.example.ma"}
    )
    ceilings_cases: list[tuple[Counter | None, Counter | None]] = [
        (None, None),
        (Counter("email-key", 3, NOW), Counter("sms-key", 3, NOW)),
    ]
    for (email, phone), kind, name, microsecond, ceilings in itertools.product(
        CONTACTS, Kind, NAMES, (0, 123456), ceilings_cases
    ):
        now = NOW.replace(microsecond=microsecond)
        received = now - timedelta(days=1, hours=3)
        request = loaded(
            Request,
            {
                "tracking_number": "K7MD-Q2ZX-9PT",
                "kind": kind,
                "state": State.submitted,
                "language": language,
                "email": email,
                "phone": phone,
                "received_at": received,
                "due_at": received + timedelta(days=30),
                "created_at": now,
                "subject": "Indemnisation refusée",
                "channel": "web",
            },
        )
        administration = loaded(Administration, {"id": 7, "code": "ACAPS", "name": name})
        written = notifications.on_submitted(
            request, administration, custom, now, ceilings=ceilings
        )
        expected = _through_the_helpers(request, administration, custom, now, ceilings)
        assert written == expected
        assert [type(row["payload"]["request"]["kind"]) for row in written.webhooks] == [
            type(row["payload"]["request"]["kind"]) for row in expected.webhooks
        ]
