"""`GET /metrics` in the Prometheus text format.

Two kinds of numbers, on purpose:

* **HTTP requests and latencies** are counted in the process that served them (a counter and a
  histogram labelled by route *template* and status, never by path). With several uvicorn
  workers each process has its own; `python -m app serve` then sets `PROMETHEUS_MULTIPROC_DIR`
  to a fresh folder so that prometheus-client's multiprocess mode sums every worker's counts
  in whichever worker answers the scrape. A host that starts uvicorn itself may set that
  variable (an empty folder, emptied at each start) to the same effect; without it a scrape
  sees the one worker that answered it.
* **Outbox backlog, parked messages and overdue requests** are read from PostgreSQL at scrape
  time (partial indexes serve each count), so every process reports the same portal-wide
  values whichever one is scraped. A few seconds' cache keeps a scrape storm off the database.

`/metrics` is not in the public OpenAPI document: it is for the operators' Prometheus, not part
of the contract with citizens' apps and integrators (README, *Operations*). With
`METRICS_TOKEN` set it requires `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from app.db import SessionMaker
from app.errors import Unauthorized
from app.repositories import dispatcher as outbox
from app.services import clock, stats

CACHE_SECONDS = 5.0
QUERY_TIMEOUT_SECONDS = 5.0

log = logging.getLogger("app.metrics")

HTTP_REQUESTS = Counter(
    "chikaya_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "chikaya_http_request_duration_seconds",
    "Time to answer an HTTP request (until its last byte), by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


# Each (method, route template, status)'s counter and histogram, looked up once: the label
# values are bounded (templates, not paths), and `labels()` takes a lock and builds a key.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    series = _SERIES.get((method, route, status))
    if series is None:
        series = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_DURATION.labels(method, route),
        )
        _SERIES[(method, route, status)] = series
    series[0].inc()
    series[1].observe(seconds)


@dataclass
class DatabaseGauges:
    """The portal-wide numbers, read at scrape time (cached for `CACHE_SECONDS`)."""

    outbox_pending: dict[str, int] = field(default_factory=dict)
    outbox_parked: dict[str, int] = field(default_factory=dict)
    outbox_oldest_pending_seconds: float = 0.0
    overdue: dict[str, int] = field(default_factory=dict)
    read_at: float = float("-inf")
    database_up: bool = True


class _Gauges(Collector):
    def __init__(self, values: DatabaseGauges) -> None:
        self.values = values

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "chikaya_outbox_pending",
            "Messages waiting in the outbox, by channel (fanout: filings whose messages the "
            "dispatcher has not written out yet).",
            labels=["channel"],
        )
        parked = GaugeMetricFamily(
            "chikaya_outbox_parked",
            "Messages parked after their last attempt (a national admin must re-send them).",
            labels=["channel"],
        )
        for channel in ("email", "sms", "webhook", "fanout"):
            pending.add_metric([channel], self.values.outbox_pending.get(channel, 0))
            parked.add_metric([channel], self.values.outbox_parked.get(channel, 0))
        yield pending
        yield parked
        yield GaugeMetricFamily(
            "chikaya_outbox_oldest_pending_age_seconds",
            "Age of the oldest message still waiting in the outbox (0 when none).",
            value=self.values.outbox_oldest_pending_seconds,
        )
        overdue = GaugeMetricFamily(
            "chikaya_overdue_requests",
            "Open requests past their due date, by administration code.",
            labels=["administration"],
        )
        for code, count in sorted(self.values.overdue.items()):
            overdue.add_metric([code], count)
        yield overdue
        yield GaugeMetricFamily(
            "chikaya_metrics_database_up",
            "1 when the gauges above were just read from PostgreSQL; 0 when it did not answer "
            "(the gauges are then the last values read, or zeros).",
            value=1 if self.values.database_up else 0,
        )


async def _read(request: Request) -> DatabaseGauges:
    cached: DatabaseGauges | None = getattr(request.app.state, "metrics_gauges", None)
    if cached is not None and time.monotonic() - cached.read_at < CACHE_SECONDS:
        return cached
    try:
        # A scrape must answer even when the database does not: the HTTP counters are what
        # an operator needs most during an outage.
        async with asyncio.timeout(QUERY_TIMEOUT_SECONDS):
            values = await _query(request.app.state.sessionmaker)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
        stale = replace(cached) if cached is not None else DatabaseGauges()
        stale.database_up, stale.read_at = False, time.monotonic()
        values = stale
    request.app.state.metrics_gauges = values
    return values


async def _query(sessionmaker: SessionMaker) -> DatabaseGauges:
    now = clock.now()
    values = DatabaseGauges(read_at=time.monotonic())
    async with sessionmaker() as session:
        for status, channel, count in await outbox.backlog(session):
            target = values.outbox_pending if status == "pending" else values.outbox_parked
            target[channel] = count
        oldest = await outbox.oldest_pending(session)
        if oldest is not None:
            values.outbox_oldest_pending_seconds = max(0.0, (now - oldest).total_seconds())
        values.overdue = await stats.overdue_counts(session, None, now)
    return values


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def install(app: FastAPI, token: str | None) -> None:
    async def metrics(request: Request) -> Response:
        if token and not _authorized(request, token):
            raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        gauges = CollectorRegistry()
        gauges.register(_Gauges(await _read(request)))
        body = generate_latest(_process_registry()) + generate_latest(gauges)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
