"""A request's state and kind are enum members in Python and their plain values on disk: the
same `VARCHAR(32)` the migrations create, so nothing converts them by hand."""

from __future__ import annotations

from sqlalchemy import select, text

from app.models.enums import Kind, State
from app.models.request import Request, RequestEvent
from tests.factories import create_request, make_administration


async def test_a_loaded_request_holds_members_and_the_row_holds_strings(session, settings):
    admin = await make_administration(session, kinds=("complaint", "information_request"))
    made = await create_request(
        session,
        administration=admin,
        kind=Kind.information_request,
        state=State.answered,
        settings=settings,
    )
    session.expunge_all()

    loaded = (await session.scalars(select(Request).where(Request.id == made.id))).one()
    assert type(loaded.state) is State
    assert loaded.state is State.answered
    assert type(loaded.kind) is Kind
    assert loaded.kind is Kind.information_request
    events = (
        await session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == made.id).order_by(RequestEvent.id)
        )
    ).all()
    assert events[0].from_state is None
    assert [type(event.to_state) for event in events] == [State] * len(events)
    assert events[-1].to_state is State.answered

    # Filtering by a member and by its plain value finds the same row.
    by_member = select(Request.id).where(Request.state == State.answered, Request.id == made.id)
    by_value = select(Request.id).where(Request.state == "answered", Request.id == made.id)
    assert (await session.scalars(by_member)).all() == (await session.scalars(by_value)).all()

    raw = (
        await session.execute(
            text(
                "SELECT state, kind, pg_typeof(state)::text, format_type(typbasetype, typtypmod) "
                "FROM requests JOIN pg_type ON pg_type.oid = pg_typeof(state) WHERE id = :id"
            ),
            {"id": made.id},
        )
    ).one()
    # Stored as the plain string, in a domain over VARCHAR that restricts it (migration 0026).
    assert tuple(raw) == (
        "answered",
        "information_request",
        "request_state",
        "character varying(32)",
    )
    assert type(raw[0]) is str


def test_a_label_assigned_as_a_string_is_held_as_its_member():
    request = Request(kind="complaint", state="submitted")
    assert request.kind is Kind.complaint
    assert request.state is State.submitted
