from app.models.enums import Role
from tests.factories import act, complaint, file, make_administration, make_staff


async def test_complaint_walk(client, session, settings):
    admin = await make_administration(session)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    agent, staff = await make_staff(session, settings, Role.agent, admin)
    r = await act(client, number, "start", staff)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "in_progress"
    r = await client.get(f"/api/v1/requests/{number}", headers=created["auth"])
    assert r.status_code == 200, r.text
    print(r.json())
