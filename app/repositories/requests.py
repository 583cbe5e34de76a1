"""Statements on requests: filing (insert without a savepoint) and the reads — the detail
view and the back-office queue page, one statement each.

The statements are built once, at import, and run on the session's connection as Core (no ORM
objects loaded): SQLAlchemy compiles each once and caches it, so a call costs binding the
parameters and decoding the row. Who may see a request rides on the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    false,
    func,
    inspect,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import get_history, set_committed_value
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from app.models.base import loaded
from app.models.catalogue import Administration, Service
from app.models.enums import CLOCK_RUNNING, Channel, Kind, Role, State
from app.models.integration import RequestStats
from app.models.request import Message, Request, RequestEvent
from app.models.user import User
from app.repositories import driver, idempotency, notifications, throttle
from app.repositories.search import parsed_vector

OPERATOR_CHANNELS = (Channel.call_center.value, Channel.mail.value)
# A timestamp as the API writes it (UTC, microseconds, `Z`), whatever the server's TimeZone.
_UTC_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'

_users = User.__table__
_assignee = _users.alias("assignee")
_operator = _users.alias("operator")
_event_actor = _users.alias("event_actor")
_events = RequestEvent.__table__
_requests = cast(Table, Request.__table__)
_original = _requests.alias("original")
_duplicate = _requests.alias("duplicate")


def visible_to(role: Role) -> ColumnElement[bool]:
    """SQL twin of `services.visibility.can_see`: the request rows `role` may read, with the
    actor's ids as bind parameters (`request_id`, `administration_id`, and a citizen
    session's verified `email` or `phone`; those left NULL match nothing)."""
    match role:
        case Role.citizen:
            # A tracking token names its request; a citizen session, its verified contact
            # (the same comparison as its listing, served by `ix_requests_email_lower`).
            return or_(
                Request.id == bindparam("request_id"),
                func.lower(Request.email) == bindparam("email"),
                Request.phone == bindparam("phone"),
            )
        case Role.agent | Role.supervisor | Role.integration:
            return Request.administration_id == bindparam("administration_id")
        case Role.operator:
            # Bound one by one, not as an expanding list: the statement's SQL stays the same
            # for every call, so that the driver's statements can be compiled once.
            return Request.channel.in_([literal(channel) for channel in OPERATOR_CHANNELS])
        case Role.system | Role.national_admin:
            return true()
        case _:
            return false()


def sees_internal(role: Role) -> bool:
    """Internal notes and assignments belong to the administration's own staff (and its own
    system, which acts with an agent's powers through its integration key), and to the
    national admins who oversee every administration (a declined transfer's reason, an
    appeal's instructions); they read them, the lifecycle table lets them write none."""
    return role in (Role.agent, Role.supervisor, Role.national_admin, Role.integration)


def _history_json(events: Any, actor: Any, *conditions: Any) -> Any:
    """The history entries of `events` (the events table, or a subquery of its columns) that
    meet `conditions`, their actors' names from `actor` (an alias of users), as one JSON array,
    oldest first."""
    entry = func.json_build_object(
        "action",
        events.c.action,
        "from_state",
        events.c.from_state,
        "to_state",
        events.c.to_state,
        "actor",
        events.c.actor_role,
        "actor_name",
        actor.c.full_name,
        "at",
        func.to_char(func.timezone("UTC", events.c.created_at), _UTC_FORMAT),
        "note",
        events.c.note,
        "data",
        events.c.data,
        "internal",
        not_(events.c.public),
    )
    return (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(entry, events.c.id)),
                literal_column("'[]'::json"),
            )
        )
        .select_from(events.outerjoin(actor, actor.c.id == events.c.actor_id))
        .where(*conditions)
        .scalar_subquery()
    )


def _history(internal: bool) -> Any:
    """The history as one JSON array, oldest first; citizens and others get public events."""
    conditions = [_events.c.request_id == Request.id]
    if not internal:
        conditions.append(_events.c.public)
    return _history_json(_events, _event_actor, *conditions)


# The request's own columns the detail view reads; `DETAIL_FIELDS` names them for the view,
# which copies them onto a transient `Request` (one list, so a new column cannot be read here
# and dropped there).
_DETAIL_REQUEST_COLUMNS = (
    Request.id,
    Request.tracking_number,
    Request.kind,
    Request.state,
    Request.version,
    Request.administration_id,
    Request.service_id,
    Request.assignee_id,
    Request.operator_id,
    Request.subject,
    Request.description,
    Request.attributes,
    Request.language,
    Request.channel,
    Request.person_type,
    Request.full_name,
    Request.organization_name,
    Request.email,
    Request.phone,
    Request.national_id,
    Request.country,
    Request.address,
    Request.latitude,
    Request.longitude,
    Request.created_at,
    Request.received_at,
    Request.updated_at,
    Request.due_at,
    Request.paused_at,
    Request.answered_at,
    Request.closed_at,
    Request.reopen_count,
    Request.escalation_level,
    Request.escalated_at,
    Request.rejection_reason,
    Request.duplicate_of_id,
    Request.transferred_from_id,
    Request.urgent,
    Request.verified_contact,
    Request.extension_count,
    Request.outcome,
    Request.refusal_ground,
    Request.rating_score,
    Request.rating_comment,
    Request.rating_dimensions,
    Request.rated_at,
    # Read by the lifecycle's guards for `allowed_actions` (once per answer, not anonymized).
    Request.appealed_at,
    Request.anonymized_at,
    Request.due_soon_alerted_at,
)
DETAIL_FIELDS = tuple(column.key for column in _DETAIL_REQUEST_COLUMNS)


def _looked_up(label: str, table: Any, key: Any, *columns: Any) -> Any:
    """The row of `columns` whose table's id is `key` (the request's foreign key), as a lateral
    look-up of one row: the planner cannot flatten a subquery with a limit, so it reads it by
    its primary key for the one request, whatever the table's statistics. Joined plainly, the
    detail's generic plan flipped mid-run to merge joins over the whole indexes of the sample
    catalogue's few administrations and services, with two sorts (19 buffers per read instead
    of 11, four times PostgreSQL's CPU per read)."""
    return select(*columns).where(table.c.id == key).limit(literal_column("1")).lateral(label)


_DETAIL_ADMINISTRATION = _looked_up(
    "administration",
    Administration.__table__,
    Request.administration_id,
    Administration.code.label("administration_code"),
    Administration.name.label("administration_name"),
    Administration.answer_days.label("administration_answer_days"),
    Administration.reopen_window_days.label("administration_reopen_window_days"),
    Administration.max_reopens.label("administration_max_reopens"),
)
_DETAIL_SERVICE = _looked_up(
    "service",
    Service.__table__,
    Request.service_id,
    Service.code.label("service_code"),
    Service.name.label("service_name"),
    Service.answer_days.label("service_answer_days"),
    Service.reopen_window_days.label("service_reopen_window_days"),
)
_DETAIL_ASSIGNEE = _looked_up(
    "assignee",
    _assignee,
    Request.assignee_id,
    _assignee.c.full_name.label("assignee_name"),
    _assignee.c.role.label("assignee_role"),
)
_DETAIL_OPERATOR = _looked_up(
    "operator",
    _operator,
    Request.operator_id,
    _operator.c.full_name.label("operator_name"),
    _operator.c.role.label("operator_role"),
)
_DETAIL_COLUMNS = (
    *_DETAIL_REQUEST_COLUMNS,
    # The deadlines in force (the lifecycle's guards and `reopen_until` need them).
    *_DETAIL_ADMINISTRATION.c,
    *_DETAIL_SERVICE.c,
    *_DETAIL_ASSIGNEE.c,
    *_DETAIL_OPERATOR.c,
)


def _duplicate_links(staff: bool) -> tuple[Any, Any]:
    """The original's tracking number and the duplicates' (a JSON array), for staff only:
    a citizen never learns of another citizen's request."""
    if not staff:
        return literal_column("NULL").label("duplicate_of"), literal_column("NULL").label(
            "duplicates"
        )
    original = (
        select(_original.c.tracking_number)
        .where(_original.c.id == Request.duplicate_of_id)
        .scalar_subquery()
    )
    duplicates = (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(_duplicate.c.tracking_number, _duplicate.c.id)),
                literal_column("'[]'::json"),
            )
        )
        .where(_duplicate.c.duplicate_of_id == Request.id)
        .scalar_subquery()
    )
    return original.label("duplicate_of"), duplicates.label("duplicates")


_STAFF_ROLES = (Role.agent, Role.supervisor, Role.operator, Role.national_admin)


def _detail(role: Role) -> Select[Any]:
    return (
        select(
            *_DETAIL_COLUMNS,
            _history(sees_internal(role)).label("history"),
            *_duplicate_links(role in _STAFF_ROLES),
        )
        .select_from(Request)
        .join(_DETAIL_ADMINISTRATION, true())
        .outerjoin(_DETAIL_SERVICE, true())
        .outerjoin(_DETAIL_ASSIGNEE, true())
        .outerjoin(_DETAIL_OPERATOR, true())
        # A caller who may not see it learns nothing, not even that it exists.
        .where(Request.tracking_number == bindparam("number"), visible_to(role))
    )


_READABLE = (
    Role.citizen,
    Role.agent,
    Role.supervisor,
    Role.operator,
    Role.integration,
    Role.national_admin,
    Role.system,
)
_DETAIL_BY_NUMBER = {role: _detail(role) for role in _READABLE}
_DETAIL_ON_DRIVER = {role: driver.Compiled(stmt) for role, stmt in _DETAIL_BY_NUMBER.items()}


async def get_detail(
    direct: driver.Direct,
    number: str,
    role: Role,
    *,
    request_id: int | None = None,
    administration_id: int | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Any | None:
    """The request `number` with everything its detail view shows, if `role` (with the
    actor's `request_id`/`administration_id`, or a citizen session's contact) may see it:
    one statement, on the driver (the hottest read of all)."""
    compiled = _DETAIL_ON_DRIVER.get(role)
    if compiled is None:
        return None
    params = {
        "number": number,
        "request_id": request_id,
        "administration_id": administration_id,
        "email": email,
        "phone": phone,
    }
    return await driver.fetch_one(direct, compiled, params)


# --- the back-office queue


@dataclass(frozen=True)
class QueueFilter:
    states: list[State] | None = None
    kind: Kind | None = None
    service: str | None = None
    assignee: str | None = None  # a staff id, "me" or "none"
    overdue: bool | None = None
    escalated: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    escalation_level: int | None = None  # 0-2; 2: the national admins' queue


_QUEUE_COLUMNS = (
    Request.id,
    Request.tracking_number,
    Request.kind,
    Request.state,
    Administration.code.label("administration_code"),
    Service.code.label("service_code"),
    Request.subject,
    Request.channel,
    Request.created_at,
    Request.due_at,
    Request.escalation_level,
    Request.assignee_id,
    _assignee.c.full_name.label("assignee_name"),
    _assignee.c.role.label("assignee_role"),
)


def _queue_base(column: Any, descending: bool, *, scoped: bool = True) -> Select[Any]:
    order = (column.desc(), Request.id.desc()) if descending else (column.asc(), Request.id.asc())
    stmt = (
        select(*_QUEUE_COLUMNS)
        .select_from(Request)
        .join(Administration, Administration.id == Request.administration_id)
        .outerjoin(Service, Service.id == Request.service_id)
        .outerjoin(_assignee, _assignee.c.id == Request.assignee_id)
        .order_by(*order)
        .limit(bindparam("limit"))
    )
    if scoped:
        stmt = stmt.where(Request.administration_id == bindparam("administration_id"))
    return stmt


# By sort key ("due_at", "-created_at", "created_at"): the sort column and its statement.
QUEUE_SORTS: dict[str, tuple[Any, bool]] = {
    "due_at": (Request.due_at, False),
    "-created_at": (Request.created_at, True),
    "created_at": (Request.created_at, False),
}
_QUEUE = {key: _queue_base(column, desc) for key, (column, desc) in QUEUE_SORTS.items()}
# The national admins' queue across administrations (`ix_requests_due`, `ix_requests_created`;
# an escalation level, `ix_requests_escalated`).
_QUEUE_ALL = {
    key: _queue_base(column, desc, scoped=False) for key, (column, desc) in QUEUE_SORTS.items()
}


def _after(stmt: Select[Any], sort: str) -> Select[Any]:
    """The page after the keyset position (`after_value`, `after_id`)."""
    column, descending = QUEUE_SORTS[sort]
    key = tuple_(column, Request.id)
    position = tuple_(
        bindparam("after_value", type_=column.type), bindparam("after_id", type_=Request.id.type)
    )
    return stmt.where(key < position if descending else key > position)


# The pages without filters (the queue as staff open it, and its next pages) on the driver,
# keyed by (sort, scoped to one administration, after a position).
_QUEUE_ON_DRIVER = {
    (sort, scoped, paged): driver.Compiled(_after(stmts[sort], sort) if paged else stmts[sort])
    for sort in QUEUE_SORTS
    for scoped, stmts in ((True, _QUEUE), (False, _QUEUE_ALL))
    for paged in (False, True)
}


def overdue(now: datetime) -> ColumnElement[bool]:
    # The clock is paused while awaiting the citizen, so only these states can be late.
    return and_(Request.state.in_(CLOCK_RUNNING), Request.due_at < now)


def at_escalation_level(level: int) -> ColumnElement[bool]:
    """Written into the statement (a checked 0-2), so that the planner proves the partial
    index's `escalation_level > 0` (`ix_requests_escalated`)."""
    return Request.escalation_level == bindparam("escalation_level", level, literal_execute=True)


def escalated() -> ColumnElement[bool]:
    """Open and escalated: the administration still owes the answer of a missed deadline
    (the level stays on answered and closed requests, as a record)."""
    return and_(
        Request.escalation_level > 0,
        Request.state.in_(
            [State.submitted.value, State.in_progress.value, State.awaiting_citizen.value]
        ),
    )


def queue_conditions(
    administration_id: int | None, filters: QueueFilter, now: datetime
) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions (the administration itself is in every statement)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.states:
        conditions.append(Request.state.in_(filters.states))
    if filters.kind:
        conditions.append(Request.kind == filters.kind)
    if filters.service:
        services = select(Service.id).where(Service.code == filters.service)
        if administration_id is not None:
            services = services.where(Service.administration_id == administration_id)
        conditions.append(Request.service_id.in_(services))
    if filters.escalation_level is not None:
        conditions.append(at_escalation_level(filters.escalation_level))
    if filters.overdue is not None:
        conditions.append(overdue(now) if filters.overdue else not_(overdue(now)))
    if filters.escalated is not None:
        conditions.append(escalated() if filters.escalated else not_(escalated()))
    if filters.created_from:
        conditions.append(Request.created_at >= filters.created_from)
    if filters.created_to:
        conditions.append(Request.created_at < filters.created_to)
    return conditions


def assigned_to(value: str | int | None) -> ColumnElement[bool]:
    return Request.assignee_id.is_(None) if value is None else Request.assignee_id == value


def search(number: str | None, tsqueries: Sequence[str]) -> ColumnElement[bool] | None:
    """A tracking number, or words (prefix tsqueries) of the search text."""
    matches: list[ColumnElement[bool]] = []
    if number:
        matches.append(Request.tracking_number == number)
    for query in tsqueries:
        matches.append(Request.search_vector.bool_op("@@")(func.to_tsquery("simple", query)))
    return or_(*matches) if matches else None


async def queue_page(
    direct: driver.Direct,
    *,
    administration_id: int | None,
    sort: str,
    limit: int,
    conditions: Sequence[ColumnElement[bool]] = (),
    after: tuple[datetime, int] | None = None,
) -> Sequence[Any]:
    """Up to `limit` rows of one administration's queue (every administration's when
    `administration_id` is None: the national admins') in `sort` order, after the keyset
    `after` (the sort value and id of the last row seen): one statement, only the columns the
    page shows. Without filters, a statement compiled at import, on the driver."""
    params: dict[str, Any] = {"limit": limit, "administration_id": administration_id}
    if after is not None:
        params["after_value"], params["after_id"] = after
    if not conditions:
        compiled = _QUEUE_ON_DRIVER[(sort, administration_id is not None, after is not None)]
        return await driver.fetch_all(direct, compiled, params)
    stmt = _QUEUE[sort] if administration_id is not None else _QUEUE_ALL[sort]
    if after is not None:
        stmt = _after(stmt, sort)
    return await driver.select_all(direct, stmt.where(*conditions), params)


# A submission is one statement: the anonymous ceilings' counters, the request, its first
# event, its outbox messages and its statistics, each part written only if what it depends on
# was (a data-modifying CTE's rows are the next one's condition). One statement is atomic, so
# it runs in the session's transaction or on its own in autocommit alike (`insert_new`).
#
# The counters (`throttle.counted_under_limit`), bound as `client_*`, `ack_email_*` and
# `ack_sms_*`: the client's hourly ceiling first, the request inserted only if it counted; the
# acknowledgements' daily ceilings per recipient after, counted only for a request inserted,
# and each acknowledgement written only if its counter counted it (a message's `gate`), the
# request filed all the same. A limit of 0 leaves a counter out.
#
# A part that has nothing to do is left out of the statement rather than switched off by its
# parameters: PostgreSQL sets up every part of a statement at each execution (a data-modifying
# CTE opens its table and every index of it even when a one-time filter makes it write
# nothing), which was a tenth of the statement's work for an ordinary filing. So there is one
# statement per shape (`_Shape`: the client's ceiling, the acknowledgements' ceilings, an
# Idempotency-Key, each there or not), eight in all, each compiled once at import and
# prepared once per connection.
#
# A tracking number already taken inserts nothing (no id) and counts no acknowledgement: the
# caller draws again, with no savepoint round trips around the insert, and without the
# client's counter, which counted this submission already (`Filing.counted`).
_REQUESTS = cast(Table, Request.__table__)
_EVENTS = cast(Table, RequestEvent.__table__)
_ID_BY_TRACKING_NUMBER = select(Request.id).where(
    Request.tracking_number == bindparam("tracking_number")
)
# Every column the application writes.
_WRITTEN = tuple(column.key for column in inspect(Request).column_attrs if column.key != "id")
# Scalar defaults of the model (`escalation_level` 0, …) for the columns a new request leaves
# unset: the ORM would apply them at flush; this insert does not go through the flush.
_SCALAR_DEFAULTS: dict[str, Any] = {
    column.key: column.default.arg
    for column in _REQUESTS.columns
    if isinstance(column.default, ScalarElementColumnDefault)
}
# The first event's columns, bound as `event_<column>` (the request's own are bound by name).
FIRST_EVENT_COLUMNS = (
    "action",
    "from_state",
    "to_state",
    "actor_role",
    "actor_id",
    "public",
    "data",
    "created_at",
)
_COUNTERS_NOW = bindparam("counters_now", type_=DateTime(timezone=True))
# Its cohort's statistics (`received` + 1), added as `repositories.stats.bump` adds (its
# `_BUMP`): to the cohort's slot of this database session (`pg_backend_pid()`), inserted if it
# is not there yet; only when the request is inserted. The cohort is bound as `stats_<key>`
# (service 0 for none, the month of `stats.cohort_month`).
_STATS = cast(Table, RequestStats.__table__)
_STATS_KEY = ("administration_id", "service_id", "kind", "month")
_STATS_COUNTERS = tuple(
    column.key for column in _STATS.columns if column.key not in (*_STATS_KEY, "slot")
)
_STATS_COHORT = tuple(bindparam(f"stats_{key}", type_=_STATS.c[key].type) for key in _STATS_KEY)
_SESSION_SLOT = func.pg_backend_pid()


@dataclass(frozen=True)
class _Shape:
    """Which optional parts a filing's statement has: the client's counter (`client`), the
    acknowledgements' counters (`acknowledgements`), an Idempotency-Key's claim and record
    (`keyed`)."""

    client: bool
    acknowledgements: bool
    keyed: bool


def _written(key: str) -> ColumnElement[Any]:
    """The value inserted in column `key`: its parameter; the search vector's, when the
    application leaves it to PostgreSQL (None: `services.search.search_vector`), parsed from
    the search text's."""
    value = bindparam(key, type_=_REQUESTS.c[key].type)
    if key != "search_vector":
        return value
    return func.coalesce(value, parsed_vector(bindparam("search_text", type_=Text)))


def _insert_new(shape: _Shape) -> Select[Any]:
    """The filing statement of `shape`: its result is one row (`id`, `counted`, `locked`,
    `known`) whatever it inserted."""
    conditions: list[ColumnElement[bool]] = []
    ctes: list[Any] = []
    claimed = None
    if shape.keyed:
        # An `Idempotency-Key` (bound as `idem_*`) is claimed by the same statement: its lock
        # taken without waiting and no record of it found, else nothing is written (the
        # caller answers 409, or replays through the session); its record, the answer, is
        # inserted with the request (`repositories.idempotency`).
        claimed = idempotency.claimed()
        conditions.append(
            exists(select(claimed.c.locked).where(claimed.c.locked, not_(claimed.c.known)))
        )
    client_counted = None
    if shape.client:
        client_counted = throttle.counted_under_limit(
            "client", _COUNTERS_NOW, when=conditions[0] if conditions else None
        )
        conditions.append(exists(select(client_counted.c.key)))
    new_request = (
        insert(_REQUESTS)
        .from_select(
            _WRITTEN,
            select(*(_written(key) for key in _WRITTEN)).where(*conditions),
        )
        .on_conflict_do_nothing(index_elements=[_REQUESTS.c.tracking_number])
        .returning(_REQUESTS.c.id)
        .cte("new_request")
    )
    ctes.append(
        insert(_EVENTS)
        .from_select(
            ["request_id", *FIRST_EVENT_COLUMNS],
            select(
                new_request.c.id,
                *(
                    bindparam(f"event_{key}", type_=_EVENTS.c[key].type)
                    for key in FIRST_EVENT_COLUMNS
                ),
            ),
        )
        .cte("first_event")
    )
    gates: tuple[Any, ...] = ()
    if shape.acknowledgements:
        gates = tuple(
            throttle.counted_under_limit(name, _COUNTERS_NOW, after=new_request)
            for name in ("ack_email", "ack_sms")
        )
        ctes.extend(gates)
    # Its outbox messages too (acknowledgements, supervisors, webhooks), as one fan-out the
    # dispatcher writes out (`notifications.fanout_insert`).
    ctes.append(notifications.fanout_insert(new_request, gates=gates).cte("new_outbox"))
    filed = exists(select(new_request.c.id))
    ctes.append(
        insert(_STATS)
        .from_select(
            [*_STATS_KEY, "slot", *_STATS_COUNTERS],
            select(
                *_STATS_COHORT,
                _SESSION_SLOT,
                *(literal_column("1" if name == "received" else "0") for name in _STATS_COUNTERS),
            ).where(filed),
        )
        .on_conflict_do_update(
            index_elements=[*_STATS_KEY, "slot"],
            set_={"received": _STATS.c.received + literal_column("1")},
        )
        .cte("stats_added")
    )
    if shape.keyed:
        ctes.append(idempotency.recorded_after(new_request))
    return select(
        select(new_request.c.id).scalar_subquery().label("id"),
        (exists(select(client_counted.c.key)) if client_counted is not None else false()).label(
            "counted"
        ),
        (select(claimed.c.locked).scalar_subquery() if claimed is not None else true()).label(
            "locked"
        ),
        (select(claimed.c.known).scalar_subquery() if claimed is not None else false()).label(
            "known"
        ),
    ).add_cte(*ctes)


# Compiled once each, at import: SQLAlchemy would compute a cache key over the whole tree and
# rebuild its ninety parameters at every submission.
INSERT_NEW = {
    shape: driver.Compiled(_insert_new(shape))
    for shape in (
        _Shape(client, acknowledgements, keyed)
        for client in (False, True)
        for acknowledgements in (False, True)
        for keyed in (False, True)
    )
}


def new_request(**columns: Any) -> Request:
    """A request about to be filed, held in memory with `columns` (`kind` and `state` their
    members), for `insert_new`. Built without the ORM's attribute events (no history to keep
    for a row whose insert is written by hand): a plain `Request(**columns)` costs a tracked
    assignment per column, then `insert_new` would assign each again."""
    return loaded(Request, columns)


def fill(request: Request, **columns: Any) -> None:
    """Set `columns` of a request built by `new_request` and not inserted yet, as it holds the
    others (no attribute event: no history to keep for a row whose insert is written by
    hand): its tracking number and search text, drawn again after a collision."""
    request.__dict__.update(columns)


@dataclass(frozen=True)
class Ceilings:
    """The counters a filing passes: the client's (the request is filed only if it counts),
    and its acknowledgements' by email and by SMS (each sent only if its counter counts,
    the request filed all the same). None: no such ceiling for this filing."""

    client: throttle.Counter | None = None
    ack_email: throttle.Counter | None = None
    ack_sms: throttle.Counter | None = None


@dataclass(frozen=True)
class Filing:
    """What `insert_new` did: the new request's id, None when nothing was inserted (its
    tracking number was taken, the client's counter was full, or its key was taken); whether
    the client's counter counted it; whether its key's lock was free (`locked`) and whether
    its key had a record already (`known`)."""

    request_id: int | None
    counted: bool
    locked: bool
    known: bool


def _counter_params(name: str, counter: throttle.Counter | None) -> dict[str, Any]:
    """A limit of 0 counts nothing (one acknowledgement's counter without the other's)."""
    if counter is None:
        return {f"{name}_key": None, f"{name}_limit": 0, f"{name}_ends": None}
    key, limit, ends = counter.key, counter.limit, counter.ends
    return {f"{name}_key": key, f"{name}_limit": limit, f"{name}_ends": ends}


async def insert_new(
    on: AsyncSession | driver.Direct,
    request: Request,
    first_event: dict[str, Any],
    outbox: notifications.Outbox,
    now: datetime,
    stats_month: datetime,
    ceilings: Ceilings,
    record: idempotency.Record | None = None,
) -> Filing:
    """Insert a new request built in memory (`new_request`), with its first event
    (`FIRST_EVENT_COLUMNS`), its outbox messages, its cohort's statistics (`received`, month
    `stats_month`) and the `ceilings`' counters, unless its tracking number is taken or the
    client's counter is full, or the key of `record` is held or known (then none is
    inserted; else `record` is inserted too): one statement, in the session's transaction,
    or on the driver on its own (committed when it returns). A key recorded meanwhile by
    another statement fails this one (`idempotency.raced`), undone whole.

    Inserted in a session, the request joins it as a loaded row (no second read), its unset
    columns None (or the model's scalar default); the event is in the database only."""
    given = request.__dict__
    for key in _WRITTEN:
        if key not in given:
            given[key] = _SCALAR_DEFAULTS.get(key)
    params = {key: given[key] for key in _WRITTEN}
    # Not kept in memory, as it was when the database computed it: the text given is not the
    # vector's own form, and an SQL expression (PostgreSQL's parse, `_written`) is no value.
    vector = given.pop("search_vector")
    params["search_vector"] = vector if isinstance(vector, str) else None
    for key in FIRST_EVENT_COLUMNS:
        params[f"event_{key}"] = first_event.get(key)
    params.update(outbox.fanout_params(now))
    params["stats_administration_id"] = given["administration_id"]
    params["stats_service_id"] = given["service_id"] or 0
    params["stats_kind"] = given["kind"].value
    params["stats_month"] = stats_month
    acknowledged = ceilings.ack_email is not None or ceilings.ack_sms is not None
    shape = _Shape(ceilings.client is not None, acknowledged, record is not None)
    if shape.client or shape.acknowledgements:
        params["counters_now"] = now
    if shape.client:
        params.update(_counter_params("client", ceilings.client))
    if shape.acknowledgements:
        params.update(_counter_params("ack_email", ceilings.ack_email))
        params.update(_counter_params("ack_sms", ceilings.ack_sms))
    if shape.keyed:
        params.update(idempotency.record_params(record))
    compiled = INSERT_NEW[shape]
    try:
        if record is not None and isinstance(on, AsyncSession):
            # A race fails the statement: in a savepoint, the transaction outlives it and
            # answers the retry (`idempotency.once`) instead of being aborted.
            async with on.begin_nested():
                row = await driver.run_one(on, compiled, params)
        else:
            row = await driver.run_one(on, compiled, params)
    except DBAPIError as error:
        if record is not None and idempotency.raced(error):
            return Filing(None, counted=False, locked=True, known=True)
        raise
    assert row is not None  # its main select is one row, whatever was inserted
    filing = Filing(row.id, bool(row.counted), bool(row.locked), bool(row.known))
    if filing.request_id is not None:
        given["id"] = filing.request_id
        if isinstance(on, AsyncSession):
            make_transient_to_detached(request)
            on.add(request)
    return filing


async def id_by_tracking_number(session: AsyncSession, tracking_number: str) -> int | None:
    return await session.scalar(_ID_BY_TRACKING_NUMBER, {"tracking_number": tracking_number})


# --- a change: its event and the request's update in one statement

# What `lifecycle.apply` changed in memory is written by one statement: the event's insert
# rides in the request's update (not two statements of the ORM's flush). One statement per
# shape (the columns an action changes, the event's columns given), built at its first use.
_REQUEST_COLUMNS = tuple(
    column.key for column in inspect(Request).column_attrs if column.key != "id"
)
_REQUEST_COLUMN_SET = frozenset(_REQUEST_COLUMNS)
_EVENT_COLUMNS = tuple(column.key for column in _EVENTS.columns if column.key != "id")
# The view an action's answer shows, (`internal`, `staff`) as `view_extras` takes them: asked
# for before the action (`want_view`), its history and duplicate links ride in the change's
# statement (`RETURNING`), and the view reads them from there instead of a statement of its own.
ViewShape = tuple[bool, bool]
_VIEW_WANTED = "change_view_wanted"  # session.info: the ViewShape the next changes return
_VIEW_RETURNED = "change_view_returned"  # session.info: (request id, ViewShape, the row)
_CHANGES: dict[tuple[tuple[str, ...], tuple[str, ...], ViewShape | None], driver.Compiled] = {}
# What the history's entries read of an event (the new one returned by its insert).
_HISTORY_EVENT_COLUMNS = (
    "id",
    "action",
    "from_state",
    "to_state",
    "actor_role",
    "actor_id",
    "created_at",
    "note",
    "data",
    "public",
)
_HISTORY_ACTOR = _users.alias("history_actor")


def _history_after(new_event: Any, internal: bool) -> Any:
    """`_history(internal)` of request `request_id` once `new_event` (a CTE returning its row)
    is in it: the statement's snapshot holds the others, the CTE's row the new one. The same
    entries, in the same order (by id: the new event's is the last)."""
    earlier = select(*(_events.c[k] for k in _HISTORY_EVENT_COLUMNS)).where(
        _events.c.request_id == bindparam("request_id")
    )
    new = select(*(new_event.c[k] for k in _HISTORY_EVENT_COLUMNS))
    if not internal:
        earlier, new = earlier.where(_events.c.public), new.where(new_event.c.public)
    events = union_all(earlier, new).subquery("history_events")
    return _history_json(events, _HISTORY_ACTOR)


def _change(
    changed: tuple[str, ...], event_keys: tuple[str, ...], view: ViewShape | None = None
) -> driver.Compiled:
    """The shape's statement, compiled at its first use (then no cache key is computed over
    its tree, nor its parameters rebuilt, at every action); with `view`, returning the
    history and duplicate links `view_extras` would read after it."""
    compiled = _CHANGES.get((changed, event_keys, view))
    if compiled is None:
        returned = (
            [_EVENTS.c[k] for k in _HISTORY_EVENT_COLUMNS] if view is not None else [_EVENTS.c.id]
        )
        new_event = (
            insert(_EVENTS)
            .values({k: bindparam(f"event_{k}", type_=_EVENTS.c[k].type) for k in event_keys})
            .returning(*returned)
            .cte("new_event")
        )
        columns: list[Any] = [select(new_event.c.id).scalar_subquery().label("event_id")]
        if view is not None:
            internal, staff = view
            links = list(_duplicate_links(staff))
            columns += [_history_after(new_event, internal).label("history"), *links]
        compiled = _CHANGES[(changed, event_keys, view)] = driver.Compiled(
            update(_REQUESTS)
            .where(_REQUESTS.c.id == bindparam("request_id"))
            .values({k: bindparam(f"new_{k}", type_=_REQUESTS.c[k].type) for k in changed})
            .returning(*columns)
            .add_cte(new_event)
        )
    return compiled


def want_view(session: AsyncSession, internal: bool, staff: bool) -> None:
    """Have the changes of this session return the view `view_extras(..., internal=internal,
    staff=staff)` reads, for the answer of the action about to be taken."""
    session.info[_VIEW_WANTED] = (internal, staff)


async def record_change(session: AsyncSession, request: Request, event: RequestEvent) -> None:
    """Write the request's pending column changes and its new `event` in one statement; both
    stay in the session as they are in the database (the event with its id)."""
    state = inspect(request)
    # An attribute changed since the request was loaded holds its loaded value here: the
    # others have no history to look at.
    pending = state.committed_state
    changes: dict[str, Any] = {}
    for key in _REQUEST_COLUMNS:
        if key in pending:
            # Not `state.attrs[key]`, which builds a view of every attribute at its first use.
            added = get_history(request, key).added
            if added:
                changes[key] = added[0]
    # A search vector left to PostgreSQL's parse (an SQL expression, `search.vector_value`)
    # is no parameter: the flush below writes it.
    parsed = changes.get("search_vector")
    if parsed is not None and not isinstance(parsed, str):
        del changes["search_vector"]
    # Only columns pending (those written now, and any set again to the value it had): once
    # written, the request is as a flush leaves it.
    columns_only = all(key in _REQUEST_COLUMN_SET for key in pending)
    given = event.__dict__
    event_keys = tuple(key for key in _EVENT_COLUMNS if key in given)
    params = {f"new_{key}": value for key, value in changes.items()}
    params.update({f"event_{key}": given[key] for key in event_keys})
    params["request_id"] = request.id
    view: ViewShape | None = session.info.get(_VIEW_WANTED)
    row = await driver.fetch_in(session, _change(tuple(changes), event_keys, view), params)
    assert row is not None  # the request's row is locked by this transaction
    event.id = row.event_id
    if view is not None:  # the view after this change (the latest: any earlier one is stale)
        session.info[_VIEW_RETURNED] = (request.id, view, row)
    else:
        session.info.pop(_VIEW_RETURNED, None)
    if columns_only:
        # Clean, as a flush leaves what it wrote (`set_committed_value` would leave it marked
        # modified: the session then ran a flush of the whole unit of work to find nothing to
        # write, at every action).
        state._commit_all(state.dict, session.sync_session.identity_map)
    else:
        for key, value in changes.items():
            set_committed_value(request, key, value)
    if parsed is not None and not isinstance(parsed, str):
        request.search_vector = parsed
    make_transient_to_detached(event)
    session.add(event)
    if session.new or session.dirty or session.deleted:
        await session.flush()  # whatever else the action changed (rare)


# A message of the conversation, written without the ORM's flush (its unit of work sorted
# and run for one row): the insert compiled once, its id returned.
_MESSAGES = cast(Table, Message.__table__)
_MESSAGE_COLUMNS = ("request_id", "author_role", "author_id", "body", "internal", "created_at")
_INSERT_MESSAGE = driver.Compiled(
    insert(_MESSAGES)
    .values({k: bindparam(k, type_=_MESSAGES.c[k].type) for k in _MESSAGE_COLUMNS})
    .returning(_MESSAGES.c.id)
)


async def add_message(session: AsyncSession, message: Message) -> None:
    """Insert `message` (built with every column of `_MESSAGE_COLUMNS`) in the session's
    transaction; it joins the session as it is in the database, with its id."""
    given = message.__dict__
    row = await driver.fetch_in(session, _INSERT_MESSAGE, {k: given[k] for k in _MESSAGE_COLUMNS})
    assert row is not None
    message.id = row.id
    make_transient_to_detached(message)
    session.add(message)


# --- the request as ORM objects, for actions and the views built on them

# The row locked and read again, so no change is lost (`lifecycle.lock`).
_LOCK = (
    select(Request)
    .where(Request.id == bindparam("id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
# For an action: the row locked as it is read, with its administration and service joined in
# the same statement (the lock covers the request's row only).
_LOCKED_BY_NUMBER = (
    select(Request)
    .where(Request.tracking_number == bindparam("number"))
    .options(
        joinedload(Request.administration, innerjoin=True),
        joinedload(Request.service),
        selectinload(Request.assignee),
        selectinload(Request.operator),
    )
    .with_for_update(of=Request)
    .execution_options(populate_existing=True)
)

# The same rows read by one Core statement compiled at import, the objects built from its row
# as the ORM's loader builds them (`_locked_objects`): an action's first statement, without the
# ORM's loading of five entities (its row processors, eager loaders and identity bookkeeping
# were the largest part of an action's CPU). Each entity's columns, in its mapper's order,
# labelled with a prefix of its own.
_LOCK_ASSIGNEE = _users.alias("lock_assignee")
_LOCK_OPERATOR = _users.alias("lock_operator")
_ADMINISTRATIONS = cast(Table, Administration.__table__)
_SERVICES = cast(Table, Service.__table__)
_LOCKED_ENTITIES: tuple[tuple[str, type[Any], Any], ...] = (
    ("request", Request, _REQUESTS),
    ("administration", Administration, _ADMINISTRATIONS),
    ("service", Service, _SERVICES),
    ("assignee", User, _LOCK_ASSIGNEE),
    ("operator", User, _LOCK_OPERATOR),
)
_LOCKED_KEYS = {
    name: tuple(prop.key for prop in inspect(model).column_attrs)
    for name, model, _ in _LOCKED_ENTITIES
}


def _locked_row(account: bool) -> Any:
    """The lock's statement; with `account`, only if the account `account_id` is active and
    its tokens' version is still `token_version` (no row, and no lock, otherwise), its role
    and administration read too: a staff token's account checked by the action's first
    statement instead of one of its own."""
    # The request's administration, service and staff looked up by key (`_looked_up`), as
    # the detail view reads them: a generic plan the statistics cannot turn into merge joins.
    entities = {
        name: [
            table.c[prop.columns[0].name].label(f"{name}_{prop.key}")
            for prop in inspect(model).column_attrs
        ]
        for name, model, table in _LOCKED_ENTITIES
    }
    looked_up = {
        name: _looked_up(f"locked_{name}", table, _REQUESTS.c[key], *entities[name])
        for name, table, key in (
            ("administration", _ADMINISTRATIONS, "administration_id"),
            ("service", _SERVICES, "service_id"),
            ("assignee", _LOCK_ASSIGNEE, "assignee_id"),
            ("operator", _LOCK_OPERATOR, "operator_id"),
        )
    }
    joined = (
        _REQUESTS.join(looked_up["administration"], true())
        .outerjoin(looked_up["service"], true())
        .outerjoin(looked_up["assignee"], true())
        .outerjoin(looked_up["operator"], true())
    )
    columns = [
        *entities["request"],
        *(column for lateral in looked_up.values() for column in lateral.c),
    ]
    if account:
        joined = joined.join(
            _LOCK_ACCOUNT,
            and_(
                _LOCK_ACCOUNT.c.id == bindparam("account_id"),
                _LOCK_ACCOUNT.c.active,
                _LOCK_ACCOUNT.c.token_version == bindparam("token_version"),
            ),
        )
        columns += [
            _LOCK_ACCOUNT.c.role.label("account_role"),
            _LOCK_ACCOUNT.c.administration_id.label("account_administration_id"),
        ]
    return (
        select(*columns)
        .select_from(joined)
        .where(_REQUESTS.c.tracking_number == bindparam("number"))
        .with_for_update(of=_REQUESTS)
    )


_LOCK_ACCOUNT = _users.alias("lock_account")
_LOCKED_ROW = {account: driver.Compiled(_locked_row(account)) for account in (False, True)}


def _persistent(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> Any:
    """The session's object of this row if it has one, else one built from `values` (every
    column) and joined to the session as loaded."""
    key = model.__mapper__.identity_key_from_primary_key((values["id"],))
    found = session.identity_map.get(key)
    if found is not None:
        return found
    instance = loaded(model, values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


async def _locked_by_number(
    session: AsyncSession, number: str, account: tuple[int, int] | None = None
) -> tuple[Request, Any] | None:
    """`_LOCKED_BY_NUMBER`'s request and its four related rows as persistent objects, in
    one compiled statement, with the rest of its row (the account's columns, if any). A
    request the session holds already is read again by the ORM's statement, which refreshes
    it (`populate_existing`)."""
    params: dict[str, Any] = {"number": number}
    if account is not None:
        params["account_id"], params["token_version"] = account
    row = await driver.fetch_in(session, _LOCKED_ROW[account is not None], params)
    if row is None:
        return None
    values = iter(row)
    entities = {name: dict(zip(keys, values, strict=False)) for name, keys in _LOCKED_KEYS.items()}
    rest = tuple(values)
    request_values = entities.pop("request")
    key = Request.__mapper__.identity_key_from_primary_key((request_values["id"],))
    if key in session.identity_map:
        found = (await session.scalars(_LOCKED_BY_NUMBER, {"number": number})).unique().one()
        return found, rest
    request = loaded(Request, request_values)
    for name, model, _ in _LOCKED_ENTITIES[1:]:
        related = entities[name]
        instance = None if related["id"] is None else _persistent(session, model, related)
        set_committed_value(request, name, instance)
    make_transient_to_detached(request)
    session.add(request)
    return request, rest


async def locked_with_account(
    session: AsyncSession, number: str, account_id: int, token_version: int
) -> tuple[Request, str, int | None] | None:
    """The request `number` locked and read as `by_tracking_number(..., for_update=True)`
    reads it, with the `role` and `administration_id` of the account `account_id`, if that
    account is active and its tokens' version is `token_version`; None (nothing locked)
    when there is no such request or no such account."""
    found = await _locked_by_number(session, number, (account_id, token_version))
    if found is None:
        return None
    request, (role, administration_id) = found
    return request, role, administration_id


# --- after an action: what the view of the ORM-loaded request adds (built once, at import)


def _view_extras(internal: bool, staff: bool) -> Select[Any]:
    """The history (as the detail view's JSON array) and, for staff, the duplicate links of
    request `request_id`: one statement on its primary key."""
    return select(_history(internal).label("history"), *_duplicate_links(staff)).where(
        Request.id == bindparam("request_id")
    )


_VIEW_EXTRAS = {
    (internal, staff): driver.Compiled(_view_extras(internal, staff))
    for internal in (False, True)
    for staff in (False, True)
}
# Without a lock, for the views: the request and the rows they name, selectin-loaded.
_BY_NUMBER = (
    select(Request)
    .where(Request.tracking_number == bindparam("number"))
    .options(
        selectinload(Request.administration),
        selectinload(Request.service),
        selectinload(Request.assignee),
        selectinload(Request.operator),
    )
)


async def lock(session: AsyncSession, request_id: int) -> Request:
    """The request, its row locked for this transaction and its attributes read again."""
    return (await session.scalars(_LOCK, {"id": request_id})).one()


async def by_tracking_number(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> Request | None:
    """The request `number` (a normalized tracking number) with its administration, service,
    assignee and operator; `for_update` locks its row as it is read."""
    if for_update:
        found = await _locked_by_number(session, number)
        return None if found is None else found[0]
    stmt = _BY_NUMBER
    return (await session.scalars(stmt, {"number": number})).unique().one_or_none()


def _with_names(internal: bool) -> tuple[Select[RequestEvent, str], Select[Message, str]]:
    """The history and the conversation, oldest first, with their authors' names; without
    `internal`, only what the public may read."""
    events = (
        select(RequestEvent, User.full_name)
        .outerjoin(User, User.id == RequestEvent.actor_id)
        .where(RequestEvent.request_id == bindparam("request_id"))
        .order_by(RequestEvent.id)
    )
    messages = (
        select(Message, User.full_name)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.request_id == bindparam("request_id"))
        .order_by(Message.id)
    )
    if not internal:
        events = events.where(RequestEvent.public)
        messages = messages.where(Message.internal.is_(False))
    return events, messages


_EVENTS_AND_MESSAGES = {internal: _with_names(internal) for internal in (False, True)}


async def messages(
    session: AsyncSession, request_id: int, *, internal: bool
) -> list[tuple[Message, str | None]]:
    """The conversation with each author's name (internal notes only for `internal`)."""
    stmt = _EVENTS_AND_MESSAGES[internal][1]
    found = await session.execute(stmt, {"request_id": request_id})
    return [(message, name) for message, name in found.all()]


_DUPLICATE_CANDIDATE = select(Request.id, Request.administration_id, Request.duplicate_of_id).where(
    Request.tracking_number == bindparam("number")
)


async def duplicate_candidate(
    session: AsyncSession, number: str
) -> Row[int, int, int | None] | None:
    """The `id`, `administration_id` and `duplicate_of_id` of the request `number`, if any."""
    return (await session.execute(_DUPLICATE_CANDIDATE, {"number": number})).one_or_none()


# Identity-map look-ups: no statement when the row is already in the session.


async def administration(session: AsyncSession, administration_id: int) -> Administration:
    return await session.get_one(Administration, administration_id)


async def administration_or_none(
    session: AsyncSession, administration_id: int
) -> Administration | None:
    return await session.get(Administration, administration_id)


async def service(session: AsyncSession, service_id: int) -> Service | None:
    return await session.get(Service, service_id)


async def user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def view_extras(
    session: AsyncSession, request_id: int, *, internal: bool, staff: bool
) -> Row[Any]:
    """`history` (all events for `internal`, else the public ones) and `duplicate_of` and
    `duplicates` (staff only; NULL otherwise) of a request loaded as an ORM object. On the
    session, so that what the action added is flushed first."""
    returned = session.info.pop(_VIEW_RETURNED, None)
    if returned is not None and returned[:2] == (request_id, (internal, staff)):
        return cast(Row[Any], returned[2])  # returned by the change: no statement
    row = await driver.fetch_in(session, _VIEW_EXTRAS[internal, staff], {"request_id": request_id})
    assert row is not None  # its main select has no FROM: one row
    return cast(Row[Any], row)
