"""Who read my file: each staff read of a request is logged, and its citizen sees which
administration and role opened it and when, never who."""

from __future__ import annotations

from sqlalchemy import select

from app.models.request import Request
from app.services import api_keys, clock
from tests.factories import complaint, file

REQUESTS = "/api/v1/requests"


async def test_the_citizen_sees_staff_reads_without_names(live):
    created = await file(live.client, complaint(live.administration.code))
    number = created["tracking_number"]
    log = f"{REQUESTS}/{number}/access-log"

    # The citizen's own reads are not logged.
    assert (await live.client.get(f"{REQUESTS}/{number}", headers=created["auth"])).is_success
    empty = await live.client.get(log, headers=created["auth"])
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"items": [], "next_cursor": None}

    assert (await live.client.get(f"{REQUESTS}/{number}", headers=live.staff)).is_success
    assert (await live.client.get(f"{REQUESTS}/{number}/messages", headers=live.staff)).is_success
    listed = await live.client.get(f"{REQUESTS}/{number}/attachments", headers=live.supervisor)
    assert listed.is_success

    shown = await live.client.get(log, headers=created["auth"])
    assert shown.status_code == 200, shown.text
    items = shown.json()["items"]
    assert [(i["role"], i["what"]) for i in items] == [
        ("supervisor", "attachments"),
        ("agent", "messages"),
        ("agent", "detail"),
    ]
    assert {i["administration"]["code"] for i in items} == {live.administration.code}
    assert all(set(i) == {"at", "role", "administration", "what"} for i in items)
    assert "Agent" not in shown.text
    assert "Supervisor" not in shown.text

    # Keyset pages, newest first.
    first = (await live.client.get(log, params={"limit": 2}, headers=created["auth"])).json()
    assert [i["what"] for i in first["items"]] == ["attachments", "messages"]
    rest = await live.client.get(
        log, params={"limit": 2, "cursor": first["next_cursor"]}, headers=created["auth"]
    )
    assert [i["what"] for i in rest.json()["items"]] == ["detail"]
    assert rest.json()["next_cursor"] is None

    # Staff do not read the citizen's view of it; strangers find nothing.
    assert (await live.client.get(log, headers=live.staff)).status_code == 403
    other = await file(live.client, complaint(live.administration.code))
    assert (await live.client.get(log, headers=other["auth"])).status_code == 404


async def test_an_owning_integration_key_read_is_logged_others_are_not(live):
    created = await file(live.client, complaint(live.administration.code))
    number = created["tracking_number"]
    async with live.sessionmaker() as session:
        key, _record = await api_keys.create(
            session, administration_code=live.administration.code, name="system", now=clock.now()
        )
        public_id = await session.scalar(
            select(Request.public_id).where(Request.tracking_number == number)
        )
        await session.commit()

    anonymous = await live.client.get(f"/open311/v2/requests/{public_id}.json")
    assert anonymous.status_code == 200, anonymous.text
    owned = await live.client.get(f"/open311/v2/requests/{public_id}.json?api_key={key}")
    assert owned.status_code == 200, owned.text

    shown = await live.client.get(f"{REQUESTS}/{number}/access-log", headers=created["auth"])
    [item] = shown.json()["items"]
    assert (item["role"], item["what"]) == ("integration", "detail")
    assert item["administration"]["code"] == live.administration.code


async def test_supervisors_see_who_read_it_agents_do_not(live):
    created = await file(live.client, complaint(live.administration.code))
    number = created["tracking_number"]
    assert (await live.client.get(f"{REQUESTS}/{number}", headers=live.staff)).is_success
    log = f"/api/v1/backoffice/requests/{number}/access-log"

    shown = await live.client.get(log, headers=live.supervisor)
    assert shown.status_code == 200, shown.text
    [item] = shown.json()["items"]
    assert item["reader"]["role"] == "agent"
    assert item["reader"]["full_name"].startswith("Agent")
    assert item["what"] == "detail"

    assert (await live.client.get(log, headers=live.staff)).status_code == 403
    assert (await live.client.get(log, headers=created["auth"])).status_code in (401, 403)
