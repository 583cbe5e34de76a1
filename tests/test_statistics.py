"""Statistics proved against hand-computed numbers on a known data set."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.models.enums import Role
from app.models.request import Request
from app.services import clock
from tests.factories import act, complaint, file, make_administration, make_staff


async def _answered(client, code, agent, *, days_to_answer=0, session=None):
    created = await file(client, complaint(code))
    number = created["tracking_number"]
    if days_to_answer and session is not None:
        # Received earlier than now, so the processing time is known exactly.
        await session.execute(
            update(Request)
            .where(Request.tracking_number == number)
            .values(received_at=clock.now() - timedelta(days=days_to_answer))
        )
    await act(client, number, "start", agent)
    await act(client, number, "answer", agent, message="Réponse")
    return created


async def test_indicators_match_a_hand_computed_data_set(client, session, settings):
    admin = await make_administration(session)
    other = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _other, other_agent = await make_staff(session, settings, Role.agent, other)

    # Administration A: 5 requests. 3 answered (after 2, 4 and 6 days), 1 rejected at once,
    # 1 still waiting. Ratings 5, 4, 1. One reopening.
    a1 = await _answered(client, admin.code, agent, days_to_answer=2, session=session)
    a2 = await _answered(client, admin.code, agent, days_to_answer=4, session=session)
    a3 = await _answered(client, admin.code, agent, days_to_answer=6, session=session)
    rejected = await file(client, complaint(admin.code))
    await act(
        client, rejected["tracking_number"], "reject", agent, reason_code="duplicate", message="X"
    )
    await file(client, complaint(admin.code))
    for created, score in ((a1, 5), (a2, 4), (a3, 1)):
        rated = await client.put(
            f"/api/v1/requests/{created['tracking_number']}/rating",
            json={"score": score},
            headers=created["auth"],
        )
        assert rated.status_code == 200
    reopened = await client.post(
        f"/api/v1/requests/{a3['tracking_number']}/reopen",
        json={"reason": "Non"},
        headers=a3["auth"],
    )
    assert reopened.status_code == 200
    # Answered again: still processed once, its first processing time unchanged.
    await act(client, a3["tracking_number"], "answer", agent, message="Réponse 2")
    # A withdrawal is not processed.
    withdrawn = await file(client, complaint(other.code))
    await client.post(
        f"/api/v1/requests/{withdrawn['tracking_number']}/close", json={}, headers=withdrawn["auth"]
    )
    await _answered(client, other.code, other_agent)

    response = await client.get("/api/v1/statistics", params={"administration": admin.code})
    assert response.status_code == 200
    indicators = response.json()["indicators"]
    assert indicators == {
        "received": 5,
        "processed": 4,  # 3 answered + 1 rejected
        "reopened": 1,
        "escalated": 0,  # no deadline missed
        "average_processing_days": 3.0,  # (2 + 4 + 6 + 0) / 4
        "processed_pct": 80.0,
        "satisfaction_pct": 66.7,  # 2 of 3 ratings are 4 or 5
        "average_score": 3.33,
        "rated": 3,
        # Nobody answered the survey: no average rather than a zero.
        "dimensions": {"speed": None, "clarity": None, "courtesy": None, "outcome": None},
    }
    other_view = (
        await client.get("/api/v1/statistics", params={"administration": other.code})
    ).json()
    assert other_view["indicators"]["received"] == 2
    assert other_view["indicators"]["processed"] == 1
    assert other_view["indicators"]["processed_pct"] == 50.0

    overall = (await client.get("/api/v1/statistics")).json()
    ranking = [r["administration"] for r in overall["ranking"]]
    assert ranking.index(admin.code) < ranking.index(other.code)  # 80 % before 50 %
    month = clock.now().strftime("%Y-%m")
    assert any(m["month"] == month for m in overall["monthly"])

    by_kind = await client.get(
        "/api/v1/statistics", params={"administration": admin.code, "kind": "suggestion"}
    )
    assert by_kind.json()["indicators"]["received"] == 0
    later = await client.get(
        "/api/v1/statistics", params={"administration": admin.code, "from": "2999-01"}
    )
    assert later.json()["indicators"]["received"] == 0


async def test_a_transfer_moves_the_request_to_the_receiving_administration(
    client, session, settings
):
    first = await make_administration(session)
    second = await make_administration(session)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, first)
    number = (await file(client, complaint(first.code)))["tracking_number"]
    await act(client, number, "transfer", supervisor, administration=second.code, reason="Ailleurs")
    firsts = (await client.get("/api/v1/statistics", params={"administration": first.code})).json()
    seconds = (
        await client.get("/api/v1/statistics", params={"administration": second.code})
    ).json()
    assert firsts["indicators"]["received"] == 0
    assert seconds["indicators"]["received"] == 1


async def test_statistics_are_cacheable_and_validated(client, session):
    first = await client.get("/api/v1/statistics")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = await client.get("/api/v1/statistics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    unknown = await client.get("/api/v1/statistics", params={"administration": "NOPE"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "administration_not_found"
    bad = await client.get("/api/v1/statistics", params={"from": "2026-13"})
    assert bad.status_code == 422
    etag = first.headers["ETag"]
    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        weak = await client.get("/api/v1/statistics", headers={"If-None-Match": header})
        assert weak.status_code == 304, header
    stale = await client.get("/api/v1/statistics", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"administration": "ACAPS", "service": "nope"}, 404, "service_not_found"),
        ({"service": "insurance"}, 422, "validation_failed"),
        ({"from": "2026-12", "to": "2026-01"}, 422, "validation_failed"),
    ],
)
async def test_statistics_filters_never_fail_silently(client, params, status, code):
    response = await client.get("/api/v1/statistics", params=params)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_supervisor_cannot_ask_for_another_administration(client, session, settings):
    admin = await make_administration(session)
    other = await make_administration(session)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    own = await client.get(
        "/api/v1/backoffice/statistics", params={"administration": admin.code}, headers=supervisor
    )
    assert own.status_code == 200
    foreign = await client.get(
        "/api/v1/backoffice/statistics", params={"administration": other.code}, headers=supervisor
    )
    assert foreign.status_code == 403
    backwards = await client.get(
        "/api/v1/backoffice/statistics",
        params={"from": "2026-05", "to": "2026-01"},
        headers=supervisor,
    )
    assert backwards.status_code == 422


async def test_supervisors_see_overdue_counts_and_export_csv(client, session, settings):
    admin = await make_administration(session)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    late = await file(client, complaint(admin.code))
    await file(client, complaint(admin.code))
    await session.execute(
        update(Request)
        .where(Request.tracking_number == late["tracking_number"])
        .values(due_at=clock.now() - timedelta(days=1))
    )
    scoped = await client.get("/api/v1/backoffice/statistics", headers=supervisor)
    assert scoped.status_code == 200
    assert scoped.json()["overdue"] == {admin.code: 1}
    assert scoped.json()["indicators"]["received"] == 2
    assert (await client.get("/api/v1/backoffice/statistics", headers=agent)).status_code == 403


async def test_csv_export_streams_with_personal_data_only_for_supervisors(live):
    client = live.client
    for _ in range(3):
        await client.post("/api/v1/requests", json=complaint(live.administration.code))
    export = await client.get("/api/v1/backoffice/requests.csv", headers=live.supervisor)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 3
    assert rows[0]["email"].lower() == "fatima@example.ma"
    national = await client.get("/api/v1/backoffice/requests.csv", headers=live.national)
    national_rows = list(csv.DictReader(io.StringIO(national.text)))
    assert len(national_rows) >= 3
    for personal in ("email", "full_name", "phone", "national_id", "subject", "tracking_number"):
        assert personal not in national_rows[0]
    assert national_rows[0]["reference"].startswith("R")
    assert live.administration.code in {row["administration"] for row in national_rows}
    assert rows[0]["tracking_number"]
    assert rows[0]["reference"].startswith("R")
    assert (
        await client.get("/api/v1/backoffice/requests.csv", headers=live.staff)
    ).status_code == 403
