"""The lifecycle of every kind of request, as data, and the one function that applies it.

Each kind has a table of transitions `(from states, action, to state, roles, guard)`. Every
change of a request — its state, its clocks, its assignee, its rating, a message — goes through
`apply`, which locks the row, checks the actor and the guard, runs the transition's effect,
appends a history event and bumps the version, all in the caller's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.actors import Actor
from app.errors import (
    ActionNotForRole,
    AlreadyAnonymized,
    AlreadyRated,
    AppealAlreadyMade,
    AppealNotOpen,
    ContactAlreadySet,
    ContactNotAllowed,
    DeadlineNotReached,
    ExtensionAlreadyUsed,
    FieldError,
    NotAnswered,
    NotTransferred,
    PreconditionFailed,
    ReopenLimitReached,
    ReopenWindowExpired,
    ReopenWindowOpen,
    RequestNotFound,
    RetentionRunning,
    TransitionNotAllowed,
    UrgentNotExtensible,
    ValidationFailed,
)
from app.models.enums import CLOCK_RUNNING, Action, Kind, Outcome, RejectionReason, Role, State
from app.models.request import Request, RequestEvent
from app.repositories import requests as repository
from app.services.visibility import can_see

S = State
A = Action
R = Role


@dataclass(frozen=True)
class Policy:
    """Deadlines and windows in force for a request (service, then administration, then default)."""

    answer_days: int
    reopen_window_days: int
    max_reopens: int
    # Days personal data is kept after closing or rejection (law 09-08); the purge sets it.
    retention_days: int | None = None
    # Days after the last answer a complaint may be appealed to the national level.
    appeal_window_days: int = 20
    # Deadlines that bite (`DUE_SOON_DAYS`, `ESCALATION_DAYS`): the warning before the due
    # date, and the days past it at which an escalation goes up to the national admins.
    due_soon_days: int = 5
    escalation_days: int = 15


@dataclass(frozen=True)
class ActionInput:
    """What an action carries. The service layer resolves codes to ids before calling `apply`."""

    message: str | None = None
    reason: str | None = None
    reason_code: RejectionReason | None = None
    assignee_id: int | None = None
    administration_id: int | None = None
    service_id: int | None = None
    target_answer_days: int | None = None
    days: int | None = None
    score: int | None = None
    comment: str | None = None
    dimensions: dict[str, int] | None = None  # the survey's answers given with a rating
    email: str | None = None
    phone: str | None = None
    full_name: str | None = None
    outcome: Outcome | None = None
    refusal_ground: str | None = None
    decision: str | None = None  # `decide_appeal` on a complaint: dismissed or sent_back
    instructions: str | None = None  # its message to the administration (never the citizen's)
    duplicate_of_id: int | None = None  # `mark_duplicate`: the original, resolved and checked
    expected_at: datetime | None = None  # `interim_reply`: when the answer should come
    data: dict[str, Any] = field(default_factory=dict)  # extra facts kept on the event


@dataclass(frozen=True)
class Context:
    request: Request
    actor: Actor
    input: ActionInput
    policy: Policy
    now: datetime


Guard = Callable[[Context], None]  # raises a TransitionNotAllowed subclass to refuse
Effect = Callable[[Context], None]


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State | None  # None: the request stays in its state
    roles: frozenset[Role]
    guard: Guard | None = None
    effect: Effect | None = None
    requires: tuple[str, ...] = ()
    public: bool = True  # False: staff-only event, never in the citizen's history
    summary: str = ""
    # Chooses the target from the input (`decide_appeal` on a complaint); `target` is the default.
    route: Callable[[Context], State] | None = None
    # Roles that take this transition only through another action (the citizen resumes a
    # request by replying): never offered to them as a button of its own.
    implicit_for: frozenset[Role] = frozenset()


def T(
    action: Action,
    sources: Iterable[State],
    target: State | None,
    roles: Iterable[Role],
    **kwargs: Any,
) -> Transition:
    if "implicit_for" in kwargs:
        kwargs["implicit_for"] = frozenset(kwargs["implicit_for"])
    return Transition(action, frozenset(sources), target, frozenset(roles), **kwargs)


# --- guards


def _reopen_deadline(ctx: Context) -> datetime | None:
    answered = ctx.request.answered_at
    return answered + timedelta(days=ctx.policy.reopen_window_days) if answered else None


def guard_reopen(ctx: Context) -> None:
    deadline = _reopen_deadline(ctx)
    if deadline is None or ctx.now > deadline:
        raise ReopenWindowExpired(params={"days": ctx.policy.reopen_window_days})
    if ctx.request.reopen_count >= ctx.policy.max_reopens:
        raise ReopenLimitReached(params={"count": ctx.request.reopen_count})


def guard_rate(ctx: Context) -> None:
    if ctx.request.answered_at is None:
        raise NotAnswered()
    if ctx.request.rating_score is not None:
        raise AlreadyRated()


def guard_window_passed(ctx: Context) -> None:
    deadline = _reopen_deadline(ctx)
    if deadline is not None and ctx.now <= deadline:
        raise ReopenWindowOpen()


def guard_paper_or_phone(ctx: Context) -> None:
    if ctx.request.channel not in ("mail", "call_center"):
        raise ContactNotAllowed()


def guard_first_contact(ctx: Context) -> None:
    # A contact opens the request to whoever holds it: replacing one locks its owner out, so
    # that takes a supervisor's decision (and the owner is told), never an operator's.
    guard_paper_or_phone(ctx)
    if ctx.request.email or ctx.request.phone:
        raise ContactAlreadySet()


def guard_extension_unused(ctx: Context) -> None:
    # Law 31-13: the 20-day extension serves ordinary requests; an urgent one (3 days) exists
    # precisely because the answer cannot wait.
    if ctx.request.urgent:
        raise UrgentNotExtensible()
    if ctx.request.extension_count >= 1:
        raise ExtensionAlreadyUsed()


def guard_appeal_after_answer(ctx: Context) -> None:
    deadline = _reopen_deadline(ctx)  # the appeal window, for information requests
    if ctx.request.outcome == Outcome.granted or deadline is None or ctx.now > deadline:
        raise AppealNotOpen(params={"days": ctx.policy.reopen_window_days})


def guard_appeal_silence(ctx: Context) -> None:
    # Silence past the deadline counts as a refusal (law 31-13): an appeal is open after it.
    due = ctx.request.due_at
    if ctx.now <= due or ctx.now > due + timedelta(days=ctx.policy.reopen_window_days):
        raise AppealNotOpen(params={"days": ctx.policy.reopen_window_days})


def guard_complaint_appeal(ctx: Context) -> None:
    # CPGRAMS: recourse above the administration after a poor answer (rated 1-2) or once
    # reopening is exhausted, within the appeal window after the last answer.
    request, policy = ctx.request, ctx.policy
    answered = request.answered_at
    poor = request.rating_score is not None and request.rating_score <= 2
    exhausted = request.reopen_count >= policy.max_reopens
    if (
        answered is None
        or ctx.now > answered + timedelta(days=policy.appeal_window_days)
        or not (poor or exhausted)
    ):
        raise AppealNotOpen(params={"days": policy.appeal_window_days})
    if request.appealed_at is not None and request.appealed_at >= answered:
        raise AppealAlreadyMade()


def guard_declinable(ctx: Context) -> None:
    # National oversight: a transfer the receiving administration refuses goes up to the
    # national admins, who route it; a request filed with it directly is its own to reject.
    request = ctx.request
    if (
        request.transferred_from_id is None
        or ctx.actor.administration_id != request.administration_id
    ):
        raise NotTransferred()


def guard_retention_passed(ctx: Context) -> None:
    request, days = ctx.request, ctx.policy.retention_days
    if request.anonymized_at is not None:
        raise AlreadyAnonymized()
    if days is None or request.closed_at is None or ctx.now <= request.closed_at + timedelta(days):
        raise RetentionRunning(params={"days": days if days is not None else "—"})


MAX_ESCALATION = 2


def guard_due_soon(ctx: Context) -> None:
    request, now = ctx.request, ctx.now
    soon = now + timedelta(days=ctx.policy.due_soon_days)
    if request.due_soon_alerted_at is not None or not now < request.due_at <= soon:
        raise DeadlineNotReached()


def guard_escalation_due(ctx: Context) -> None:
    request, now = ctx.request, ctx.now
    level = request.escalation_level or 0
    if request.due_at >= now or level >= MAX_ESCALATION:
        raise DeadlineNotReached()
    if level >= 1 and now <= request.due_at + timedelta(days=ctx.policy.escalation_days):
        raise DeadlineNotReached()


guard_due_soon.__doc__ = "The due date is less than `DUE_SOON_DAYS` away, and not warned of yet."
guard_escalation_due.__doc__ = (
    "Past its due date (level 1), or still unanswered `ESCALATION_DAYS` after it (level 2)."
)
guard_retention_passed.__doc__ = (
    "Closed or rejected more than the retention period ago, and not anonymized yet."
)
guard_extension_unused.__doc__ = (
    "Not an urgent request (law 31-13), and the deadline not extended yet (once only)."
)
guard_appeal_after_answer.__doc__ = "Refused or partly granted, within the appeal window."
guard_appeal_silence.__doc__ = "The deadline passed without an answer, within the appeal window."
guard_complaint_appeal.__doc__ = (
    "Answered, rated 1-2 or reopened as often as allowed, within the appeal window."
)
guard_declinable.__doc__ = (
    "It arrived by a transfer not declined yet, and the actor is of the receiving administration."
)
guard_reopen.__doc__ = "Within the reopen window after the answer, and under the reopen cap."
guard_rate.__doc__ = "Answered at least once, and not rated yet."
guard_window_passed.__doc__ = "The reopen window after the answer has passed."
guard_paper_or_phone.__doc__ = "The request came by mail or through the call centre."
guard_first_contact.__doc__ = "A mail or call-centre request that has no email or phone yet."


# --- effects


def effect_start(ctx: Context) -> None:
    if ctx.request.assignee_id is None and ctx.actor.role is R.agent:
        ctx.request.assignee_id = ctx.actor.user_id


def effect_assign(ctx: Context) -> None:
    ctx.request.assignee_id = ctx.input.assignee_id


def restart_deadline_alerts(request: Request) -> None:
    """A new deadline (transfer, reopening, appeal, a decision sending it back): a new
    warning before it, and no escalation until it passes. The history keeps the past ones."""
    request.escalation_level = 0
    request.escalated_at = None
    request.due_soon_alerted_at = None


def effect_transfer(ctx: Context) -> None:
    # A transfer restarts the legal clock at the receiving administration.
    request, data = ctx.request, ctx.input
    assert data.administration_id is not None
    assert data.target_answer_days is not None
    # Where it came from, so the receiving administration may decline it (a national admin
    # routing a declined request back to the same administration leaves nothing to decline).
    moved = request.administration_id != data.administration_id
    request.transferred_from_id = request.administration_id if moved else None
    # A new clock at the new administration: escalation from the old deadline no longer holds
    # (a national admin routing a declined transfer takes it out of their queue).
    restart_deadline_alerts(request)
    request.administration_id = data.administration_id
    request.service_id = data.service_id
    request.assignee_id = None
    request.paused_at = None
    request.clock_started_at = ctx.now
    request.due_at = ctx.now + timedelta(days=data.target_answer_days)


def effect_decline_transfer(ctx: Context) -> None:
    # Up to the national admins' queue (level 2) until one of them routes it with `transfer`;
    # it stays with the declining administration meanwhile, unassigned, its clock running.
    request = ctx.request
    request.transferred_from_id = None
    request.assignee_id = None
    request.escalation_level = 2
    request.escalated_at = ctx.now


def effect_pause(ctx: Context) -> None:
    ctx.request.paused_at = ctx.now


def effect_resume(ctx: Context) -> None:
    # The clock does not run while the administration waits for the citizen.
    request = ctx.request
    if request.paused_at is not None:
        request.due_at += ctx.now - request.paused_at
        request.paused_at = None


def effect_answer(ctx: Context) -> None:
    ctx.request.answered_at = ctx.now
    ctx.request.first_answered_at = ctx.request.first_answered_at or ctx.now
    ctx.request.reopen_reminder_sent_at = None  # a new answer opens a new reopen window
    if ctx.input.outcome is not None:
        ctx.request.outcome = ctx.input.outcome.value
        ctx.request.refusal_ground = ctx.input.refusal_ground


def effect_reject(ctx: Context) -> None:
    ctx.request.first_answered_at = ctx.request.first_answered_at or ctx.now  # handled
    ctx.request.rejection_reason = ctx.input.reason_code
    ctx.request.closed_at = ctx.now
    ctx.request.paused_at = None


def effect_mark_duplicate(ctx: Context) -> None:
    # A duplicate ends as a rejection for reason `duplicate` (the code and final state the
    # statistics and the retention purge already know), linked to the original it repeats.
    effect_reject(ctx)
    ctx.request.rejection_reason = RejectionReason.duplicate.value
    ctx.request.duplicate_of_id = ctx.input.duplicate_of_id


def effect_close(ctx: Context) -> None:
    ctx.request.closed_at = ctx.now
    ctx.request.paused_at = None


def effect_reopen(ctx: Context) -> None:
    restart_deadline_alerts(ctx.request)
    ctx.request.reopen_count += 1
    ctx.request.closed_at = None
    ctx.request.due_at = ctx.now + timedelta(days=ctx.policy.answer_days)


def effect_rate(ctx: Context) -> None:
    ctx.request.rating_score = ctx.input.score
    ctx.request.rating_comment = ctx.input.comment
    ctx.request.rating_dimensions = ctx.input.dimensions or None
    ctx.request.rated_at = ctx.now


def effect_attach_contact(ctx: Context) -> None:
    # ACAPS: a paper-mail complainant can later follow the request online.
    if ctx.input.email:
        ctx.request.email = ctx.input.email
    if ctx.input.phone:
        ctx.request.phone = ctx.input.phone


def effect_rectify(ctx: Context) -> None:
    # Law 09-08: the citizen corrects their own data, on every request bearing it.
    if ctx.input.full_name:
        ctx.request.full_name = ctx.input.full_name
    if ctx.input.email:
        ctx.request.email = ctx.input.email
    if ctx.input.phone:
        ctx.request.phone = ctx.input.phone


def effect_extend(ctx: Context) -> None:
    assert ctx.input.days is not None
    ctx.request.due_at += timedelta(days=ctx.input.days)
    ctx.request.extension_count += 1
    # A later due date gets its own warning; an escalation already raised stays (a deadline
    # was missed all the same), and level 2 counts from the new due date.
    ctx.request.due_soon_alerted_at = None


def effect_appeal(ctx: Context) -> None:
    # The body's head must decide again: a new clock of the same length.
    restart_deadline_alerts(ctx.request)
    ctx.request.due_at = ctx.now + timedelta(days=ctx.policy.answer_days)


def effect_complaint_appeal(ctx: Context) -> None:
    # One appeal per answer: the national admins' decision on it is final.
    ctx.request.appealed_at = ctx.now


DECISIONS = ("dismissed", "sent_back")


def route_decision(ctx: Context) -> State:
    return S.in_progress if ctx.input.decision == "sent_back" else S.closed


def effect_decide_complaint_appeal(ctx: Context) -> None:
    # Checked before anything changes: a refusal leaves the request as it was.
    data = ctx.input
    if data.decision == "sent_back":
        missing = [
            FieldError(name, "required")
            for name, value in (("days", data.days), ("message", data.instructions))
            if not value
        ]
        if missing:
            raise ValidationFailed(errors=missing)
        assert data.days is not None
        # Back at the administration with the national admins' instructions and a new deadline.
        ctx.request.closed_at = None
        ctx.request.paused_at = None
        restart_deadline_alerts(ctx.request)
        ctx.request.due_at = ctx.now + timedelta(days=data.days)
    else:
        ctx.request.closed_at = ctx.now


def effect_alert_due_soon(ctx: Context) -> None:
    ctx.request.due_soon_alerted_at = ctx.now


def effect_escalate(ctx: Context) -> None:
    # One level at a time: a request found late past both marks goes through level 1 (its
    # supervisors told) and then level 2 (the national admins), two events.
    ctx.request.escalation_level = (ctx.request.escalation_level or 0) + 1
    ctx.request.escalated_at = ctx.now


def effect_interim_reply(ctx: Context) -> None:
    # Tells the citizen when to expect the answer; neither `due_at` nor the escalation moves.
    expected = ctx.input.expected_at
    if expected is None or expected <= ctx.now:
        raise ValidationFailed(errors=[FieldError("expected_at", "not_in_future")])


def effect_anonymize(ctx: Context) -> None:
    # The complainant's identity and words go; kind, service, administration, dates, state,
    # rating score, reopen count and the receipt code (no personal data) stay for statistics
    # and receipt checks. Messages, notes, documents, outbox and attributes marked personal
    # live in other rows: `app.services.privacy` clears them in the same transaction.
    request = ctx.request
    request.full_name = ""
    request.organization_name = None
    request.email = None
    request.phone = None
    request.national_id = None
    request.country = None
    request.subject = ""
    request.description = ""
    request.address = None
    request.latitude = None
    request.longitude = None
    request.rating_comment = None
    request.anonymized_at = ctx.now


# --- the tables

FINAL = (S.closed, S.rejected)


def _clock_work(running: Iterable[State]) -> tuple[Transition, ...]:
    """The system's deadline work, in the states where the clock runs (staff-only events)."""
    return (
        T(
            A.alert_due_soon,
            running,
            None,
            [R.system],
            guard=guard_due_soon,
            effect=effect_alert_due_soon,
            public=False,
            summary="The assignee and the supervisors are warned `DUE_SOON_DAYS` before the due "
            "date, once per due date.",
        ),
        T(
            A.escalate,
            running,
            None,
            [R.system],
            guard=guard_escalation_due,
            effect=effect_escalate,
            public=False,
            summary="Past its due date: level 1, the administration's supervisors are told; "
            "still unanswered `ESCALATION_DAYS` later: level 2, the national admins.",
        ),
    )


def _interim_reply() -> Transition:
    return T(
        A.interim_reply,
        OPEN,
        None,
        STAFF,
        effect=effect_interim_reply,
        requires=("message", "expected_at"),
        summary="Tell the citizen the answer will be late and when to expect it (`message`, "
        "`expected_at` in the future); neither the due date nor the escalation changes.",
    )


def _anonymize() -> Transition:
    return T(
        A.anonymize,
        FINAL,
        None,
        [R.system],
        guard=guard_retention_passed,
        effect=effect_anonymize,
        summary="Personal data removed once the retention period after closing has passed.",
    )


STAFF = (R.agent, R.supervisor)
# Roles that take the transitions of another: an administration's own system, acting with its
# integration key, takes exactly an agent's actions (never a supervisor's or a national
# admin's), recorded as its own (`actor_role` `integration`, the key in the event's data).
ACTS_AS: dict[Role, Role] = {R.integration: R.agent}


def table_role(role: Role) -> Role:
    """The role whose transitions `role` takes in the tables."""
    return ACTS_AS.get(role, role)


def roles_taking(transition: Transition) -> frozenset[Role]:
    """Every role that may take `transition`: its own, and those acting as one of them."""
    return transition.roles | {role for role, acts in ACTS_AS.items() if acts in transition.roles}


OPEN = (S.submitted, S.in_progress, S.awaiting_citizen)
# In every state of every kind, through `PATCH /api/v1/citizens/me` only (never a button).
RECTIFY = T(
    A.rectify,
    list(S),
    None,
    [R.citizen],
    effect=effect_rectify,
    implicit_for=[R.citizen],
    summary="The citizen corrects their name, or a contact they proved they hold; the "
    "previous contact is told.",
)

COMPLAINT: tuple[Transition, ...] = (
    T(
        A.start,
        [S.submitted],
        S.in_progress,
        STAFF,
        effect=effect_start,
        summary="Take the complaint in hand; an agent becomes its assignee.",
    ),
    T(
        A.assign,
        OPEN,
        None,
        [R.supervisor],
        effect=effect_assign,
        requires=("assignee",),
        public=False,
        summary="Give the complaint to a member of staff.",
    ),
    T(
        A.transfer,
        OPEN,
        S.submitted,
        [R.supervisor, R.national_admin],
        effect=effect_transfer,
        requires=("administration", "reason"),
        summary="Send it to the administration concerned; its clock restarts there "
        "(national admins: any open request, from any administration).",
    ),
    T(
        A.decline_transfer,
        [S.submitted],
        None,
        STAFF,
        guard=guard_declinable,
        effect=effect_decline_transfer,
        requires=("reason",),
        public=False,
        summary="The receiving administration refuses a transfer, with a reason: it goes to the "
        "national admins' queue (escalation level 2) until one of them routes it.",
    ),
    T(
        A.request_info,
        [S.in_progress],
        S.awaiting_citizen,
        STAFF,
        effect=effect_pause,
        requires=("message",),
        summary="Ask the citizen for information; the clock pauses.",
    ),
    T(
        A.resume,
        [S.awaiting_citizen],
        S.in_progress,
        (*STAFF, R.citizen),
        effect=effect_resume,
        implicit_for=[R.citizen],
        summary="Resume work; done by staff, or by the citizen's reply.",
    ),
    T(
        A.answer,
        [S.in_progress],
        S.answered,
        STAFF,
        effect=effect_answer,
        requires=("message",),
        summary="Answer the citizen.",
    ),
    T(
        A.reject,
        OPEN,
        S.rejected,
        STAFF,
        effect=effect_reject,
        requires=("reason_code", "message"),
        summary="Reject with a reason code and a text.",
    ),
    T(
        A.mark_duplicate,
        OPEN,
        S.rejected,
        STAFF,
        effect=effect_mark_duplicate,
        requires=("duplicate_of",),
        summary="Close it as a duplicate of another request of the administration (linked both "
        "ways); its citizen is told when the original is answered.",
    ),
    T(
        A.close,
        [*OPEN, S.answered],
        S.closed,
        [R.citizen],
        effect=effect_close,
        summary="The citizen withdraws the complaint, or accepts the answer.",
    ),
    T(
        A.appeal,
        [S.answered, S.closed],
        S.appealed,
        [R.citizen],
        guard=guard_complaint_appeal,
        effect=effect_complaint_appeal,
        requires=("reason",),
        summary="Appeal to the national level after an answer rated 1-2, or once reopening is "
        "exhausted, within the appeal window after the last answer.",
    ),
    T(
        A.decide_appeal,
        [S.appealed],
        S.closed,
        [R.national_admin],
        effect=effect_decide_complaint_appeal,
        route=route_decision,
        requires=("decision",),
        summary="National admins decide: `dismissed` closes it; `sent_back` returns it to the "
        "administration with `days` (a new due date) and a `message` of instructions.",
    ),
    T(
        A.reopen,
        [S.answered],
        S.in_progress,
        [R.citizen],
        guard=guard_reopen,
        effect=effect_reopen,
        requires=("reason",),
        summary="The citizen is not convinced: back to work, within the window, counted.",
    ),
    T(
        A.rate,
        [S.answered, S.closed],
        None,
        [R.citizen],
        guard=guard_rate,
        effect=effect_rate,
        requires=("score",),
        summary="Rate the answer from 1 to 5, once.",
    ),
    T(
        A.extend_deadline,
        OPEN,
        None,
        [R.supervisor],
        effect=effect_extend,
        requires=("days", "reason"),
        summary="Push the due date back, with a reason.",
    ),
    T(
        A.auto_close,
        [S.answered],
        S.closed,
        [R.system],
        guard=guard_window_passed,
        effect=effect_close,
        summary="Closed by the system once the reopen window has passed.",
    ),
    _interim_reply(),
    *_clock_work(CLOCK_RUNNING),
    T(
        A.message,
        OPEN,
        None,
        [R.citizen, *STAFF],
        requires=("message",),
        summary="Write to the other side.",
    ),
    T(
        A.message,
        [S.answered],
        None,
        STAFF,
        requires=("message",),
        summary="Write to the citizen after the answer.",
    ),
    T(
        A.note,
        list(S),
        None,
        STAFF,
        requires=("message",),
        public=False,
        summary="An internal note the citizen never sees.",
    ),
    T(
        A.attach,
        [*OPEN, S.answered],
        None,
        [R.citizen, *STAFF],
        summary="Add documents: evidence from the citizen, or staff's documents for the answer.",
    ),
    T(
        A.attach_contact,
        [*OPEN, S.answered],
        None,
        [R.operator],
        guard=guard_first_contact,
        effect=effect_attach_contact,
        requires=("contact",),
        summary="An operator gives a paper or phone request without one an email or phone.",
    ),
    T(
        A.attach_contact,
        [*OPEN, S.answered],
        None,
        [R.supervisor],
        guard=guard_paper_or_phone,
        effect=effect_attach_contact,
        requires=("contact", "reason"),
        summary="A supervisor replaces the contact of a paper or phone request, with a reason; "
        "the previous contact is told.",
    ),
    _anonymize(),
)

ACKNOWLEDGED_ONLY: tuple[Transition, ...] = (
    T(
        A.acknowledge,
        [S.submitted],
        S.acknowledged,
        STAFF,
        effect=effect_answer,
        summary="Acknowledge and thank the citizen, optionally with a message.",
    ),
    T(
        A.assign,
        [S.submitted, S.acknowledged],
        None,
        [R.supervisor],
        effect=effect_assign,
        requires=("assignee",),
        public=False,
        summary="Give it to a member of staff.",
    ),
    T(
        A.transfer,
        [S.submitted],
        S.submitted,
        [R.supervisor, R.national_admin],
        effect=effect_transfer,
        requires=("administration", "reason"),
        summary="Send it to the administration concerned.",
    ),
    T(
        A.decline_transfer,
        [S.submitted],
        None,
        STAFF,
        guard=guard_declinable,
        effect=effect_decline_transfer,
        requires=("reason",),
        public=False,
        summary="The receiving administration refuses a transfer, with a reason: it goes to the "
        "national admins' queue (escalation level 2) until one of them routes it.",
    ),
    T(
        A.reject,
        [S.submitted],
        S.rejected,
        STAFF,
        effect=effect_reject,
        requires=("reason_code", "message"),
        summary="Reject with a reason code and a text.",
    ),
    T(
        A.close,
        [S.submitted, S.acknowledged],
        S.closed,
        [R.citizen],
        effect=effect_close,
        summary="The citizen withdraws it, or is done with it.",
    ),
    T(
        A.close,
        [S.acknowledged],
        S.closed,
        STAFF,
        effect=effect_close,
        summary="Staff close it once acknowledged.",
    ),
    T(
        A.auto_close,
        [S.acknowledged],
        S.closed,
        [R.system],
        guard=guard_window_passed,
        effect=effect_close,
        summary="Closed by the system once the window has passed.",
    ),
    *_clock_work([S.submitted]),
    T(
        A.message,
        [S.submitted],
        None,
        [R.citizen, *STAFF],
        requires=("message",),
        summary="Write to the other side.",
    ),
    T(
        A.message,
        [S.acknowledged],
        None,
        STAFF,
        requires=("message",),
        summary="Write to the citizen.",
    ),
    T(
        A.note,
        list(S),
        None,
        STAFF,
        requires=("message",),
        public=False,
        summary="An internal note the citizen never sees.",
    ),
    T(
        A.attach,
        [S.submitted, S.acknowledged],
        None,
        [R.citizen, *STAFF],
        summary="Add documents: evidence from the citizen, or staff's documents for the answer.",
    ),
    T(
        A.attach_contact,
        [S.submitted, S.acknowledged],
        None,
        [R.operator],
        guard=guard_first_contact,
        effect=effect_attach_contact,
        requires=("contact",),
        summary="An operator gives a paper or phone request without one an email or phone.",
    ),
    T(
        A.attach_contact,
        [S.submitted, S.acknowledged],
        None,
        [R.supervisor],
        guard=guard_paper_or_phone,
        effect=effect_attach_contact,
        requires=("contact", "reason"),
        summary="A supervisor replaces the contact of a paper or phone request, with a reason; "
        "the previous contact is told.",
    ),
    _anonymize(),
)

INFORMATION_REQUEST: tuple[Transition, ...] = (
    T(
        A.start,
        [S.submitted],
        S.in_progress,
        STAFF,
        effect=effect_start,
        summary="Take the request in hand.",
    ),
    T(
        A.assign,
        OPEN,
        None,
        [R.supervisor],
        effect=effect_assign,
        requires=("assignee",),
        public=False,
        summary="Give the request to a member of staff.",
    ),
    T(
        A.transfer,
        OPEN,
        S.submitted,
        [R.supervisor, R.national_admin],
        effect=effect_transfer,
        requires=("administration", "reason"),
        summary="Send it to the body that holds the information; its clock restarts there.",
    ),
    T(
        A.decline_transfer,
        [S.submitted],
        None,
        STAFF,
        guard=guard_declinable,
        effect=effect_decline_transfer,
        requires=("reason",),
        public=False,
        summary="The receiving body refuses a transfer, with a reason: it goes to the national "
        "admins' queue (escalation level 2) until one of them routes it.",
    ),
    T(
        A.request_info,
        [S.in_progress],
        S.awaiting_citizen,
        STAFF,
        effect=effect_pause,
        requires=("message",),
        summary="Ask the applicant to clarify; the clock pauses.",
    ),
    T(
        A.resume,
        [S.awaiting_citizen],
        S.in_progress,
        (*STAFF, R.citizen),
        effect=effect_resume,
        implicit_for=[R.citizen],
        summary="Resume work; done by staff, or by the applicant's reply.",
    ),
    T(
        A.answer,
        [S.in_progress],
        S.answered,
        STAFF,
        effect=effect_answer,
        requires=("message", "outcome", "legal_ground"),
        summary="Answer: granted, partially granted or refused (with its legal ground).",
    ),
    T(
        A.extend_deadline,
        OPEN,
        None,
        [R.supervisor],
        guard=guard_extension_unused,
        effect=effect_extend,
        requires=("days", "reason"),
        summary="Extend the deadline once, by at most 20 days, with a reason.",
    ),
    T(
        A.reject,
        OPEN,
        S.rejected,
        STAFF,
        effect=effect_reject,
        requires=("reason_code", "message"),
        summary="Reject (out of scope, duplicate, abusive).",
    ),
    T(
        A.mark_duplicate,
        OPEN,
        S.rejected,
        STAFF,
        effect=effect_mark_duplicate,
        requires=("duplicate_of",),
        summary="Close it as a duplicate of another request of the administration (linked both "
        "ways); its citizen is told when the original is answered.",
    ),
    T(
        A.appeal,
        [S.answered],
        S.appealed,
        [R.citizen],
        guard=guard_appeal_after_answer,
        effect=effect_appeal,
        requires=("reason",),
        summary="Complain to the body's head about a refusal or a partial answer.",
    ),
    T(
        A.appeal,
        [S.submitted, S.in_progress],
        S.appealed,
        [R.citizen],
        guard=guard_appeal_silence,
        effect=effect_appeal,
        requires=("reason",),
        summary="Complain about a silence past the deadline.",
    ),
    T(
        A.decide_appeal,
        [S.appealed],
        S.answered,
        [R.supervisor],
        effect=effect_answer,
        requires=("message", "outcome", "legal_ground"),
        summary="Decide on the appeal.",
    ),
    T(
        A.close,
        [*OPEN, S.answered],
        S.closed,
        [R.citizen],
        effect=effect_close,
        summary="The applicant withdraws, or is satisfied.",
    ),
    T(
        A.rate,
        [S.answered, S.closed],
        None,
        [R.citizen],
        guard=guard_rate,
        effect=effect_rate,
        requires=("score",),
        summary="Rate the answer from 1 to 5, once.",
    ),
    T(
        A.auto_close,
        [S.answered],
        S.closed,
        [R.system],
        guard=guard_window_passed,
        effect=effect_close,
        summary="Closed by the system once the appeal window has passed.",
    ),
    _interim_reply(),
    *_clock_work(CLOCK_RUNNING),
    T(
        A.message,
        [*OPEN, S.appealed],
        None,
        [R.citizen, *STAFF],
        requires=("message",),
        summary="Write to the other side.",
    ),
    T(
        A.note,
        list(S),
        None,
        STAFF,
        requires=("message",),
        public=False,
        summary="An internal note the applicant never sees.",
    ),
    T(
        A.attach,
        [*OPEN, S.answered, S.appealed],
        None,
        [R.citizen, *STAFF],
        summary="Add documents: evidence from the applicant, or staff's documents for the answer.",
    ),
    _anonymize(),
)

TABLES: dict[Kind, tuple[Transition, ...]] = {
    Kind.complaint: (*COMPLAINT, RECTIFY),
    Kind.observation: (*ACKNOWLEDGED_ONLY, RECTIFY),
    Kind.suggestion: (*ACKNOWLEDGED_ONLY, RECTIFY),
    Kind.information_request: (*INFORMATION_REQUEST, RECTIFY),
}
INITIAL_STATE = S.submitted
FINAL_STATES = frozenset({S.closed, S.rejected})


def states_of(kind: Kind) -> list[State]:
    """Every state a request of `kind` can be in, in lifecycle order."""
    seen: set[State] = {INITIAL_STATE}
    for t in TABLES[kind]:
        if t.target is not None:
            seen.add(t.target)
    return [s for s in State if s in seen]


def transitions_for(kind: Kind, state: State, role: Role) -> list[Transition]:
    return list(_transitions_for(kind, state, table_role(role)))


@functools.cache
def _transitions_for(kind: Kind, state: State, role: Role) -> tuple[Transition, ...]:
    # The tables are constants: each (kind, state, role)'s rows are picked once, not on
    # every view's `allowed_actions` and every action.
    return tuple(t for t in TABLES[kind] if state in t.sources and role in t.roles)


def find(kind: Kind, state: State, action: Action, role: Role) -> Transition | None:
    return next((t for t in transitions_for(kind, state, role) if t.action is action), None)


def _passes(transition: Transition, ctx: Context) -> bool:
    if transition.guard is None:
        return True
    try:
        transition.guard(ctx)
    except TransitionNotAllowed:
        return False
    return True


def allowed_actions(request: Request, actor: Actor, policy: Policy, now: datetime) -> list[str]:
    """The actions `actor` may take now, in table order, without duplicates."""
    ctx = Context(request, actor, ActionInput(), policy, now)
    actions: list[str] = []
    for t in transitions_for(request.kind, request.state, actor.role):
        if actor.role in t.implicit_for:
            continue
        if t.action.value not in actions and _passes(t, ctx):
            actions.append(t.action.value)
    return actions


def _given(data: ActionInput, name: str) -> bool:
    if name == "contact":
        return bool(data.email or data.phone)
    if name == "legal_ground":  # only a refusal, even partial, needs its ground
        return data.outcome in (None, Outcome.granted) or bool(data.refusal_ground)
    attribute = {
        "administration": "administration_id",
        "assignee": "assignee_id",
        "duplicate_of": "duplicate_of_id",
    }.get(name, name)
    return getattr(data, attribute) not in (None, "")


def _missing(transition: Transition, data: ActionInput) -> list[FieldError]:
    return [
        FieldError(name, "legal_ground_required" if name == "legal_ground" else "required")
        for name in transition.requires
        if not _given(data, name)
    ]


def execute(
    request: Request, action: Action, actor: Actor, data: ActionInput, policy: Policy, now: datetime
) -> RequestEvent:
    """Apply one action to an in-memory request and return its history event (pure logic).

    Raises `TransitionNotAllowed` (409) listing the allowed actions when the table refuses,
    a guard's own 409 when its condition fails, and `ValidationFailed` when input is missing.
    """
    state = request.state
    transition = find(request.kind, state, action, actor.role)
    if transition is None:
        allowed = allowed_actions(request, actor, policy, now)
        # Possible in this state, but for other roles: say so, not "not in this state".
        others = any(
            t.action is action and state in t.sources and table_role(actor.role) not in t.roles
            for t in TABLES[request.kind]
        )
        refusal = ActionNotForRole if others else TransitionNotAllowed
        raise refusal(
            params={
                "role": actor.role.value,
                "action": action.value,
                "kind": request.kind,
                "state": state.value,
                "allowed": ", ".join(allowed) or "—",
            },
            extra={"allowed_actions": allowed},
        )
    ctx = Context(request, actor, data, policy, now)
    if transition.guard is not None:
        try:
            transition.guard(ctx)
        except TransitionNotAllowed as refused:
            refused.extra.setdefault(
                "allowed_actions", allowed_actions(request, actor, policy, now)
            )
            raise
    missing = _missing(transition, data)
    if missing:
        raise ValidationFailed(errors=missing)
    if transition.effect is not None:
        transition.effect(ctx)
    target = transition.route(ctx) if transition.route else (transition.target or state)
    request.state = target
    request.version += 1
    request.updated_at = now
    facts = {
        key: value
        for key, value in (
            ("reason_code", data.reason_code.value if data.reason_code else None),
            ("score", data.score),
            ("dimensions", data.dimensions or None),
            ("days", data.days),
            ("decision", data.decision),
            ("expected_at", data.expected_at.isoformat() if data.expected_at else None),
            ("escalation_level", request.escalation_level if action is A.escalate else None),
            ("due_at", request.due_at.isoformat()),
            *data.data.items(),
            *assisted_facts(actor).items(),
            *integration_facts(actor).items(),
        )
        if value is not None
    }
    return RequestEvent(
        request_id=request.id,
        action=action.value,
        from_state=state,
        to_state=target,
        actor_role=actor.role.value,
        actor_id=actor.user_id if actor.assisted_by is None else actor.assisted_by,
        note=data.message or data.reason or data.comment,
        public=transition.public,
        data=facts,
        created_at=now,
    )


def integration_facts(actor: Actor) -> dict[str, object]:
    """What a history event says of an action an administration's system took with its key."""
    if actor.api_key_id is None:
        return {}
    return {"api_key_id": actor.api_key_id, "api_key": actor.api_key_name}


def assisted_facts(actor: Actor) -> dict[str, object]:
    """What a history event says of an action an operator took for a caller."""
    if actor.assisted_by is None:
        return {}
    return {"channel": "call_center", "on_behalf_of": "citizen", "operator_id": actor.assisted_by}


_LOCKED = "locked_requests"  # session.info: (the transaction, ids of the rows it locked)


def _locked_ids(session: AsyncSession) -> set[int]:
    """The requests whose rows this transaction has locked (and read under the lock)."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_LOCKED)
    if transaction is None or held is None or held[0] is not transaction:
        return set()
    ids: set[int] = held[1]
    return ids


def note_locked(session: AsyncSession, request_id: int) -> None:
    """Record that this transaction read the request's row `FOR UPDATE` (its lock is held
    until the transaction ends, so what was read then is what the row holds now)."""
    transaction = session.sync_session.get_transaction()
    if transaction is None:
        return
    held: tuple[object, set[int]] | None = session.info.get(_LOCKED)
    if held is None or held[0] is not transaction:
        held = session.info[_LOCKED] = (transaction, set[int]())
    held[1].add(request_id)


async def lock(session: AsyncSession, request: Request) -> Request:
    """Lock the request's row for this transaction and reload it, so no change is lost.
    A row this transaction already read under its lock is not read again."""
    if request.id in _locked_ids(session):
        return request
    locked = await repository.lock(session, request.id)
    note_locked(session, locked.id)
    return locked


def etag(version: int) -> str:
    """The one spelling of a request's ETag (`"v<version>"`), for the `ETag` header, the 412
    problem and the `If-Match` check alike."""
    return f'"v{version}"'


def matches(if_match: str, request: Request) -> bool:
    """RFC 9110 `If-Match`: `*` or a list of tags; a tag typed without its quotes (`v3`, as
    people do in Swagger UI) is read as the same tag."""
    current = etag(request.version)
    for tag in if_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag == current or f'"{tag}"' == current:
            return True
    return False


async def apply(
    session: AsyncSession,
    request: Request,
    action: Action,
    actor: Actor,
    data: ActionInput,
    policy: Policy,
    now: datetime,
    *,
    if_match: str | None = None,
) -> RequestEvent:
    """Lock, check (`If-Match`, table, guard), change, record. The one way a request changes."""
    request = await lock(session, request)
    # Looked up before the lock: a transfer committed meanwhile may have moved it out of reach.
    if not can_see(actor, request):
        raise RequestNotFound()
    if if_match is not None and not matches(if_match, request):
        current = etag(request.version)
        raise PreconditionFailed(params={"current": current}, headers={"ETag": current})
    event = execute(request, action, actor, data, policy, now)
    await repository.record_change(session, request, event)
    return event
