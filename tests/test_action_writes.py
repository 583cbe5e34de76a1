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
    # The row under its lock (the staff member's account checked by it), the request's update
    # with its event (one statement, which returns the answer's history too), the outbox, the
    # new assignee read back (`start` assigns the agent: their account, by its id), besides
    # the test's savepoint and the catalogue's checks.
    own = [s for s in sent if "SAVEPOINT" not in s and "catalogue_changes" not in s]
    assert len(own) == 4, own
    assert own[-1].lstrip().startswith("SELECT users.id, users.email")
    assert not [s for s in own if s.lstrip().startswith("SELECT users.id, users.role,")]
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


def _own(sent: list[str]) -> list[str]:
    return [s for s in sent if "SAVEPOINT" not in s and "catalogue_changes" not in s]


async def test_the_staff_members_account_is_checked_by_the_actions_lock(
    client, session, settings, engine
):
    """No statement of its own for the token's account, nor for the answer's view: a note is
    its lock (which reads the account), its change with its event (which returns the view's
    history and links) and its message."""
    admin = await make_administration(session)
    _, staff = await make_staff(session, settings, Role.supervisor, admin)
    number = (await file(client, complaint(admin.code)))["tracking_number"]
    assert (await act(client, number, "start", staff)).status_code == 200
    with recorded(engine.sync_engine) as sent:
        noted = await act(client, number, "note", staff, message="Vu.")
    assert noted.status_code == 200, noted.text
    lock, change, message = _own(sent)
    assert "FOR UPDATE" in lock
    assert "lock_account.token_version" in lock
    assert "UPDATE requests" in change
    assert "INSERT INTO request_events" in change
    assert "json_agg" in change
    assert message.lstrip().startswith("INSERT INTO messages")


async def test_the_view_an_action_returns_is_the_one_read_after_it(client, session, settings):
    """The history and duplicate links the change's statement returns are those a read of
    the request shows right after it: internal events for the staff, the new event last,
    the original of a duplicate."""
    admin = await make_administration(session)
    _, staff = await make_staff(session, settings, Role.agent, admin)
    original = (await file(client, complaint(admin.code)))["tracking_number"]
    number = (await file(client, complaint(admin.code)))["tracking_number"]
    steps = [
        (original, "start", {}),
        (number, "start", {}),
        (number, "note", {"message": "Vu, « à suivre »."}),
        (number, "message", {"message": "Nous examinons."}),
        (number, "mark_duplicate", {"duplicate_of": original}),
    ]
    for tracking, action, body in steps:
        answer = await act(client, tracking, action, staff, **body)
        assert answer.status_code == 200, answer.text
        read = await client.get(f"/api/v1/requests/{tracking}", headers=staff)
        assert read.status_code == 200, read.text
        for field in ("history", "duplicate_of", "duplicates", "version"):
            assert answer.json()[field] == read.json()[field], field
    last = answer.json()
    assert [event["action"] for event in last["history"]][-3:] == [
        "note",
        "message",
        "mark_duplicate",
    ]
    assert last["history"][-3]["internal"] is True
    assert last["duplicate_of"] == original
    shown = await client.get(f"/api/v1/requests/{original}", headers=staff)
    assert shown.json()["duplicates"] == [number]


async def test_a_revoked_token_is_refused_first_as_before(client, session, settings):
    """Its account checked with the lock, a revoked token is still a 401 before anything is
    said of the request (404), the action (404) or the body (422)."""
    admin = await make_administration(session)
    user, staff = await make_staff(session, settings, Role.agent, admin)
    number = (await file(client, complaint(admin.code)))["tracking_number"]
    bad_body = await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/note", json={"message": 5}, headers=staff
    )
    assert bad_body.status_code == 422, bad_body.text  # a valid token: the body's error
    user.token_version += 1
    await session.flush()
    answers = [
        await act(client, number, "start", staff),
        await act(client, "ZZZZ-ZZZZ-ZZZ", "start", staff),
        await act(client, number, "no_such_action", staff),
        await client.post(
            f"/api/v1/backoffice/requests/{number}/actions/note",
            json={"message": 5},
            headers=staff,
        ),
        await client.post(
            f"/api/v1/backoffice/requests/{number}/actions/note",
            json={"message": "Vu."},
            headers={**staff, "Idempotency-Key": "k" * 300},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "invalid_token"
    user.token_version -= 1
    user.active = False
    await session.flush()
    refused = await act(client, number, "start", staff)
    assert refused.status_code == 401, refused.text
    user.active = True
    await session.flush()
    assert (await act(client, "ZZZZ-ZZZZ-ZZZ", "start", staff)).status_code == 404
    assert (await act(client, number, "start", staff)).status_code == 200
