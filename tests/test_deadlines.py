"""Deadlines that bite (issue 10): a warning before the due date, escalation after it (level 1
to the administration's supervisors, level 2 to the national admins), the `interim_reply`
that tells the citizen without moving anything, the `escalated` filter and statistics, and
`python -m app lifecycle run-due --at` running all the clock's work as of an instant."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from functools import partial

import pytest
from sqlalchemy import func, select

from app.domain.actors import SYSTEM, Actor
from app.errors import DeadlineNotReached, ValidationFailed
from app.models.enums import Action, Kind, Role, State
from app.models.integration import RequestStats
from app.models.outbox import OutboxMessage
from app.models.request import Request, RequestEvent
from app.models.user import User
from app.services import clock, clockwork, lifecycle
from app.services.dispatcher import drain
from app.services.lifecycle import ActionInput, Policy
from app.services.templates import render
from tests.factories import (
    act,
    citizen_auth,
    create_request,
    make_administration,
    make_staff,
    unsaved_request,
)
from tests.processes import assert_refuses_bad_instants, run_command
from tests.servers import SmtpServer, free_port

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = Policy(answer_days=60, reopen_window_days=30, max_reopens=2)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _request(state: State = State.in_progress, **fields) -> Request:
    return unsaved_request(T0, Kind.complaint, state, **fields)


async def _assigned(session, administration, agent, received_at, **fields) -> Request:
    """A request in progress with `agent`, received at `received_at`."""
    return await create_request(
        session,
        administration=administration,
        state=State.in_progress,
        staff=agent,
        received_at=received_at,
        **fields,
    )


def system(request: Request, action: Action, now: datetime) -> RequestEvent:
    return lifecycle.execute(request, action, SYSTEM, ActionInput(), POLICY, now)


# --- the table's logic, without a database


def test_the_warning_comes_once_within_due_soon_days_of_the_due_date():
    request = _request()
    due = request.due_at
    with pytest.raises(DeadlineNotReached):
        system(request, Action.alert_due_soon, due - timedelta(days=5, seconds=1))
    event = system(request, Action.alert_due_soon, due - timedelta(days=4))
    assert event.public is False  # staff-only: the citizen's history never shows it
    assert event.from_state == event.to_state == State.in_progress
    assert request.due_soon_alerted_at == due - timedelta(days=4)
    with pytest.raises(DeadlineNotReached):  # once per due date
        system(request, Action.alert_due_soon, due - timedelta(days=3))
    # An extension sets a new due date: a new warning before it; escalation untouched.
    request.escalation_level = 1
    supervisor = Actor(role=Role.supervisor, user_id=3, administration_id=1)
    lifecycle.execute(
        request,
        Action.extend_deadline,
        supervisor,
        ActionInput(days=10, reason="Enquête"),
        POLICY,
        due - timedelta(days=3),
    )
    assert request.due_soon_alerted_at is None
    assert request.escalation_level == 1


def test_escalation_climbs_one_level_at_a_time_and_stops_at_two():
    request = _request()
    due = request.due_at
    with pytest.raises(DeadlineNotReached):
        system(request, Action.escalate, due)  # due, not yet past it
    first = system(request, Action.escalate, due + timedelta(minutes=1))
    assert (request.escalation_level, first.data["escalation_level"]) == (1, 1)
    assert first.public is False
    assert first.to_state == State.in_progress
    with pytest.raises(DeadlineNotReached):
        system(request, Action.escalate, due + timedelta(days=15))  # ESCALATION_DAYS not past
    second = system(request, Action.escalate, due + timedelta(days=15, minutes=1))
    assert (request.escalation_level, second.data["escalation_level"]) == (2, 2)
    with pytest.raises(DeadlineNotReached):
        system(request, Action.escalate, due + timedelta(days=400))
    assert request.due_at == due  # escalation never moves the deadline


def test_the_clock_stands_still_awaiting_the_citizen_and_staff_cannot_escalate():
    late = T0 + timedelta(days=90)
    paused = _request(State.awaiting_citizen)
    assert "escalate" not in lifecycle.allowed_actions(paused, SYSTEM, POLICY, late)
    running = _request()
    assert lifecycle.allowed_actions(running, SYSTEM, POLICY, late) == ["escalate"]
    supervisor = Actor(role=Role.supervisor, user_id=3, administration_id=1)
    assert "escalate" not in lifecycle.allowed_actions(running, supervisor, POLICY, late)


def test_a_new_deadline_restarts_the_alerts_and_the_escalation():
    request = _request(
        State.answered,
        escalation_level=2,
        escalated_at=T0 + timedelta(days=80),
        due_soon_alerted_at=T0 + timedelta(days=56),
        answered_at=T0 + timedelta(days=85),
    )
    citizen = Actor(role=Role.citizen, request_id=1)
    now = T0 + timedelta(days=86)
    lifecycle.execute(request, Action.reopen, citizen, ActionInput(reason="Non"), POLICY, now)
    assert request.state == State.in_progress
    assert (request.escalation_level, request.escalated_at, request.due_soon_alerted_at) == (
        0,
        None,
        None,
    )
    assert request.due_at == now + timedelta(days=60)


def test_an_interim_reply_needs_a_moment_in_the_future_and_moves_nothing():
    request = _request(escalation_level=1)
    agent = Actor(role=Role.agent, user_id=7, administration_id=1)
    now = T0 + timedelta(days=61)
    with pytest.raises(ValidationFailed) as missing:
        lifecycle.execute(
            request, Action.interim_reply, agent, ActionInput(message="Bientôt"), POLICY, now
        )
    assert {e.field for e in missing.value.errors} == {"expected_at"}
    with pytest.raises(ValidationFailed) as past:
        lifecycle.execute(
            request,
            Action.interim_reply,
            agent,
            ActionInput(message="Bientôt", expected_at=now - timedelta(hours=1)),
            POLICY,
            now,
        )
    assert [(e.field, e.code) for e in past.value.errors] == [("expected_at", "not_in_future")]
    assert request.version == 1  # refused: nothing changed
    expected = now + timedelta(days=10)
    event = lifecycle.execute(
        request,
        Action.interim_reply,
        agent,
        ActionInput(message="Réponse sous dix jours.", expected_at=expected),
        POLICY,
        now,
    )
    assert event.public
    assert event.data["expected_at"] == expected.isoformat()
    assert request.due_at == T0 + timedelta(days=60)
    assert request.escalation_level == 1


# --- through the API, in the test's transaction


async def test_interim_reply_tells_the_citizen_and_keeps_due_date_and_level(
    client, session, settings
):
    admin = await make_administration(session)
    agent, staff = await make_staff(session, settings, Role.agent, admin)
    now = clock.now()
    request = await _assigned(
        session,
        admin,
        agent,
        now - timedelta(days=70),
        escalation_level=1,
        escalated_at=now - timedelta(days=9),
    )
    number, due = request.tracking_number, request.due_at
    detail = (await client.get(f"/api/v1/requests/{number}", headers=staff)).json()
    assert "interim_reply" in detail["allowed_actions"]
    assert detail["escalation_level"] == 1

    refused = await act(
        client,
        number,
        "interim_reply",
        staff,
        message="Réponse bientôt.",
        expected_at=(now - timedelta(days=1)).isoformat(),
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("expected_at", "not_in_future")
    ]
    expected = now + timedelta(days=12)
    done = await act(
        client,
        number,
        "interim_reply",
        staff,
        message="Nous attendons l'avis du service technique.",
        expected_at=expected.isoformat(),
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "in_progress"
    assert datetime.fromisoformat(body["due_at"]) == due
    assert body["escalation_level"] == 1
    assert body["overdue"] is True

    # The citizen sees it: a public event with the expected date, the message, a notice.
    mine = citizen_auth(request, settings)
    seen = (await client.get(f"/api/v1/requests/{number}", headers=mine)).json()
    event = seen["history"][-1]
    assert event["action"] == "interim_reply"
    assert datetime.fromisoformat(event["data"]["expected_at"]) == expected
    assert seen["escalation_level"] is None  # escalation is the administration's business
    assert all(e["action"] != "escalate" for e in seen["history"])
    messages = (await client.get(f"/api/v1/requests/{number}/messages", headers=mine)).json()
    assert messages[-1]["body"] == "Nous attendons l'avis du service technique."
    notices = (
        await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.request_id == request.id, OutboxMessage.event == "interim_reply"
            )
        )
    ).all()
    assert [m.recipient for m in notices] == ["fatima@example.ma"]
    text = render("email", notices[0].payload)["text"]
    assert expected.strftime("%d/%m/%Y") in text
    assert "Nous attendons l'avis du service technique." in text

    # Once answered, the interim reply is no longer offered.
    answered = await act(client, number, "answer", staff, message="Voici la réponse.")
    assert answered.status_code == 200
    late = await act(
        client,
        number,
        "interim_reply",
        staff,
        message="Trop tard.",
        expected_at=expected.isoformat(),
    )
    assert late.status_code == 409


async def test_the_escalated_filter_and_the_staff_counts_take_open_requests(
    client, session, sessionmaker, settings
):
    admin = await make_administration(session)
    agent, staff = await make_staff(session, settings, Role.agent, admin)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    now = clock.now()
    late = await _assigned(session, admin, agent, now - timedelta(days=61))
    on_time = await create_request(session, administration=admin, state=State.in_progress)
    await clockwork.escalate_due(sessionmaker, settings, now)
    await session.refresh(late)
    assert late.escalation_level == 1

    async def queue(escalated: str) -> dict[str, int]:
        response = await client.get(
            "/api/v1/backoffice/requests", params={"escalated": escalated}, headers=staff
        )
        assert response.status_code == 200, response.text
        return {
            item["tracking_number"]: item["escalation_level"] for item in response.json()["items"]
        }

    assert await queue("true") == {late.tracking_number: 1}
    assert await queue("false") == {on_time.tracking_number: 0}
    scoped = (await client.get("/api/v1/backoffice/statistics", headers=supervisor)).json()
    assert scoped["escalated_open"] == {admin.code: 1}
    assert scoped["indicators"]["escalated"] == 1
    public = await client.get("/api/v1/statistics", params={"administration": admin.code})
    assert public.json()["indicators"]["escalated"] == 1

    # Answered late: the level stays as a record, but it is no longer an open escalation.
    assert (
        await act(client, late.tracking_number, "answer", staff, message="Enfin.")
    ).status_code == 200
    detail = (await client.get(f"/api/v1/requests/{late.tracking_number}", headers=staff)).json()
    assert detail["escalation_level"] == 1
    assert await queue("true") == {}
    assert late.tracking_number in await queue("false")
    scoped = (await client.get("/api/v1/backoffice/statistics", headers=supervisor)).json()
    assert scoped["escalated_open"] == {}
    assert scoped["indicators"]["escalated"] == 1  # the missed deadline stays counted


# --- committed, with real mail and the command


def _run_due(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command(database_url, "lifecycle", "run-due", *args, **env)


async def _events(live, request_id: int, action: Action) -> list[RequestEvent]:
    async with live.sessionmaker() as session:
        stmt = select(RequestEvent).where(
            RequestEvent.request_id == request_id, RequestEvent.action == action.value
        )
        return list((await session.scalars(stmt)).all())


async def _supervisor_emails(live) -> set[str]:
    async with live.sessionmaker() as session:
        stmt = select(User.email).where(
            User.administration_id == live.administration.id,
            User.role == Role.supervisor.value,
            User.active,
        )
        return set((await session.scalars(stmt)).all())


async def test_the_due_soon_warning_reaches_assignee_and_supervisors_once(live, settings, smtp):
    async with live.sessionmaker() as session:
        agent, _ = await make_staff(session, settings, Role.agent, live.administration)
        # Due in 3 days.
        request = await _assigned(
            session, live.administration, agent, clock.now() - timedelta(days=57)
        )
        await session.commit()
    supervisors = await _supervisor_emails(live)
    assert supervisors
    now = clock.now()
    assert await clockwork.alert_due_soon(live.sessionmaker, settings, now) >= 1
    assert await clockwork.alert_due_soon(live.sessionmaker, settings, now) == 0  # once
    later = now + timedelta(days=1)
    await clockwork.alert_due_soon(live.sessionmaker, settings, later)
    assert len(await _events(live, request.id, Action.alert_due_soon)) == 1

    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    await drain(live.sessionmaker, mail)
    warned = {m["To"]: m for m in smtp.messages if request.tracking_number in subject(m)}
    assert set(warned) == {agent.email, *supervisors}  # never the citizen
    text = next(
        part.get_payload(decode=True).decode(part.get_content_charset())
        for part in warned[agent.email].walk()
        if part.get_content_type() == "text/plain"
    )
    assert request.due_at.strftime("%d/%m/%Y") in text


async def test_run_due_at_escalates_to_supervisors_then_national_admins(
    live, database_url, settings, smtp
):
    async with live.sessionmaker() as session:
        national, _ = await make_staff(session, settings, Role.national_admin)
        request = await create_request(
            session,
            administration=live.administration,
            state=State.submitted,
            received_at=clock.now() - timedelta(days=60 + 20),  # due 20 days ago
        )
        await session.commit()
    number, due = request.tracking_number, request.due_at
    supervisors = await _supervisor_emails(live)
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})

    # As of a day after the due date (an instant in the past): level 1, the supervisors.
    first = _run_due(database_url, "--at", (due + timedelta(days=1)).isoformat())
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("due-soon alerts ")
    detail = (await live.client.get(f"/api/v1/requests/{number}", headers=live.staff)).json()
    assert detail["escalation_level"] == 1
    assert datetime.fromisoformat(detail["escalated_at"]) == due + timedelta(days=1)
    assert [
        e["data"]["escalation_level"] for e in detail["history"] if e["action"] == "escalate"
    ] == [1]
    await drain(live.sessionmaker, mail)
    escalated = [m for m in smtp.messages if number in subject(m)]
    assert {m["To"] for m in escalated} == supervisors

    # Run again as of the same instant: nothing more.
    again = _run_due(database_url, "--at", (due + timedelta(days=1)).isoformat())
    assert again.returncode == 0, again.stderr
    assert len(await _events(live, request.id, Action.escalate)) == 1

    # ESCALATION_DAYS later, still unanswered (now, without --at): level 2, national admins.
    second = _run_due(database_url)
    assert second.returncode == 0, second.stderr
    detail = (await live.client.get(f"/api/v1/requests/{number}", headers=live.staff)).json()
    assert detail["escalation_level"] == 2
    assert detail["state"] == "submitted"
    assert datetime.fromisoformat(detail["due_at"]) == due  # never moved
    assert detail["history"][-1]["internal"] is True
    before = len(smtp.messages)
    await drain(live.sessionmaker, mail)
    national_mail = [m for m in smtp.messages[before:] if number in subject(m)]
    recipients = {m["To"] for m in national_mail}
    assert national.email in recipients
    assert not recipients & supervisors
    assert len(await _events(live, request.id, Action.escalate)) == 2
    # Escalation counts once in the statistics (level 1), for the administration.
    async with live.sessionmaker() as session:
        counted = await session.scalar(
            select(func.sum(RequestStats.escalated)).where(
                RequestStats.administration_id == live.administration.id
            )
        )
    assert counted == 1
    # The citizen heard nothing of it.
    assert not [m for m in smtp.messages if m["To"] == request.email]


def test_production_refuses_to_run_the_clock_in_the_future(database_url):
    future = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    assert_refuses_bad_instants(partial(_run_due, database_url), future, "tomorrow")


async def test_two_processes_escalate_each_request_once(live, settings):
    async with live.sessionmaker() as session:
        ids = [
            (
                await create_request(
                    session,
                    administration=live.administration,
                    state=State.in_progress,
                    received_at=clock.now() - timedelta(days=61),
                )
            ).id
            for _ in range(6)
        ]
        await session.commit()
    now = clock.now()
    await asyncio.gather(
        clockwork.escalate_due(live.sessionmaker, settings, now, batch=2),
        clockwork.escalate_due(live.sessionmaker, settings, now, batch=2),
    )
    async with live.sessionmaker() as session:
        events = (
            await session.scalars(
                select(RequestEvent.request_id).where(
                    RequestEvent.request_id.in_(ids), RequestEvent.action == Action.escalate.value
                )
            )
        ).all()
        counted = await session.scalar(
            select(func.sum(RequestStats.escalated)).where(
                RequestStats.administration_id == live.administration.id
            )
        )
    assert sorted(events) == sorted(ids)  # each once, none forgotten
    assert counted == len(ids)
