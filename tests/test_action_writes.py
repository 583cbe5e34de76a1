"""A staff action reads its request once, under the row lock `apply` needs, and reads back
only what the action changed."""

from __future__ import annotations

from sqlalchemy import select

from app.models.enums import Role
from app.models.outbox import OutboxMessage, Webhook
from app.services import clock
from tests.factories import act, complaint, file, make_administration, make_staff
from tests.statements import recorded


def _requests_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if s.lstrip().startswith("SELECT requests.")]


async def test_a_staff_action_reads_its_request_once_under_the_lock(
    client, session, settings, engine
):
    admin = await make_administration(session)
    _, staff = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    with recorded(engine.sync_engine) as sent:
        started = await act(client, created["tracking_number"], "start", staff)
        noted = await act(client, created["tracking_number"], "note", staff, message="Vu.")
    assert started.status_code == 200, started.text
    assert noted.status_code == 200, noted.text
    assert noted.json()["version"] == started.json()["version"] + 1
    locks = [s for s in sent if "FOR UPDATE" in s]
    assert len(locks) == 2  # one per action: the read is the lock
    assert all("requests.tracking_number =" in lock for lock in locks)
    # Besides, only the new assignee (`start` takes the request) is read back, and the staff
    # view's duplicate links (issue 10), one small statement per action.
    assert len(_requests_reads(sent)) <= 3
    links = [s for s in sent if "duplicate_of_id" in s and "FOR UPDATE" not in s]
    assert len(links) <= 2


async def test_an_assignment_shows_the_new_assignee_at_once(client, session, settings):
    """What the action changed is read back (the shortcut skips only what is current)."""
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin, full_name="Karim B.")
    _, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    created = await file(client, complaint(admin.code))
    assigned = await act(
        client, created["tracking_number"], "assign", supervisor, assignee=agent.id
    )
    assert assigned.status_code == 200, assigned.text
    assert "Karim B." in assigned.text


async def test_a_state_change_writes_its_messages_and_hooks_in_one_statement(
    client, session, settings, engine
):
    """The webhooks taking the change are found by the statement writing the outbox, never
    read first; a webhook registered just before the change is told about it."""
    admin = await make_administration(session)
    _, staff = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    session.add(
        Webhook(
            administration_id=admin.id,
            url="https://hooks.example.ma/h",
            secret="s" * 32,
            events=["request.state_changed"],
            active=True,
            created_at=clock.now(),
        )
    )
    await session.flush()
    with recorded(engine.sync_engine) as sent:
        started = await act(client, created["tracking_number"], "start", staff)
    assert started.status_code == 200, started.text
    assert not [s for s in sent if "FROM webhooks" in s and "INSERT INTO outbox" not in s]
    assert len([s for s in sent if "INSERT INTO outbox" in s]) == 1
    # The staff member, the row under its lock, the request's update with its event (one
    # statement), the outbox, the new assignee read back (two: `start` assigns the agent), the
    # answer's view (besides the test's savepoint and the catalogue's checks).
    own = [s for s in sent if "SAVEPOINT" not in s and "catalogue_changes" not in s]
    assert len(own) == 7, own
    (change,) = [s for s in own if "INSERT INTO request_events" in s]
    assert "UPDATE requests" in change
    rows = (
        await session.execute(
            select(OutboxMessage.channel, OutboxMessage.event, OutboxMessage.recipient).where(
                OutboxMessage.event.in_(["state_changed", "request.state_changed"])
            )
        )
    ).all()
    assert sorted(rows) == [
        ("email", "state_changed", "Fatima@example.ma"),
        ("webhook", "request.state_changed", "https://hooks.example.ma/h"),
    ]
