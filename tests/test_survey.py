"""The satisfaction survey: a rating's dimensions, shown to staff, averaged by the statistics."""

from __future__ import annotations

import csv
import io

from app.models.enums import Role
from tests.factories import act, complaint, file, make_administration, make_staff


async def _answered(client, code, agent):
    created = await file(client, complaint(code))
    await act(client, created["tracking_number"], "start", agent)
    await act(client, created["tracking_number"], "answer", agent, message="Réponse")
    return created


async def _rate(client, created, body):
    return await client.put(
        f"/api/v1/requests/{created['tracking_number']}/rating", json=body, headers=created["auth"]
    )


async def test_dimensions_are_stored_shown_and_averaged(client, session, settings):
    admin = await make_administration(session)
    other = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _other, other_agent = await make_staff(session, settings, Role.agent, other)
    first, second, third = [await _answered(client, admin.code, agent) for _ in range(3)]
    elsewhere = await _answered(client, other.code, other_agent)

    rated = await _rate(
        client,
        first,
        {"score": 4, "dimensions": {"speed": 2, "clarity": 5, "courtesy": 4, "outcome": 3}},
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"]["dimensions"] == {
        "speed": 2,
        "clarity": 5,
        "courtesy": 4,
        "outcome": 3,
    }
    # A citizen may skip questions: only the answered ones count.
    assert (
        await _rate(client, second, {"score": 2, "dimensions": {"speed": 1}})
    ).status_code == 200
    assert (await _rate(client, third, {"score": 5})).status_code == 200
    assert (
        await _rate(client, elsewhere, {"score": 5, "dimensions": {"speed": 5}})
    ).status_code == 200

    staff_view = await client.get(f"/api/v1/requests/{first['tracking_number']}", headers=agent)
    assert staff_view.json()["rating"]["dimensions"]["clarity"] == 5
    history = staff_view.json()["history"]
    assert history[-1]["data"]["dimensions"] == {
        "speed": 2,
        "clarity": 5,
        "courtesy": 4,
        "outcome": 3,
    }
    unanswered = await client.get(f"/api/v1/requests/{third['tracking_number']}", headers=agent)
    assert unanswered.json()["rating"]["dimensions"] is None

    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    export = await client.get("/api/v1/backoffice/requests.csv", headers=supervisor)
    rows = {row["tracking_number"]: row for row in csv.DictReader(io.StringIO(export.text))}
    survey = ("rating_speed", "rating_clarity", "rating_courtesy", "rating_outcome")
    assert [rows[first["tracking_number"]][c] for c in survey] == ["2", "5", "4", "3"]
    assert [rows[second["tracking_number"]][c] for c in survey] == ["1", "", "", ""]

    stats = (await client.get("/api/v1/statistics", params={"administration": admin.code})).json()
    assert stats["indicators"]["dimensions"] == {
        "speed": 1.5,  # (2 + 1) / 2
        "clarity": 5.0,
        "courtesy": 4.0,
        "outcome": 3.0,
    }
    assert stats["indicators"]["rated"] == 3
    overall = (await client.get("/api/v1/statistics")).json()
    mine = next(r for r in overall["ranking"] if r["administration"] == admin.code)
    assert mine["dimensions"]["speed"] == 1.5
    theirs = next(r for r in overall["ranking"] if r["administration"] == other.code)
    assert theirs["dimensions"] == {
        "speed": 5.0,
        "clarity": None,
        "courtesy": None,
        "outcome": None,
    }


async def test_a_dimension_out_of_range_is_a_field_error(client, session, settings):
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    created = await _answered(client, admin.code, agent)
    for body, field in (
        ({"score": 4, "dimensions": {"speed": 6}}, "dimensions.speed"),
        ({"score": 4, "dimensions": {"speed": 0}}, "dimensions.speed"),
        ({"score": 4, "dimensions": {"mood": 3}}, "dimensions.mood"),
    ):
        refused = await _rate(client, created, body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == field
    # Nothing was stored: the citizen can still rate.
    assert (await _rate(client, created, {"score": 4})).status_code == 200
