"""The queries each index of `requests` and `outbox` serves, and a set-based seed that gives the
planner a national mix to choose by (most requests closed long ago, few running, a few escalated;
the outbox mostly sent): `tests/test_index_plans.py` asserts the plans on a modest seed,
`bench/index_plans.py` prints them on a large one.

Each case builds the application's own statement (from the repositories, not a copy of its SQL)
with its parameters, and names the indexes that may serve it: the plan must use one of them and
must not read `requests` or `outbox` sequentially.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models.enums import State
from app.models.outbox import OutboxMessage
from app.repositories import clockwork, driver, exports, open311, stats
from app.repositories import dispatcher as outbox
from app.repositories import notifications as notification_statements
from app.repositories import requests as requests_repository
from app.repositories.requests import QueueFilter

# A fixed "now" inside the seeded range (requests filed over the six years before it).
NOW = datetime.fromisoformat("2026-11-30T12:00:00+00:00")


def seed_statements(n: int) -> list[str]:
    """Set-based inserts of `n` requests over every administration of the sample catalogue
    (and ten agents each), three outbox messages per request, then `ANALYZE`."""
    now = f"TIMESTAMPTZ '{NOW.isoformat()}'"
    return [
        "INSERT INTO users (email, full_name, password_hash, role, administration_id, active, "
        "token_version, created_at) "
        "SELECT 'agent' || a.id || '.' || g || '@plans.example.ma', 'Agent', 'x', 'agent', a.id, "
        f"true, 0, {now} FROM administrations a, generate_series(1, 10) g",
        # r: a uniform draw per row decides its state; age: days since filing (six years).
        # The same rows at every run (the planner's choices with them).
        "SELECT setseed(0.42)",
        "CREATE TEMP TABLE seed_rows ON COMMIT DROP AS "
        "SELECT g, random() AS r, random() AS e, (random() * 2190)::int AS age, "
        "(SELECT array_agg(id ORDER BY id) FROM administrations) AS admins "
        f"FROM generate_series(1, {n}) g",
        "INSERT INTO requests (tracking_number, kind, state, version, administration_id, "
        "service_id, assignee_id, subject, description, attributes, language, channel, "
        "person_type, full_name, email, phone, received_at, clock_started_at, due_at, "
        "answered_at, closed_at, reopen_count, escalation_level, urgent, extension_count, "
        "public_id, receipt_code, anonymized_at, updated_at, search_text, search_vector, "
        "created_at) "
        "SELECT 'PL' || lpad(g::text, 12, '0'), "
        "CASE WHEN g % 10 = 0 THEN 'suggestion' ELSE 'complaint' END, s.state, 1, s.admin, "
        "(SELECT id FROM services WHERE administration_id = s.admin ORDER BY id "
        " OFFSET (g % greatest(1, (SELECT count(*) FROM services "
        "  WHERE administration_id = s.admin)::int)) LIMIT 1), "
        "CASE WHEN s.state <> 'submitted' THEN (SELECT id FROM users WHERE administration_id = "
        " s.admin AND role = 'agent' ORDER BY id OFFSET (g % 10) LIMIT 1) END, "
        "'Objet ' || g, 'Description', '{}', 'fr', "
        "CASE WHEN g % 20 = 0 THEN 'mail' ELSE 'web' END, 'natural', 'Citoyen ' || g, "
        "CASE WHEN s.anonymized THEN NULL ELSE 'citizen' || (g % (1 + $n / 3)) || '@plans.ma' END, "
        "CASE WHEN s.anonymized THEN NULL ELSE '+2126' || lpad((g % 99999999)::text, 8, '0') END, "
        "s.filed - CASE WHEN g % 20 = 0 THEN interval '3 days' ELSE interval '0' END, s.filed, "
        "s.filed + interval '60 days', "
        "CASE WHEN s.state IN ('answered', 'acknowledged', 'closed') "
        " THEN s.filed + interval '20 days' END, "
        "CASE WHEN s.state IN ('closed', 'rejected') THEN s.filed + interval '50 days' END, "
        "0, s.level, false, 0, 'P' || g, 'R' || g, "
        f"CASE WHEN s.anonymized THEN {now} END, s.filed, 'objet ' || g, "
        "to_tsvector('simple', 'objet ' || g), s.filed "
        "FROM (SELECT g, admins[1 + (g % array_length(admins, 1))] AS admin, "
        f" {now} - make_interval(days => age) - make_interval(secs => g % 86400) AS filed, "
        # Those filed in the last 60 days are still open in part; the others are finished.
        " CASE WHEN age < 60 AND r < 0.30 THEN 'submitted' "
        "  WHEN age < 60 AND r < 0.55 THEN 'in_progress' "
        "  WHEN age < 60 AND r < 0.60 THEN 'awaiting_citizen' "
        "  WHEN age < 60 AND r < 0.75 THEN 'answered' "
        "  WHEN age < 60 AND r < 0.78 THEN 'acknowledged' "
        "  WHEN r < 0.94 THEN 'closed' ELSE 'rejected' END AS state, "
        # A few escalated: past due and still running, or answered late (the level stays).
        " CASE WHEN e < 0.006 THEN 1 WHEN e < 0.008 THEN 2 ELSE 0 END AS level, "
        " age > 1825 + 60 AS anonymized "
        "FROM seed_rows) s".replace("$n", str(n)),
        # Duplicates: one request in a hundred repeats the one filed before it.
        "UPDATE requests SET duplicate_of_id = id - 1, state = 'rejected', "
        "rejection_reason = 'duplicate', closed_at = created_at "
        "WHERE tracking_number LIKE 'PL%' AND id % 100 = 0",
        # The outbox: every request's acknowledgement by email and SMS, and a webhook call;
        # all sent but the last day's (pending) and a backlog of SMS, one in two hundred parked,
        # one-time codes expiring.
        "INSERT INTO outbox (message_id, channel, event, recipient, payload, request_id, status, "
        "attempts, next_attempt_at, sent_at, priority, expires_at, created_at) "
        "SELECT gen_random_uuid(), c.channel, 'submitted', "
        "CASE c.channel WHEN 'email' THEN 'c' || r.id || '@plans.ma' "
        " WHEN 'sms' THEN '+2126' || lpad((r.id % 99999999)::text, 8, '0') "
        " ELSE 'https://hooks.example.ma/' || r.administration_id END, '{}', r.id, "
        "CASE WHEN r.created_at > "
        f"{now} - interval '1 day' THEN 'pending' "
        # A backlog: the SMS gateway down for ten days (unconfigured, its messages wait).
        f" WHEN c.channel = 'sms' AND r.created_at > {now} - interval '10 days' THEN 'pending' "
        " WHEN r.id % 200 = 0 THEN 'parked' ELSE 'sent' END, 1, r.created_at, "
        "r.created_at, 0, "
        "CASE WHEN c.channel = 'sms' AND r.id % 3 = 0 "
        " THEN r.created_at + interval '10 minutes' END, "
        "r.created_at "
        "FROM requests r CROSS JOIN (VALUES ('email'), ('sms'), ('webhook')) AS c(channel) "
        "WHERE r.tracking_number LIKE 'PL%'",
        # Every filing's fan-out: written out (sent), but the last hour's.
        "INSERT INTO outbox (message_id, channel, event, recipient, payload, request_id, status, "
        "attempts, next_attempt_at, sent_at, created_at) "
        "SELECT gen_random_uuid(), 'fanout', 'filing', '', '{}', r.id, "
        f"CASE WHEN r.created_at > {now} - interval '1 hour' THEN 'pending' ELSE 'sent' END, "
        "0, r.created_at, r.created_at, r.created_at "
        "FROM requests r WHERE r.tracking_number LIKE 'PL%'",
        "ANALYZE requests",
        "ANALYZE outbox",
        "ANALYZE users",
    ]


async def seed(connection: AsyncConnection, n: int) -> None:
    for statement in seed_statements(n):
        await connection.exec_driver_sql(statement)


@dataclass(frozen=True)
class Case:
    """A query of the application, the indexes that may serve it, and the table it must not
    read sequentially."""

    name: str
    serves: frozenset[str]
    # The statement and its parameters, given ids from the seeded data.
    build: Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]]
    table: str = "requests"
    # False: printed by the bench, not asserted (a full export reads every row: a sequential
    # scan and a sort serve it about as well, and the planner's choice turns with the sample).
    asserted: bool = True


def _queue(
    sort: str, scoped: bool, filters: QueueFilter | None = None, assignee: bool = False
) -> Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]]:
    def build(ids: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        administration_id = ids["small_admin"] if scoped else None
        params = {"limit": 21, "administration_id": administration_id}
        if filters is None and not assignee:
            return requests_repository._QUEUE_ON_DRIVER[(sort, scoped, False)], params
        conditions = requests_repository.queue_conditions(
            administration_id, filters or QueueFilter(), NOW
        )
        if assignee:
            conditions.append(requests_repository.assigned_to(ids["new_agent"]))
        stmt = (requests_repository._QUEUE if scoped else requests_repository._QUEUE_ALL)[sort]
        return stmt.where(*conditions), params

    return build


def _stmt(
    make: Callable[[dict[str, Any]], Any], **params: Any
) -> Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]]:
    return lambda ids: (make(ids), dict(params))


def _page(shape: open311.Shape, **params: Any) -> Callable[[dict[str, Any]], tuple[Any, Any]]:
    def build(ids: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        values: dict[str, Any] = {"owner": None, "language": "fr", "limit": 50, "offset": 0}
        values.update(params)
        if shape[1]:
            values["service_ids"] = [ids["service"]]
        return open311._PAGES[shape], values

    return build


def _keyed(stmt: Select[Any], key: Any) -> Select[Any]:
    """The clock's batch statement as `clockwork.lock_batch` completes it."""
    return (
        stmt.order_by(key, clockwork.Request.id)
        .limit(200)
        .with_for_update(of=clockwork.Request, skip_locked=True)
    )


_R = clockwork.Request
_ESCALATED_INDEXES = frozenset({"ix_requests_escalated"})
_NATIONAL_INDEXES = frozenset({"ix_requests_national"})
# Either partial index of the escalated rows (both hold the same few).
_EITHER_ESCALATED = _ESCALATED_INDEXES | _NATIONAL_INDEXES

CASES: tuple[Case, ...] = (
    # The back-office queue of one administration, as staff open it and sorted by creation.
    Case(
        "queue, one administration, by due date",
        frozenset({"ix_requests_queue_due"}),
        _queue("due_at", True),
    ),
    Case(
        "queue, one administration, newest first",
        frozenset({"ix_requests_queue_created"}),
        _queue("-created_at", True),
    ),
    # The national admins' queue across administrations.
    Case("queue, national, by due date", frozenset({"ix_requests_due"}), _queue("due_at", False)),
    Case(
        "queue, national, newest first",
        frozenset({"ix_requests_created"}),
        _queue("-created_at", False),
    ),
    # Escalated lists: the national admins' level 2 (in due order, from its own index), a
    # supervisor's level 1, the `escalated` filter, the dashboard's live count.
    Case(
        "queue, national, escalation level 2",
        _NATIONAL_INDEXES,
        _queue("due_at", False, QueueFilter(escalation_level=2)),
    ),
    Case(
        "queue, one administration, escalation level 1",
        _ESCALATED_INDEXES,
        _queue("due_at", True, QueueFilter(escalation_level=1)),
    ),
    Case(
        "queue, one administration, escalated",
        _ESCALATED_INDEXES,
        _queue("due_at", True, QueueFilter(escalated=True)),
    ),
    Case(
        "statistics, escalated counts",
        _EITHER_ESCALATED,
        _stmt(lambda ids: stats._ESCALATED[False]),
    ),
    # Filters of one administration's queue that its sort index would scan for long.
    Case(
        "queue, one administration, awaiting the citizen",
        frozenset({"ix_requests_admin_state"}),
        _queue("due_at", True, QueueFilter(states=[State.awaiting_citizen])),
    ),
    Case(
        "queue, one administration, assigned to a new agent",
        frozenset({"ix_requests_assignee"}),
        _queue("due_at", True, assignee=True),
    ),
    # The clock's work (`app.services.clockwork`) and the overdue counts (dashboard, metrics).
    Case(
        "clock, due soon",
        frozenset({"ix_requests_running_due"}),
        _stmt(lambda ids: _keyed(clockwork.due_soon(5, NOW), _R.due_at)),
    ),
    Case(
        "clock, escalation to level 1",
        frozenset({"ix_requests_running_due"}),
        _stmt(lambda ids: _keyed(clockwork.escalation(0, 15, NOW), _R.due_at)),
    ),
    Case(
        "clock, escalation to level 2",
        frozenset({"ix_requests_running_due"}) | _EITHER_ESCALATED,
        _stmt(lambda ids: _keyed(clockwork.escalation(1, 15, NOW), _R.due_at)),
    ),
    Case(
        "statistics, overdue counts",
        frozenset({"ix_requests_running_due"}),
        _stmt(lambda ids: stats._OVERDUE[False], now=NOW),
    ),
    Case(
        "clock, auto-close",
        frozenset({"ix_requests_answered_at"}),
        _stmt(lambda ids: _keyed(clockwork.answered_past_window(30, NOW), _R.answered_at)),
    ),
    Case(
        "retention purge",
        frozenset({"ix_requests_retention"}),
        _stmt(
            lambda ids: _keyed(
                select(_R).where(
                    _R.state.in_(["closed", "rejected"]),
                    _R.anonymized_at.is_(None),
                    _R.closed_at < NOW - timedelta(days=1825),
                ),
                _R.closed_at,
            )
        ),
    ),
    # Open311 (public): a range of `received_at`, by service, by public id.
    Case(
        "Open311, 90 days",
        frozenset({"ix_requests_received"}),
        _page((False, False, None), received_from=NOW - timedelta(days=90), received_to=NOW),
    ),
    Case(
        "Open311, 90 days of one service",
        frozenset({"ix_requests_received", "ix_requests_service"}),
        _page((False, True, None), received_from=NOW - timedelta(days=90), received_to=NOW),
    ),
    Case(
        "Open311, by public id",
        frozenset({"uq_requests_public_id"}),
        _page((True, False, None), public_ids=["P12", "P13"]),
    ),
    # A service deleted only when no request names it (and the foreign key's check).
    Case(
        "catalogue, service in use",
        frozenset({"ix_requests_service"}),
        _stmt(lambda ids: select(_R.id).where(_R.service_id == ids["unused_service"]).limit(1)),
    ),
    # The detail view's duplicates (staff) and the duplicates told of an answer.
    Case(
        "duplicates of a request",
        frozenset({"ix_requests_duplicate_of"}),
        _stmt(lambda ids: notification_statements._DUPLICATES_OF, request_id=99),
    ),
    # The CSV export, national and of one administration.
    Case(
        "export, national",
        frozenset({"ix_requests_created"}),
        _stmt(lambda ids: exports._ROWS),
        asserted=False,
    ),
    Case(
        "export, one administration",
        frozenset(
            # Any index of the administration's requests: one stream of them all.
            {"ix_requests_queue_created", "ix_requests_admin_state", "ix_requests_queue_due"}
        ),
        _stmt(lambda ids: exports._ROWS.where(_R.administration_id == ids["small_admin"])),
    ),
    # The outbox: the dispatcher's claim and expiry, the metrics' backlog, the parked list,
    # and the retention purge's erasure of a request's messages.
    Case(
        "outbox, claim",
        frozenset(
            # Either partial index of the pending messages (few).
            {"ix_outbox_due", "ix_outbox_recipient_pending"}
        ),
        _stmt(
            lambda ids: (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.channel.in_(["email", "sms", "webhook"]),
                    OutboxMessage.next_attempt_at <= NOW,
                    ~outbox._WAITS_BEHIND,
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(50)
            )
        ),
        table="outbox",
    ),
    Case(
        "outbox, due fan-outs (write-out)",
        # Either partial index of the pending messages, by channel first (few fan-outs).
        frozenset({"ix_outbox_due", "ix_outbox_recipient_pending"}),
        _stmt(
            lambda ids: notification_statements.due_fanouts(),
            outbox_now=NOW,
            outbox_batch=50,
        ),
        table="outbox",
    ),
    Case(
        "outbox, expiry",
        frozenset({"ix_outbox_expiring"}),
        _stmt(
            lambda ids: (
                update(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.expires_at <= NOW)
                .values(status="expired")
            )
        ),
        table="outbox",
    ),
    Case(
        "outbox, backlog (metrics)",
        frozenset({"ix_outbox_parked"}),
        _stmt(lambda ids: outbox._BACKLOG),
        table="outbox",
    ),
    Case(
        "outbox, parked list",
        frozenset({"ix_outbox_parked"}),
        _stmt(
            lambda ids: (
                select(OutboxMessage)
                .where(OutboxMessage.status == "parked")
                .order_by(OutboxMessage.id.desc())
                .limit(50)
            )
        ),
        table="outbox",
    ),
    Case(
        "outbox, a request's messages erased",
        frozenset({"ix_outbox_request"}),
        _stmt(
            lambda ids: delete(OutboxMessage).where(
                OutboxMessage.request_id == ids["request"], OutboxMessage.status != "sent"
            )
        ),
        table="outbox",
    ),
)


async def seeded_ids(connection: AsyncConnection) -> dict[str, Any]:
    """Ids the cases' parameters name: the administration with the fewest requests, a new
    agent of it (none assigned), a service of it, a request."""

    async def one(sql: str) -> Any:
        return (await connection.exec_driver_sql(sql)).scalar()

    small = await one(
        "SELECT administration_id FROM requests WHERE tracking_number LIKE 'PL%' "
        "GROUP BY administration_id ORDER BY count(*), administration_id LIMIT 1"
    )
    agent = await one(
        "INSERT INTO users (email, full_name, password_hash, role, administration_id, active, "
        f"token_version, created_at) VALUES ('new.agent.{small}@plans.example.ma', 'New', 'x', "
        f"'agent', {small}, true, 0, now()) RETURNING id"
    )
    service = await one(f"SELECT min(service_id) FROM requests WHERE administration_id = {small}")
    request = await one("SELECT max(id) FROM requests")
    unused = await one("SELECT max(id) + 1 FROM services")
    return {
        "small_admin": small,
        "new_agent": agent,
        "service": service,
        "unused_service": unused,
        "request": request,
    }


async def plan(
    connection: AsyncConnection, statement: Any, params: dict[str, Any], *, analyze: bool = False
) -> str:
    """The plan PostgreSQL picks for `statement` (as the application runs it) with `params`;
    `analyze`: run, with its execution time (a write is the caller's to roll back)."""
    if isinstance(statement, driver.Compiled):
        sql, arguments = statement.sql, statement.arguments(params)
    else:
        seen: list[tuple[str, Any]] = []

        def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
            seen.append((sql, parameters))

        target = connection.sync_connection
        assert target is not None
        event.listen(target, "before_cursor_execute", record)
        try:
            async with connection.begin_nested() as savepoint:
                result = await connection.stream(statement, params)
                await result.close()
                await savepoint.rollback()
        finally:
            event.remove(target, "before_cursor_execute", record)
        [(sql, arguments)] = [entry for entry in seen if "SAVEPOINT" not in entry[0]]
    explain = "EXPLAIN (ANALYZE, TIMING OFF)" if analyze else "EXPLAIN"
    rows = await connection.exec_driver_sql(f"{explain} {sql}", arguments)
    return "\n".join(row[0] for row in rows)
