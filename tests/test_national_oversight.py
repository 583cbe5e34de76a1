"""National oversight (issue 10): national admins read any request and see a queue across
administrations; they transfer; the receiving administration may decline a transfer, which
puts the request in the national admins' queue (escalation level 2) until one of them routes
it; and every read of a request's personal data is in its access log."""

from __future__ import annotations

from sqlalchemy import event, select

from app.models import OutboxMessage
from app.models.access_log import AccessLogEntry
from app.models.enums import Kind, Role, State
from app.models.request import Request
from app.services import api_keys, clock
from app.services.templates import render
from tests import documents
from tests.factories import (
    act,
    citizen_auth,
    complaint,
    create_request,
    file,
    make_administration,
    make_staff,
    pdf,
    two_administrations,
    upload,
)

REQUESTS = "/api/v1/requests"
QUEUE = "/api/v1/backoffice/requests"


async def _log(session, request_id):
    rows = await session.execute(
        select(AccessLogEntry.role, AccessLogEntry.what, AccessLogEntry.user_id)
        .where(AccessLogEntry.request_id == request_id)
        .order_by(AccessLogEntry.id)
    )
    return [tuple(row) for row in rows]


async def _level(session, request_id):
    return await session.scalar(select(Request.escalation_level).where(Request.id == request_id))


async def _numbers(client, headers, **params):
    response = await client.get(QUEUE, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["tracking_number"] for item in response.json()["items"]]


async def test_a_national_admin_reads_any_request_and_each_read_is_logged(
    client, session, settings
):
    admin = await make_administration(session)
    user, national = await make_staff(session, settings, Role.national_admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    uploaded = await upload(client, number, created["auth"], pdf())
    assert uploaded.status_code == 201, uploaded.text
    attachment_id = uploaded.json()[0]["id"]

    detail = await client.get(f"{REQUESTS}/{number}", headers=national)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["complainant"]["email"] == "Fatima@example.ma"
    assert "transfer" in body["allowed_actions"]
    assert "decline_transfer" not in body["allowed_actions"]
    assert (await client.get(f"{REQUESTS}/{number}/messages", headers=national)).is_success
    listed = await client.get(f"{REQUESTS}/{number}/attachments", headers=national)
    assert [a["id"] for a in listed.json()] == [attachment_id]
    download = await client.get(
        f"{REQUESTS}/{number}/attachments/{attachment_id}", headers=national
    )
    assert download.status_code == 200
    assert download.content == documents.pdf()

    request_id = await session.scalar(select(Request.id).where(Request.tracking_number == number))
    assert await _log(session, request_id) == [
        ("national_admin", "detail", user.id),
        ("national_admin", "messages", user.id),
        ("national_admin", "attachments", user.id),
        ("national_admin", "download", user.id),
    ]
    # They see who read it, with names; the citizen sees the role, no name.
    staff_log = await client.get(
        f"/api/v1/backoffice/requests/{number}/access-log", headers=national
    )
    assert staff_log.status_code == 200, staff_log.text
    assert {i["reader"]["id"] for i in staff_log.json()["items"]} == {user.id}
    citizen_log = await client.get(f"{REQUESTS}/{number}/access-log", headers=created["auth"])
    assert {i["role"] for i in citizen_log.json()["items"]} == {"national_admin"}
    assert user.full_name not in citizen_log.text


async def test_the_national_queue_spans_administrations_filtered_and_paginated(
    client, session, settings
):
    a = await make_administration(session)
    b = await make_administration(session)
    _n, national = await make_staff(session, settings, Role.national_admin)
    now = clock.now()
    in_a = [await create_request(session, administration=a) for _ in range(3)]
    in_b = [await create_request(session, administration=b) for _ in range(2)]
    mine = {r.tracking_number for r in in_a + in_b}

    everything = set(await _numbers(client, national, limit=100))
    assert mine <= everything
    only_a = await _numbers(client, national, administration=a.code.lower(), limit=100)
    assert set(only_a) == {r.tracking_number for r in in_a}

    # Keyset pages of one administration, in due order, nothing twice, nothing lost.
    seen: list[str] = []
    cursor = None
    while True:
        params = {"administration": b.code, "limit": 1, "sort": "-created_at"}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(QUEUE, params=params, headers=national)
        assert page.status_code == 200, page.text
        seen += [i["tracking_number"] for i in page.json()["items"]]
        assert all(i["administration"] == b.code for i in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(r.tracking_number for r in in_b)
    assert len(seen) == 2

    # Across administrations too, by due date.
    due_pages: list[str] = []
    cursor = None
    for _ in range(50):
        params = {"limit": 2, "created_from": now.isoformat()}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(QUEUE, params=params, headers=national)).json()
        due_pages += [i["tracking_number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert mine <= set(due_pages)
    assert len(due_pages) == len(set(due_pages))

    unknown = await client.get(QUEUE, params={"administration": "NOPE"}, headers=national)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "administration"


async def test_an_agent_cannot_widen_the_queue(client, session, settings):
    a = await make_administration(session)
    b = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, a)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, a)
    _op, operator = await make_staff(session, settings, Role.operator)
    ours = await create_request(session, administration=a)
    theirs = await create_request(session, administration=b)

    for headers in (agent, supervisor):
        widened = await client.get(QUEUE, params={"administration": b.code}, headers=headers)
        assert widened.status_code == 403
        assert theirs.tracking_number not in widened.text
        assert (
            await client.get(QUEUE, params={"administration": "NOPE"}, headers=headers)
        ).status_code == 403
        own = await _numbers(client, headers, administration=a.code, limit=100)
        assert ours.tracking_number in own
        assert theirs.tracking_number not in await _numbers(client, headers, limit=100)
    assert (await client.get(QUEUE, headers=operator)).status_code == 403
    # Nor read another administration's request.
    assert (
        await client.get(f"{REQUESTS}/{theirs.tracking_number}", headers=agent)
    ).status_code == 404


async def test_decline_transfer_goes_to_the_national_queue_until_a_national_admin_routes_it(
    client, session, settings
):
    a = await make_administration(session)
    b = await make_administration(session)
    c = await make_administration(session)
    national_user, national = await make_staff(session, settings, Role.national_admin)
    _ba, b_agent = await make_staff(session, settings, Role.agent, b)
    _cs, c_supervisor = await make_staff(session, settings, Role.supervisor, c)
    request = await create_request(session, administration=a)
    number = request.tracking_number

    # A national admin transfers it, with its service, as supervisors do.
    moved = await act(
        client,
        number,
        "transfer",
        national,
        administration=b.code,
        service="general",
        reason="Compétence de B",
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["administration"]["code"] == b.code
    assert moved.json()["service"]["code"] == "general"
    assert moved.json()["history"][-1]["actor"] == "national_admin"

    # The receiving administration may decline it, with a reason.
    view = (await client.get(f"{REQUESTS}/{number}", headers=b_agent)).json()
    assert "decline_transfer" in view["allowed_actions"]
    missing = await act(client, number, "decline_transfer", b_agent)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    declined = await act(
        client, number, "decline_transfer", b_agent, reason="Hors de notre compétence"
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["state"] == "submitted"
    assert "decline_transfer" not in declined.json()["allowed_actions"]
    event = declined.json()["history"][-1]
    assert event["action"] == "decline_transfer"
    assert event["note"] == "Hors de notre compétence"
    assert event["internal"] is True
    assert event["data"]["declined_by"] == b.code
    assert event["data"]["transferred_from"] == a.code
    assert await _level(session, request.id) == 2

    # Declined once: not again.
    again = await act(client, number, "decline_transfer", b_agent, reason="Encore")
    assert again.status_code == 409
    assert again.json()["code"] == "not_transferred"

    # In the national admins' queue, and they are told by email.
    assert number in await _numbers(client, national, escalation_level=2, limit=100)
    assert number in await _numbers(
        client, national, escalation_level=2, administration=b.code, limit=100
    )
    assert number not in await _numbers(client, national, escalation_level=0, limit=100)
    told = (
        await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.event == "transfer_declined",
                OutboxMessage.recipient == national_user.email,
            )
        )
    ).all()
    assert len(told) == 1
    said = render("email", told[0].payload)
    assert number in said["subject"]
    assert "Hors de notre compétence" in said["text"]
    # The national admin sees the reason; the citizen sees neither the event nor the reason.
    national_view = (await client.get(f"{REQUESTS}/{number}", headers=national)).json()
    assert national_view["history"][-1]["note"] == "Hors de notre compétence"
    citizen_view = await client.get(f"{REQUESTS}/{number}", headers=citizen_auth(request, settings))
    assert "decline_transfer" not in citizen_view.text
    assert "Hors de notre" not in citizen_view.text

    # A national admin routes it: the escalation resets, the new administration may decline.
    routed = await act(
        client, number, "transfer", national, administration=c.code, reason="Compétence de C"
    )
    assert routed.status_code == 200, routed.text
    assert await _level(session, request.id) == 0
    assert number not in await _numbers(client, national, escalation_level=2, limit=100)
    c_view = (await client.get(f"{REQUESTS}/{number}", headers=c_supervisor)).json()
    assert "decline_transfer" in c_view["allowed_actions"]
    assert number in await _numbers(client, c_supervisor, limit=100)


async def test_only_a_transferred_request_can_be_declined_by_its_receiver(
    client, session, settings
):
    a, b, a_agent, a_supervisor, b_supervisor, national = await two_administrations(
        session, settings
    )
    request = await create_request(session, administration=a)
    number = request.tracking_number

    # Filed with A directly: nothing to decline.
    view = (await client.get(f"{REQUESTS}/{number}", headers=a_agent)).json()
    assert "decline_transfer" not in view["allowed_actions"]
    refused = await act(client, number, "decline_transfer", a_agent, reason="Pas nous")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_transferred"
    # National admins route; they do not decline.
    by_national = await act(client, number, "decline_transfer", national, reason="Non")
    assert by_national.status_code == 409
    assert by_national.json()["code"] == "action_not_for_role"

    # Transferred by A's supervisor: B declines it; A sees it no more.
    moved = await act(client, number, "transfer", a_supervisor, administration=b.code, reason="B")
    assert moved.status_code == 200, moved.text
    assert (await act(client, number, "decline_transfer", a_agent, reason="x")).status_code == 404
    declined = await act(client, number, "decline_transfer", b_supervisor, reason="Pas B")
    assert declined.status_code == 200, declined.text

    # Only a national admin may route it back to the administration that declined it.
    same = await act(client, number, "transfer", b_supervisor, administration=b.code, reason="r")
    assert same.status_code == 422
    back = await act(
        client, number, "transfer", national, administration=b.code, reason="C'est bien B"
    )
    assert back.status_code == 200, back.text
    assert await _level(session, request.id) == 0
    view = (await client.get(f"{REQUESTS}/{number}", headers=b_supervisor)).json()
    assert "decline_transfer" not in view["allowed_actions"]  # ruled: B's to answer


async def test_observations_and_information_requests_follow_the_same_rule(
    client, session, settings
):
    a = await make_administration(session, kinds=("observation", "information_request"))
    b = await make_administration(session, kinds=("observation", "information_request"))
    _n, national = await make_staff(session, settings, Role.national_admin)
    _b, b_agent = await make_staff(session, settings, Role.agent, b)

    for kind in (Kind.observation, Kind.information_request):
        request = await create_request(session, administration=a, kind=kind)
        number = request.tracking_number
        moved = await act(client, number, "transfer", national, administration=b.code, reason="B")
        assert moved.status_code == 200, moved.text
        declined = await act(client, number, "decline_transfer", b_agent, reason="Pas B")
        assert declined.status_code == 200, declined.text
        assert await _level(session, request.id) == 2


async def test_assisted_export_and_open311_reads_are_logged(client, session, settings):
    admin = await make_administration(session)
    operator_user, operator = await make_staff(session, settings, Role.operator)
    supervisor_user, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    national_user, national = await make_staff(session, settings, Role.national_admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    request_id = await session.scalar(select(Request.id).where(Request.tracking_number == number))

    # The citizen's own reads are not logged; an operator's assisted token's are, as theirs.
    assert (await client.get(f"{REQUESTS}/{number}", headers=created["auth"])).is_success
    assert await _log(session, request_id) == []
    token = await client.post(
        "/api/v1/tracking",
        json={"tracking_number": number, "email": "fatima@example.ma"},
        headers=operator,
    )
    assert token.status_code == 200, token.text
    helped = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get(f"{REQUESTS}/{number}", headers=helped)).is_success
    assert (await client.get(f"{REQUESTS}/{number}/messages", headers=helped)).is_success
    assert (await client.get(f"{REQUESTS}/{number}/attachments", headers=helped)).is_success
    assert await _log(session, request_id) == [
        ("operator", "detail", operator_user.id),
        ("operator", "messages", operator_user.id),
        ("operator", "attachments", operator_user.id),
    ]

    # A supervisor's export with personal data: one entry per request exported.
    export = await client.get("/api/v1/backoffice/requests.csv", headers=supervisor)
    assert export.status_code == 200
    assert number in export.text
    assert (await _log(session, request_id))[-1] == ("supervisor", "export", supervisor_user.id)
    # A national admin's export without personal data is not a read of any; one
    # administration's, with personal data, is.
    before = len(await _log(session, request_id))
    anonymous_export = await client.get("/api/v1/backoffice/requests.csv", headers=national)
    assert anonymous_export.status_code == 200
    assert number not in anonymous_export.text
    assert len(await _log(session, request_id)) == before
    scoped = await client.get(
        "/api/v1/backoffice/requests.csv", params={"administration": admin.code}, headers=national
    )
    assert scoped.status_code == 200
    assert number in scoped.text
    assert (await _log(session, request_id))[-1] == ("national_admin", "export", national_user.id)
    unknown = await client.get(
        "/api/v1/backoffice/requests.csv", params={"administration": "NOPE"}, headers=national
    )
    assert unknown.status_code == 404
    other = await make_administration(session)
    widened = await client.get(
        "/api/v1/backoffice/requests.csv", params={"administration": other.code}, headers=supervisor
    )
    assert widened.status_code == 403

    # Open311: the owning key's list of requests shows personal fields, so it is logged too.
    key, record = await api_keys.create(
        session, administration_code=admin.code, name="système", now=clock.now()
    )
    public_id = await session.scalar(select(Request.public_id).where(Request.id == request_id))
    listed = await client.get(
        "/open311/v2/requests.json", params={"api_key": key, "service_request_id": public_id}
    )
    assert listed.status_code == 200, listed.text
    assert [i["service_request_id"] for i in listed.json()] == [public_id]
    last = (
        await session.execute(
            select(AccessLogEntry.role, AccessLogEntry.what, AccessLogEntry.api_key_id)
            .where(AccessLogEntry.request_id == request_id)
            .order_by(AccessLogEntry.id.desc())
            .limit(1)
        )
    ).one()
    assert tuple(last) == ("integration", "detail", record.id)
    count = len(await _log(session, request_id))
    anonymous = await client.get(
        "/open311/v2/requests.json", params={"service_request_id": public_id}
    )
    assert anonymous.status_code == 200
    assert len(await _log(session, request_id)) == count  # anonymous reads show nothing personal


async def test_reading_is_not_acting(client, session, settings):
    admin = await make_administration(session)
    _n, national = await make_staff(session, settings, Role.national_admin)
    request = await create_request(session, administration=admin, state=State.in_progress)
    view = await client.get(f"{REQUESTS}/{request.tracking_number}", headers=national)
    assert view.status_code == 200
    # Reading is not acting: the administration's own work stays its own.
    assert view.json()["allowed_actions"] == ["transfer"]
    answered = await act(client, request.tracking_number, "answer", national, message="Non")
    assert answered.status_code == 409


async def _plan(client, connection, headers, **params) -> str:
    """The plan PostgreSQL picks for the queue page's statement (sequential and bitmap scans and
    sorts priced out, so an index that can serve it shows, and one that cannot does not: on
    a test database of a few rows, the planner's estimates would otherwise make any plan as
    good, and its choice turn with the table's last analyze)."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, *_):
        if "FROM requests" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    target = connection.sync_connection
    event.listen(target, "before_cursor_execute", record)
    try:
        response = await client.get(QUEUE, params=params, headers=headers)
    finally:
        event.remove(target, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    [(statement, parameters)] = seen
    # Bitmap scans (unordered) and incremental sorts priced out too: once, a full run's
    # statistics made the planner sort a bitmap scan's one row instead of reading the index.
    priced_out = ("seqscan", "sort", "bitmapscan", "incremental_sort")
    for kind in priced_out:
        await connection.exec_driver_sql(f"SET LOCAL enable_{kind} = off")
    try:
        rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)
    finally:
        for kind in priced_out:
            await connection.exec_driver_sql(f"SET LOCAL enable_{kind} = on")


async def test_the_national_queue_rides_on_indexes(client, connection, session, settings):
    admin = await make_administration(session)
    _n, national = await make_staff(session, settings, Role.national_admin)
    for _ in range(3):
        await create_request(session, administration=admin)
    # Another administration's requests, and statistics of this table as the test holds it:
    # else the planner judges by whatever the last automatic analyze saw (under load, once,
    # it read one administration's queue from another index than its own). Analyzed in the
    # test's transaction: rolled back with it.
    other = await make_administration(session)
    for _ in range(20):
        await create_request(session, administration=other)
    await connection.exec_driver_sql("ANALYZE requests")
    cases = [
        ("ix_requests_due", {}),
        ("ix_requests_created", {"sort": "-created_at"}),
        ("ix_requests_national", {"escalation_level": 2}),
        ("ix_requests_queue_due", {"administration": admin.code}),
    ]
    for index, params in cases:
        plan = await _plan(client, connection, national, **params)
        assert index in plan, f"{params}:\n{plan}"  # the whole plan: which index it took
