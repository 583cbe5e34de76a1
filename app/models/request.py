"""Requests (complaints, observations, suggestions), their append-only history and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.base import Base, CreatedAt, EnumString, enum_check, one_of
from app.models.catalogue import Administration, Service
from app.models.domains import (
    ESCALATION_LEVEL,
    LATITUDE,
    LONGITUDE,
    PERSON_TYPE,
    RATING_SCORE,
    REJECTION_REASON,
    REQUEST_CHANNEL,
    REQUEST_KIND,
    REQUEST_LANGUAGE,
    REQUEST_OUTCOME,
    REQUEST_STATE,
    ROLE,
)
from app.models.enums import Kind, PersonType, Role, State
from app.models.user import User


class Request(CreatedAt, Base):
    __tablename__ = "requests"
    __table_args__ = (
        # The values of single columns are restricted by their types (`app.models.domains`).
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates"),
        # A request nobody can track is allowed only when keyed in from paper or a phone call
        # (or once anonymized: nobody tracks it any more).
        CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL OR "
            f"{one_of('channel', ('mail', 'call_center'))} OR anonymized_at IS NOT NULL",
            name="contact",
        ),
        # Every index here is opened, locked and prepared by each filing's statement (a partial
        # one too, when the new row is not in it): each serves a query no other index serves
        # as well at national scale (tests/test_index_plans.py holds their plans;
        # bench/index_plans.py prints them on a large seed). Besides the primary key, the
        # unique `tracking_number` (every look-up by number, the filing's ON CONFLICT),
        # `public_id` (Open311's look-up) and `receipt_code` (the receipt check).
        #
        # The back-office queue: one administration, sorted by due date (default) or creation
        # (and the CSV export of one administration, by creation).
        Index("ix_requests_queue_due", "administration_id", "due_at", "id"),
        Index("ix_requests_queue_created", "administration_id", "created_at", "id"),
        # National lists across administrations, by date of registration (the national admins'
        # queue, the CSV export), and Open311's, by date of the request itself (a letter's
        # arrival), with a range of 90 days at most.
        Index("ix_requests_created", "created_at", "id"),
        Index("ix_requests_received", "received_at", "id"),
        # A state filter of one administration's queue (awaiting the citizen, submitted, …):
        # its sort index would walk its closed requests first.
        Index("ix_requests_admin_state", "administration_id", "state"),
        # The queue's `assignee` filter (`me`, a staff id): a new agent's requests are none of
        # their administration's many. Users are never deleted (deactivated): no foreign-key
        # check needs it.
        Index(
            "ix_requests_assignee", "assignee_id", postgresql_where=text("assignee_id IS NOT NULL")
        ),
        # A service is deleted only when no request names it (`catalogue.service_in_use`, then
        # the foreign key's check); Open311's and the queue's service filters.
        Index("ix_requests_service", "service_id"),
        # The duplicates of a request: its detail view for staff, and their citizens told of its
        # answer.
        Index(
            "ix_requests_duplicate_of",
            "duplicate_of_id",
            postgresql_where=text("duplicate_of_id IS NOT NULL"),
        ),
        # The auto-close task scans answered (or acknowledged) requests by answer date only;
        # the reopen reminders read the answered ones.
        Index(
            "ix_requests_answered_at",
            "answered_at",
            postgresql_where=text("state IN ('answered', 'acknowledged')"),
        ),
        # The queue's words (`q`): subject, description, name.
        Index("ix_requests_search", "search_vector", postgresql_using="gin"),
        # The clock's work across administrations: warnings before the due date and escalations
        # after it, over the requests whose clock runs (few, beside all the others); the live
        # overdue counts (dashboard, metrics).
        Index(
            "ix_requests_running_due",
            "due_at",
            "id",
            postgresql_where=text("state IN ('submitted', 'in_progress')"),
        ),
        # The escalated requests (few): an administration's (level 1: its supervisors), the
        # `escalated` filter, the live counts, and the clock's second escalation.
        Index(
            "ix_requests_escalated",
            "escalation_level",
            "administration_id",
            "due_at",
            "id",
            postgresql_where=text("escalation_level > 0"),
        ),
        # The national admins' queue across administrations by due date (their default sort).
        Index("ix_requests_due", "due_at", "id"),
        # The national admins' list of one escalation level, in due order straight from the
        # index: escalated rows stay escalated once answered and closed, so over the years they
        # number in the hundred thousands, too many to read and sort per page. (Dropping it
        # saved 0.5% of PostgreSQL's instructions per filing; `bench/filing_callgrind.py`.)
        Index(
            "ix_requests_national",
            "escalation_level",
            "due_at",
            "id",
            postgresql_where=text("escalation_level > 0"),
        ),
        # The retention purge scans closed and rejected requests not yet anonymized by date.
        Index(
            "ix_requests_retention",
            "closed_at",
            postgresql_where=text("state IN ('closed', 'rejected') AND anonymized_at IS NULL"),
        ),
        # A citizen's own requests, newest first, by the contact they verified (one comparison).
        Index("ix_requests_email_lower", text("lower(email)"), "created_at", "id"),
        Index("ix_requests_phone", "phone", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[Kind] = mapped_column(EnumString(Kind, domain=REQUEST_KIND))
    state: Mapped[State] = mapped_column(EnumString(State, domain=REQUEST_STATE))
    version: Mapped[int] = mapped_column(Integer, default=1)

    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    language: Mapped[str] = mapped_column(REQUEST_LANGUAGE)
    channel: Mapped[str] = mapped_column(REQUEST_CHANNEL)

    # The complainant (personal data, law 09-08: shown only to the citizen and the staff entitled).
    person_type: Mapped[str] = mapped_column(PERSON_TYPE, default=PersonType.natural)
    full_name: Mapped[str] = mapped_column(String(200))
    organization_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    national_id: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))

    # Where the matter happened, when the client says (optional: a complaint concerns an
    # administration, not always a place). Personal data as much as the address of a home.
    address: Mapped[str | None] = mapped_column(String(250))
    latitude: Mapped[float | None] = mapped_column(LATITUDE)
    longitude: Mapped[float | None] = mapped_column(LONGITUDE)

    # Provenance: who keyed it in, and when the letter or call actually arrived.
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime]

    # Clocks. `due_at` moves forward by the time spent awaiting the citizen.
    clock_started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    paused_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # Deadlines that bite: 0 on time; 1 past due (the administration's supervisors); 2 still
    # unanswered `ESCALATION_DAYS` later, or a declined transfer (the national admins).
    escalation_level: Mapped[int] = mapped_column(ESCALATION_LEVEL, default=0, server_default="0")
    escalated_at: Mapped[datetime | None]
    # The administration the last transfer came from: the receiving administration may decline
    # the transfer (to the national admins) while it is set; cleared by that decline.
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"))
    # When the assignee and supervisors were warned that `due_at` is `DUE_SOON_DAYS` away.
    due_soon_alerted_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(REJECTION_REASON)
    # `mark_duplicate`: the original this request repeats (same administration); it is
    # rejected with reason `duplicate`, and its citizen is told when the original is answered.
    duplicate_of_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("requests.id"))

    # First answer, for processing-time statistics (a reopened request is answered again).
    first_answered_at: Mapped[datetime | None]
    # Information requests (law 31-13): urgency, the one extension, the outcome.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Which contact a one-time code proved at filing ('email' or 'phone'), if any.
    verified_contact: Mapped[str | None] = mapped_column(String(8))
    extension_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outcome: Mapped[str | None] = mapped_column(REQUEST_OUTCOME)
    refusal_ground: Mapped[str | None] = mapped_column(Text)
    # Open311: a public id that is not the tracking number (complaints are private).
    public_id: Mapped[str | None] = mapped_column(String(24), unique=True)

    rating_score: Mapped[int | None] = mapped_column(RATING_SCORE)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    # The survey's dimensions answered with the rating: {"speed": 1-5, "clarity": ..., ...}.
    rating_dimensions: Mapped[dict[str, int] | None] = mapped_column(JSONB)
    rated_at: Mapped[datetime | None]

    # Printed on the acknowledgement receipt; anyone can check a receipt with it.
    receipt_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    reopen_reminder_sent_at: Mapped[datetime | None]
    # When the citizen last appealed: a complaint's answer is appealed once (a dismissal is
    # final); a new answer, after the appeal was sent back, may be appealed again.
    appealed_at: Mapped[datetime | None]
    # Set once personal data has been removed after the retention period (law 09-08).
    anonymized_at: Mapped[datetime | None]

    updated_at: Mapped[datetime]
    search_text: Mapped[str] = mapped_column(Text, default="")
    # `to_tsvector('simple', search_text)`, written by the application (`services.search`).
    search_vector: Mapped[str] = mapped_column(TSVECTOR)

    administration: Mapped[Administration] = relationship(
        foreign_keys=[administration_id], lazy="raise"
    )
    service: Mapped[Service | None] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
    operator: Mapped[User | None] = relationship(foreign_keys=[operator_id], lazy="raise")

    @validates("kind", "state")
    def _member(self, key: str, value: str) -> Kind | State:
        """A label assigned as a plain string is held as its member, as a loaded row's is."""
        return Kind(value) if key == "kind" else State(value)


class RequestEvent(CreatedAt, Base):
    """One line of a request's append-only history: who did what, from which state to which."""

    __tablename__ = "request_events"
    __table_args__ = (Index("ix_request_events_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("requests.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[State | None] = mapped_column(EnumString(State))
    to_state: Mapped[State] = mapped_column(EnumString(State))
    actor_role: Mapped[str] = mapped_column(ROLE)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # Internal events (notes, assignments) are never shown to the citizen.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Message(CreatedAt, Base):
    """The conversation between the citizen and the administration, plus staff-only notes."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(enum_check("author_role", Role), name="author_role"),
        Index("ix_messages_request", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("requests.id"))
    author_role: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
