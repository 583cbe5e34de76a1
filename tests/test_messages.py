"""The conversation: retries never duplicate a message; logs never carry search terms."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.logging import DropQueryStrings
from app.models.enums import Role
from app.models.request import Message
from tests.factories import complaint, file, make_administration, make_staff


async def test_a_retried_message_is_written_once(client, session, settings):
    admin = await make_administration(session)
    created = await file(client, complaint(admin.code))
    number, citizen = created["tracking_number"], created["auth"]
    headers = {**citizen, "Idempotency-Key": "msg-1"}
    first = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Bonjour"}, headers=headers
    )
    again = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Bonjour"}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    count = await session.scalar(select(func.count()).select_from(Message))
    assert count == 1
    other = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Autre"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


async def test_staff_see_author_names_citizens_do_not(client, session, settings):
    admin = await make_administration(session)
    _agent, staff = await make_staff(session, settings, Role.agent, admin, full_name="Salma Agent")
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    posted = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Nous étudions."}, headers=staff
    )
    assert posted.status_code == 201
    staff_view = await client.get(f"/api/v1/requests/{number}/messages", headers=staff)
    citizen_view = await client.get(f"/api/v1/requests/{number}/messages", headers=created["auth"])
    assert staff_view.json()[0]["author_name"] == "Salma Agent"
    assert citizen_view.json()[0]["author_name"] is None
    assert citizen_view.json()[0]["author"] == "agent"


def test_access_log_lines_lose_their_query_string():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/backoffice/requests?q=Fatima+Idrissi", "1.1", 200),
        None,
    )
    assert DropQueryStrings().filter(record) is True
    assert "Fatima" not in record.getMessage()
    assert "/api/v1/backoffice/requests" in record.getMessage()
