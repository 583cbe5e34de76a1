"""A filing's messages travel as one outbox row (a fan-out) until the dispatcher writes them out:
nothing lost, nothing twice, and nothing written after the filing overtakes them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models.outbox import OutboxMessage
from app.repositories import dispatcher as repository
from app.repositories import privacy
from app.services import clock, dispatcher
from tests.factories import act, complaint, file, written_out


async def _outbox(live) -> list[OutboxMessage]:
    async with live.sessionmaker() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def _with_phone(code: str) -> dict:
    body = complaint(code, language="fr")
    body["complainant"]["phone"] = "+212612345678"
    return body


async def test_a_filing_writes_one_fanout_that_the_dispatcher_writes_out(live):
    created = await file(live.client, _with_phone(live.administration.code))
    [fanout] = await _outbox(live)
    assert (fanout.channel, fanout.status, fanout.recipient) == ("fanout", "pending", "")
    assert fanout.event == "filing"
    listed = fanout.payload
    assert [m["channel"] for m in listed["messages"]] == ["email", "sms"]
    assert [f["event"] for f in listed["to_supervisors"]] == ["new_request"]
    assert [f["event"] for f in listed["to_webhooks"]] == ["request.created"]

    async with live.sessionmaker() as session:
        await written_out(session)
        await session.commit()
    rows = await _outbox(live)
    assert (rows[0].id, rows[0].status, rows[0].attempts) == (fanout.id, "sent", 1)
    messages = rows[1:]
    assert [(m.channel, m.event) for m in messages] == [
        ("email", "acknowledgement"),
        ("sms", "acknowledgement"),
        ("email", "new_request"),
    ]
    assert [m.recipient.lower() for m in messages[:2]] == ["fatima@example.ma", "+212612345678"]
    assert messages[2].recipient.startswith("supervisor")
    request_id = fanout.request_id
    assert request_id is not None
    for message in messages:
        assert (message.request_id, message.place, message.status) == (
            request_id,
            fanout.id,
            "pending",
        )
        assert message.created_at == fanout.created_at  # written when the filing was
        assert message.payload == next(
            m["payload"]
            for m in listed["messages"] + listed["to_supervisors"]
            if m["event"] == message.event and m.get("channel", "email") == message.channel
        )
    assert created["tracking_number"] in str(messages[0].payload)

    # Written out once: a second pass finds nothing to write.
    async with live.sessionmaker() as session:
        await written_out(session)
        await session.commit()
    assert len(await _outbox(live)) == 4


async def test_two_dispatchers_write_out_a_fanout_once(live, settings):
    await file(live.client, complaint(live.administration.code))
    later = clock.now() + timedelta(days=1)
    # Two dispatchers at once: the second skips what the first has locked, and finds it sent
    # once the first commits.
    async with live.sessionmaker() as first, live.sessionmaker() as second:
        await repository.write_out(first, later, 100)
        await repository.write_out(second, later, 100)
        await first.commit()
        await second.commit()
        await repository.write_out(second, later, 100)
        await second.commit()
    rows = await _outbox(live)
    assert [(m.channel, m.status) for m in rows] == [
        ("fanout", "sent"),
        ("email", "pending"),
        ("email", "pending"),
    ]


async def test_a_fanout_not_yet_due_is_left_for_later(live):
    await file(live.client, complaint(live.administration.code))
    async with live.sessionmaker() as session:
        await repository.write_out(session, clock.now() - timedelta(hours=1), 100)
        await session.commit()
    [fanout] = await _outbox(live)
    assert fanout.status == "pending"


async def test_a_later_message_waits_behind_a_fanout_another_dispatcher_holds(live, settings):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 1})
    created = await file(live.client, complaint(live.administration.code))
    await act(live.client, created["tracking_number"], "start", live.staff)
    fanout, started = await _outbox(live)
    assert (fanout.channel, started.event) == ("fanout", "state_changed")
    # Another dispatcher is writing the fan-out out: SKIP LOCKED hides it from this one, whose
    # claim must not send the citizen the later message first.
    async with live.sessionmaker() as holder:
        await holder.execute(
            select(OutboxMessage).where(OutboxMessage.id == fanout.id).with_for_update()
        )
        claimed = await dispatcher.claim(live.sessionmaker, mail, clock.now())
        await holder.rollback()
    assert claimed == []
    # Written out, the acknowledgement comes first, though its row is newer than the later
    # message's: its place in line is the fan-out's.
    first = await dispatcher.claim(live.sessionmaker, mail, clock.now())
    assert sorted(m.event for m in first) == ["acknowledgement", "new_request"]
    acknowledgement = next(m for m in first if m.event == "acknowledgement")
    assert acknowledgement.recipient.lower() == "fatima@example.ma"
    assert acknowledgement.id > started.id
    assert started.id not in [m.id for m in first]


async def test_a_fanout_committed_after_a_pass_wrote_out_the_others_still_goes_first(live):
    """The window between a pass's write-out and its claim: the filing and a later message of
    the same request commit in it, the fan-out is not written out yet, the message waits."""
    created = await file(live.client, complaint(live.administration.code))
    await act(live.client, created["tracking_number"], "start", live.staff)
    fanout, started = await _outbox(live)
    async with live.sessionmaker() as session:
        rows = await repository.claim_due(
            session,
            channels=["email"],
            now=clock.now(),
            lease_until=clock.now() + timedelta(minutes=1),
            batch=10,
        )
        await session.rollback()
    assert rows == []  # no write-out here: the fan-out is pending, the later message waits
    assert (fanout.status, started.status) == ("pending", "pending")


async def test_the_acknowledgements_past_their_ceiling_are_left_out_of_the_fanout(live, settings):
    capped = settings.model_copy(update={"acknowledgements_per_recipient_per_day": 1})
    async with live.client_for(capped) as client:
        for _ in range(2):
            await file(client, _with_phone(live.administration.code))
    first, second = await _outbox(live)
    assert [m["channel"] for m in first.payload["messages"]] == ["email", "sms"]
    assert second.payload["messages"] == []
    assert len(second.payload["to_supervisors"]) == 1  # the administration is told all the same


async def test_erasing_a_request_drops_its_fanout_unsent(live):
    created = await file(live.client, complaint(live.administration.code))
    [fanout] = await _outbox(live)
    async with live.sessionmaker() as eraser:
        await privacy.erase(eraser, fanout.request_id, kept_event_id=0)
        await eraser.commit()
    assert await _outbox(live) == []
    assert created["tracking_number"]


async def test_a_fanout_that_cannot_be_written_out_holds_back_only_its_own_request(
    live, settings, caplog
):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 1})
    broken = await file(live.client, complaint(live.administration.code))
    await act(live.client, broken["tracking_number"], "start", live.staff)
    sound = await file(
        live.client,
        complaint(
            live.administration.code,
            complainant={"full_name": "Salma", "email": "salma@example.ma"},
        ),
    )
    await act(live.client, sound["tracking_number"], "start", live.staff)
    async with live.sessionmaker() as session:
        first = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "fanout")
            .order_by(OutboxMessage.id)
        )
        # A message of a channel that does not exist: its rows cannot be written.
        first.payload = {
            **first.payload,
            "messages": [{**first.payload["messages"][0], "channel": "fax"}],
        }
        await session.commit()
    claimed = await dispatcher.claim(live.sessionmaker, mail, clock.now())
    assert f"fan-out {first.id} could not be written out" in caplog.text
    rows = {m.id: m for m in await _outbox(live)}
    told = sorted((rows[m.id].recipient.lower(), m.event) for m in claimed)
    # The sound filing's messages go out; the broken one's request waits, whole.
    assert ("salma@example.ma", "acknowledgement") in told
    assert not [m for m in claimed if rows[m.id].request_id == first.request_id]
    # Retried later, as a message is, then parked for national admins to re-send.
    broken_row = rows[first.id]
    assert (broken_row.status, broken_row.attempts) == ("pending", 1)
    assert broken_row.last_error == "write-out: CheckViolationError"
    assert broken_row.next_attempt_at > clock.now()
    later = clock.now() + timedelta(days=2)
    for _ in range(settings.outbox_max_attempts - 1):
        later += timedelta(days=2)
        await dispatcher.claim(live.sessionmaker, mail, later)
    parked = {m.id: m for m in await _outbox(live)}[first.id]
    assert (parked.status, parked.attempts) == ("parked", settings.outbox_max_attempts)
