"""`GET /metrics`: Prometheus text, route templates (never paths), database-derived gauges, and
the bearer token when one is set."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import func, select, update

from app.main import create_app
from app.models import OutboxMessage
from app.models.request import Request
from app.services import clock
from tests.factories import complaint, file, make_administration, written_out


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_requests_are_counted_by_route_template_and_status(client, session):
    admin = await make_administration(session)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    route = "/api/v1/requests/{tracking_number}"
    before = (await client.get("/metrics")).text
    assert (await client.get(f"/api/v1/requests/{number}", headers=created["auth"])).is_success
    assert (await client.get("/api/v1/requests/ABCD-EFGH-J2K")).status_code in (401, 404)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    after = response.text
    key = {"method": "GET", "route": route}
    counted = value(after, "chikaya_http_requests_total", status="200", **key) - value(
        before, "chikaya_http_requests_total", status="200", **key
    )
    assert counted == 1
    assert value(after, "chikaya_http_request_duration_seconds_count", **key) >= 1
    assert value(after, "chikaya_http_requests_total", method="POST", route="/api/v1/requests",
                 status="201") >= 1  # fmt: skip
    # Never a path, so never a tracking number, whatever was asked.
    assert number not in after
    assert number.replace("-", "") not in after
    assert "ABCD-EFGH-J2K" not in after
    assert "chikaya_http_requests_total" in after


async def test_outbox_and_overdue_gauges_come_from_the_database(client, session):
    admin = await make_administration(session)
    created = await file(client, complaint(admin.code))
    late = await file(client, complaint(admin.code))
    await session.execute(
        update(Request)
        .where(Request.tracking_number == late["tracking_number"])
        .values(due_at=clock.now() - timedelta(days=1))
    )
    request_id = await session.scalar(
        select(Request.id).where(Request.tracking_number == created["tracking_number"])
    )
    await written_out(session)
    unwritten = await file(client, complaint(admin.code))  # its fan-out still pending
    assert unwritten["tracking_number"]
    parked = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.request_id == request_id, OutboxMessage.channel != "fanout")
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    assert parked is not None  # the acknowledgement
    parked.status = "parked"
    await session.flush()
    counts = {
        (status, channel): int(n)
        for status, channel, n in (
            await session.execute(
                select(OutboxMessage.status, OutboxMessage.channel, func.count()).group_by(
                    OutboxMessage.status, OutboxMessage.channel
                )
            )
        ).all()
    }
    text = (await client.get("/metrics")).text
    for channel in ("email", "sms", "webhook", "fanout"):
        assert value(text, "chikaya_outbox_pending", channel=channel) == counts.get(
            ("pending", channel), 0
        )
        assert value(text, "chikaya_outbox_parked", channel=channel) == counts.get(
            ("parked", channel), 0
        )
    assert value(text, "chikaya_outbox_parked", channel=parked.channel) >= 1
    assert value(text, "chikaya_outbox_pending", channel="email") >= 1
    assert value(text, "chikaya_outbox_pending", channel="fanout") >= 1
    assert value(text, "chikaya_overdue_requests", administration=admin.code) == 1
    assert value(text, "chikaya_outbox_oldest_pending_age_seconds") >= 0
    assert value(text, "chikaya_metrics_database_up") == 1


async def test_metrics_token_is_required_when_set(settings, sessionmaker):
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-me-0123456789")})
    app = create_app(settings=guarded, sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        missing = await client.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["code"] == "unauthorized"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}
        )
        assert right.status_code == 200
        assert "chikaya_outbox_pending" in right.text


async def test_metrics_stay_out_of_the_public_contract(client):
    schema = (await client.get("/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


async def test_a_scrape_answers_when_the_database_does_not(settings):
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.pool import NullPool

    from tests.servers import free_port

    # Nothing listens on this port: every connection is refused at once.
    engine = create_async_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none", poolclass=NullPool
    )
    app = create_app(settings=settings, sessionmaker=async_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get("/healthz")
            response = await client.get("/metrics")
    finally:
        await engine.dispose()
    assert response.status_code == 200
    assert value(response.text, "chikaya_metrics_database_up") == 0
    assert value(response.text, "chikaya_http_requests_total", method="GET", route="/healthz",
                 status="200") >= 1  # fmt: skip
