"""What a submission writes, written in as few round trips as its invariants allow."""

from __future__ import annotations

from sqlalchemy import event, func, select

from app.models import Request
from app.services import tracking_numbers
from tests.factories import complaint, file, make_administration


async def test_a_tracking_number_already_taken_is_drawn_again(client, session, monkeypatch):
    admin = await make_administration(session)
    first = await file(client, complaint(admin.code))
    fresh = tracking_numbers.generate()
    draws = iter([first["tracking_number"], fresh])
    monkeypatch.setattr(tracking_numbers, "generate", lambda: next(draws))

    second = await file(client, complaint(admin.code))

    assert second["tracking_number"] == fresh
    numbers = await session.scalar(
        select(func.count()).select_from(Request).where(Request.administration_id == admin.id)
    )
    assert numbers == 2
    # The token answered opens the new request, not the one whose number was drawn first.
    mine = await client.get(f"/api/v1/requests/{second['tracking_number']}", headers=second["auth"])
    assert mine.status_code == 200
    other = await client.get(f"/api/v1/requests/{first['tracking_number']}", headers=second["auth"])
    assert other.status_code == 404


async def test_a_submission_reads_nothing_it_already_knows(client, session, engine):
    """No re-select of the id just inserted: one insert, whose RETURNING gives the id."""
    admin = await make_administration(session)
    await file(client, complaint(admin.code))  # the catalogue is read once, then kept
    sent: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await file(client, complaint(admin.code))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    text = "\n".join(sent)
    assert "SELECT requests.id" not in text
    inserts = [s for s in sent if "INSERT INTO requests " in s]
    assert len(inserts) == 1
    # The submission's event rides in the same statement, not in a round trip of its own.
    assert "INSERT INTO request_events " in inserts[0]
    assert not [s for s in sent if "INSERT INTO request_events " in s and s is not inserts[0]]
