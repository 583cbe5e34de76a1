"""Typed factories for tests: administrations, services, staff, and requests filed by API."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models.catalogue import Administration, Service
from app.models.enums import Role
from app.models.user import User
from app.services import auth, clock, totp
from app.services.textnorm import fold

PASSWORD = "correct horse battery staple"
_hash_cache: dict[str, str] = {}
_counter = itertools.count(1)

L = {"ar": "نص", "fr": "texte", "en": "text"}

ATTRIBUTES: list[dict[str, Any]] = [
    {
        "code": "policy_number",
        "datatype": "string",
        "required": True,
        "order": 1,
        "description": {"ar": "رقم العقد", "fr": "Numéro de police", "en": "Policy number"},
        "max_length": 20,
        "values": [],
    },
    {
        "code": "branch",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 2,
        "description": {"ar": "الفرع", "fr": "Branche", "en": "Branch"},
        "values": [
            {"key": "auto", "name": {"ar": "السيارات", "fr": "Automobile", "en": "Motor"}},
            {"key": "health", "name": {"ar": "الصحة", "fr": "Santé", "en": "Health"}},
        ],
    },
    {
        "code": "incident_date",
        "datatype": "date",
        "required": False,
        "order": 3,
        "description": {"ar": "تاريخ الحادث", "fr": "Date du sinistre", "en": "Incident date"},
        "values": [],
    },
    {
        "code": "amount",
        "datatype": "number",
        "required": False,
        "order": 4,
        "description": {"ar": "المبلغ", "fr": "Montant", "en": "Amount"},
        "values": [],
    },
    {
        "code": "accused_id",
        "datatype": "national_id",
        "required": False,
        "order": 5,
        "description": {"ar": "رقم البطاقة", "fr": "CIN", "en": "National ID"},
        "values": [],
    },
]


async def make_administration(
    session: AsyncSession,
    code: str | None = None,
    *,
    name: dict[str, str] | None = None,
    answer_days: int | None = None,
    reopen_window_days: int | None = None,
    max_reopens: int | None = None,
    kinds: tuple[str, ...] = ("complaint", "observation", "suggestion"),
    attributes: list[dict[str, Any]] | None = None,
) -> Administration:
    """An administration with one service, `svc`, carrying the test attributes."""
    code = code or f"TST{next(_counter)}"
    name = name or {
        "ar": f"إدارة {code}",
        "fr": f"Administration {code}",
        "en": f"Administration {code}",
    }
    admin = Administration(
        code=code,
        name=name,
        sector="public_service",
        answer_days=answer_days,
        reopen_window_days=reopen_window_days,
        max_reopens=max_reopens,
        search_text=fold(" ".join([code, *name.values()])),
    )
    session.add(admin)
    await session.flush()
    session.add(
        Service(
            administration_id=admin.id,
            code="svc",
            name={"ar": "خدمة", "fr": "Service", "en": "Service"},
            description=L,
            kinds=list(kinds),
            attributes=ATTRIBUTES if attributes is None else attributes,
            required_documents=[],
        )
    )
    session.add(
        Service(
            administration_id=admin.id,
            code="general",
            name={"ar": "عام", "fr": "Général", "en": "General"},
            description=L,
            kinds=list(kinds),
            attributes=[],
            required_documents=[],
        )
    )
    await session.flush()
    return admin


async def make_staff(
    session: AsyncSession,
    settings: Settings,
    role: Role,
    administration: Administration | None = None,
    *,
    full_name: str | None = None,
) -> tuple[User, dict[str, str]]:
    """A staff account and the Authorization header of its bearer token."""
    if "hash" not in _hash_cache:
        _hash_cache["hash"] = await auth.hash_password(PASSWORD)
    n = next(_counter)
    user = User(
        email=f"{role.value}{n}@staff.example.ma",
        full_name=full_name or f"{role.value.title()} {n}",
        password_hash=_hash_cache["hash"],
        role=role.value,
        administration_id=administration.id if administration else None,
        active=True,
        token_version=0,
        # Enrolled like `python -m app users create` does: these roles log in with a code.
        totp_secret=totp.new_secret() if role in totp.REQUIRED_FOR else None,
    )
    session.add(user)
    await session.flush()
    token = auth.staff_token(user.id, settings, version=user.token_version)
    return user, {"Authorization": f"Bearer {token}"}


def otp(user: User, moment: datetime | None = None) -> str:
    """The code the account's authenticator app shows at `moment` (now by default)."""
    assert user.totp_secret, f"{user.email} has no second factor"
    return totp.code_at(user.totp_secret, moment or clock.now())


def complaint(administration: str, **overrides: Any) -> dict[str, Any]:
    """A valid complaint for the `svc` service of a test administration."""
    body: dict[str, Any] = {
        "kind": "complaint",
        "administration": administration,
        "service": "svc",
        "subject": "Indemnisation refusée",
        "description": "Mon assureur refuse d'indemniser le sinistre du 3 mars 2026.",
        "attributes": {"policy_number": "POL-123", "branch": "auto"},
        "complainant": {"full_name": "Fatima Zahra El Idrissi", "email": "Fatima@Example.ma"},
    }
    body.update(overrides)
    return body


async def file(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    """File a request through the API; returns the 201 body plus a citizen `auth` header."""
    response = await client.post("/api/v1/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["auth"] = {"Authorization": f"Bearer {created['access_token']}"}
    return created


async def act(
    client: httpx.AsyncClient, number: str, action: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/{action}", json=body, headers=headers
    )
