"""The lifecycle tables, unit-tested without a database: every state x action x role of every
kind (matrices written by hand, checked against the tables), the guards, the clocks, and a
property test that random sequences never leave the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.actors import Actor
from app.errors import (
    AlreadyRated,
    ContactAlreadySet,
    ContactNotAllowed,
    NotAnswered,
    NotTransferred,
    ReopenLimitReached,
    ReopenWindowExpired,
    ReopenWindowOpen,
    TransitionNotAllowed,
    UrgentNotExtensible,
    ValidationFailed,
)
from app.models.enums import Action, Kind, Outcome, RejectionReason, Role, State
from app.models.request import Request
from app.services import lifecycle
from app.services.lifecycle import ActionInput, Policy
from tests.factories import AGENT_ON_SUBMITTED, unsaved_request

S, A, R = State, Action, Role
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = Policy(answer_days=60, reopen_window_days=30, max_reopens=2)
OPEN = {S.submitted, S.in_progress, S.awaiting_citizen}
STAFF = {R.agent, R.supervisor}


def at(states, roles) -> dict[State, frozenset[Role]]:
    return {state: frozenset(roles) for state in states}


EVERY_ROLE = [R.citizen, R.agent, R.supervisor, R.operator, R.national_admin, R.system]

# Written by hand from DESIGN.md, not computed from the table: action -> state -> roles.
# Complaints and information requests are worked alike up to the answer and after it.
WORKED = {
    A.start: {S.submitted: STAFF},
    A.assign: at(OPEN, {R.supervisor}),
    # Issue 10, national oversight: national admins transfer too (and route declined
    # transfers); the receiving administration declines a transfer (a guard: one received).
    A.transfer: at(OPEN, {R.supervisor, R.national_admin}),
    A.decline_transfer: {S.submitted: STAFF},
    A.request_info: {S.in_progress: STAFF},
    A.resume: {S.awaiting_citizen: STAFF | {R.citizen}},
    A.answer: {S.in_progress: STAFF},
    A.reject: at(OPEN, STAFF),
    # Issue 10: a repeat of another request of the administration is closed as its duplicate.
    A.mark_duplicate: at(OPEN, STAFF),
    A.extend_deadline: at(OPEN, {R.supervisor}),
    A.close: at(OPEN | {S.answered}, {R.citizen}),
    A.rate: {S.answered: {R.citizen}, S.closed: {R.citizen}},
    A.auto_close: {S.answered: {R.system}},
    # Law 09-08 (issue 11): the system alone removes personal data, from final states only.
    A.anonymize: at([S.closed, S.rejected], {R.system}),
    # Issue 10, deadlines that bite: staff say when the late answer will come; the system
    # warns before the due date and escalates after it, while the clock runs.
    A.interim_reply: at(OPEN, STAFF),
    A.alert_due_soon: at([S.submitted, S.in_progress], {R.system}),
    A.escalate: at([S.submitted, S.in_progress], {R.system}),
}
COMPLAINT = {
    **WORKED,
    A.reopen: {S.answered: {R.citizen}},
    # Issue 10: recourse above the administration, decided by national admins.
    A.appeal: at([S.answered, S.closed], {R.citizen}),
    A.decide_appeal: {S.appealed: {R.national_admin}},
    A.message: {**at(OPEN, STAFF | {R.citizen}), S.answered: STAFF},
    A.note: at(lifecycle.states_of(Kind.complaint), STAFF),
    A.attach: at(OPEN | {S.answered}, STAFF | {R.citizen}),
    # Operators attach a first contact; supervisors replace one (issue 9, audit row 6).
    A.attach_contact: at(OPEN | {S.answered}, {R.operator, R.supervisor}),
}
ACKNOWLEDGED = {
    A.acknowledge: {S.submitted: STAFF},
    A.assign: at([S.submitted, S.acknowledged], {R.supervisor}),
    A.transfer: {S.submitted: {R.supervisor, R.national_admin}},
    A.decline_transfer: {S.submitted: STAFF},
    A.reject: {S.submitted: STAFF},
    A.close: {S.submitted: {R.citizen}, S.acknowledged: STAFF | {R.citizen}},
    A.auto_close: {S.acknowledged: {R.system}},
    A.message: {S.submitted: STAFF | {R.citizen}, S.acknowledged: STAFF},
    A.note: at(lifecycle.states_of(Kind.observation), STAFF),
    A.attach: at([S.submitted, S.acknowledged], STAFF | {R.citizen}),
    A.attach_contact: at([S.submitted, S.acknowledged], {R.operator, R.supervisor}),
    A.anonymize: at([S.closed, S.rejected], {R.system}),
    A.alert_due_soon: {S.submitted: {R.system}},
    A.escalate: {S.submitted: {R.system}},
}
# Law 31-13: like a complaint, with an outcome instead of a reopening. A refusal or a partial
# answer is appealed to the body's head, who decides anew; so is a silence past the deadline,
# which only an open request can keep (the clock stands still while awaiting the applicant).
# The deadline is extended, not pushed at will (the guard counts once, and refuses urgent
# requests: their 3 days take no 20-day extension); no contact is attached (information
# requests come by web and mobile, with one).
INFORMATION = {
    **WORKED,
    A.appeal: at([S.submitted, S.in_progress, S.answered], {R.citizen}),
    A.decide_appeal: {S.appealed: {R.supervisor}},
    A.message: at(OPEN | {S.appealed}, STAFF | {R.citizen}),
    A.note: at(lifecycle.states_of(Kind.information_request), STAFF),
    A.attach: at(OPEN | {S.answered, S.appealed}, STAFF | {R.citizen}),
}
# Law 09-08: the citizen corrects their name or contact, whatever the state (issue 11).
EXPECTED = {
    kind: {**table, A.rectify: at(lifecycle.states_of(kind), {R.citizen})}
    for kind, table in (
        (Kind.complaint, COMPLAINT),
        (Kind.observation, ACKNOWLEDGED),
        (Kind.suggestion, ACKNOWLEDGED),
        (Kind.information_request, INFORMATION),
    )
}
CASES = [
    (kind, state, action)
    for kind in EXPECTED
    for state in lifecycle.states_of(kind)
    for action in Action
]


@pytest.mark.parametrize(("kind", "state", "action"), CASES, ids=lambda v: str(v))
def test_table_allows_exactly_what_the_design_says(kind, state, action):
    expected = EXPECTED[kind].get(action, {}).get(state, set())
    allowed = {role for role in EVERY_ROLE if lifecycle.find(kind, state, action, role)}
    assert allowed == expected


def make(kind: Kind = Kind.complaint, state: State = S.submitted, **fields) -> Request:
    return unsaved_request(T0, kind, state, **fields)


def run(request, action, role=R.agent, now=T0, policy=POLICY, **data):
    actor = Actor(
        role=role, user_id=7 if role in STAFF else None, administration_id=1, request_id=1
    )
    return lifecycle.execute(request, action, actor, ActionInput(**data), policy, now)


def test_a_refusal_lists_what_the_actor_may_do():
    request = make(state=S.submitted)
    with pytest.raises(TransitionNotAllowed) as refused:
        run(request, A.answer, message="trop tôt")
    assert refused.value.status == 409
    expected = lifecycle.allowed_actions(request, Actor(role=R.agent), POLICY, T0)
    assert refused.value.extra["allowed_actions"] == expected
    assert expected == AGENT_ON_SUBMITTED


def test_each_step_records_history_and_bumps_the_version():
    request = make()
    event = run(request, A.start)
    assert (event.action, event.from_state, event.to_state) == ("start", "submitted", "in_progress")
    assert (event.actor_role, event.actor_id, event.public) == ("agent", 7, True)
    assert request.version == 2
    assert request.assignee_id == 7  # an agent who starts takes it
    note = run(request, A.note, message="interne")
    assert note.public is False
    assert request.version == 3


def test_reopen_within_the_window_then_after_it():
    request = make(state=S.answered, answered_at=T0)
    event = run(request, A.reopen, role=R.citizen, now=T0 + timedelta(days=30), reason="Non")
    assert event.to_state == "in_progress"
    assert request.reopen_count == 1
    assert request.due_at == T0 + timedelta(days=30 + 60)
    late = make(state=S.answered, answered_at=T0)
    with pytest.raises(ReopenWindowExpired):
        run(late, A.reopen, role=R.citizen, now=T0 + timedelta(days=30, seconds=1), reason="Non")


def test_reopen_is_capped():
    request = make(state=S.answered, answered_at=T0, reopen_count=2)
    with pytest.raises(ReopenLimitReached):
        run(request, A.reopen, role=R.citizen, reason="Encore")


def test_rating_needs_an_answer_and_happens_once():
    with pytest.raises(NotAnswered):
        run(make(state=S.closed), A.rate, role=R.citizen, score=4)
    request = make(state=S.answered, answered_at=T0)
    run(request, A.rate, role=R.citizen, score=4, comment="Bien")
    assert (request.rating_score, request.rating_comment, request.state) == (4, "Bien", "answered")
    with pytest.raises(AlreadyRated):
        run(request, A.rate, role=R.citizen, score=5)


def test_auto_close_waits_for_the_window():
    request = make(state=S.answered, answered_at=T0)
    with pytest.raises(ReopenWindowOpen):
        run(request, A.auto_close, role=R.system, now=T0 + timedelta(days=29))
    run(request, A.auto_close, role=R.system, now=T0 + timedelta(days=31))
    assert request.state == "closed"
    assert request.closed_at == T0 + timedelta(days=31)


def test_contact_only_for_paper_and_phone_requests():
    with pytest.raises(ContactNotAllowed):
        run(make(), A.attach_contact, role=R.operator, email="a@b.ma")
    paper = make(channel="mail")
    run(paper, A.attach_contact, role=R.operator, email="a@b.ma")
    assert paper.email == "a@b.ma"


def test_an_operator_never_replaces_a_contact_a_supervisor_may_with_a_reason():
    paper = make(channel="call_center", phone="+212612345678")
    with pytest.raises(ContactAlreadySet):
        run(paper, A.attach_contact, role=R.operator, email="someone@else.ma")
    with pytest.raises(ContactAlreadySet):
        run(make(channel="mail", email="a@b.ma"), A.attach_contact, role=R.operator, phone="+1")
    assert paper.email is None
    with pytest.raises(ValidationFailed) as invalid:
        run(paper, A.attach_contact, role=R.supervisor, email="new@b.ma")
    assert [e.field for e in invalid.value.errors] == ["reason"]
    event = run(paper, A.attach_contact, role=R.supervisor, email="new@b.ma", reason="Lost phone")
    assert (paper.email, paper.phone, event.note) == ("new@b.ma", "+212612345678", "Lost phone")
    operator = Actor(role=R.operator)
    assert "attach_contact" not in lifecycle.allowed_actions(paper, operator, POLICY, T0)


@pytest.mark.parametrize(
    ("state", "action", "field"),
    [
        (S.in_progress, A.answer, "message"),
        (S.in_progress, A.request_info, "message"),
        (S.submitted, A.reject, "reason_code"),
        (S.submitted, A.transfer, "administration"),
        (S.submitted, A.assign, "assignee"),
        (S.submitted, A.extend_deadline, "days"),
    ],
)
def test_missing_input_is_a_field_error(state, action, field):
    role = R.supervisor
    with pytest.raises(ValidationFailed) as invalid:
        run(make(state=state), action, role=role, message=None)
    assert field in [e.field for e in invalid.value.errors]


def test_the_clock_pauses_while_awaiting_the_citizen():
    request = make(state=S.in_progress)
    run(request, A.request_info, message="Le constat ?")
    assert request.paused_at == T0
    run(request, A.resume, role=R.citizen, now=T0 + timedelta(days=3))
    assert request.paused_at is None
    assert request.due_at == T0 + timedelta(days=63)


def test_transfer_restarts_the_clock_elsewhere():
    request = make(state=S.in_progress, assignee_id=7, service_id=3)
    later = T0 + timedelta(days=10)
    run(
        request,
        A.transfer,
        role=R.supervisor,
        now=later,
        administration_id=2,
        target_answer_days=20,
        reason="Pas chez nous",
    )
    assert (request.administration_id, request.service_id, request.assignee_id) == (2, None, None)
    assert request.state == "submitted"
    assert request.due_at == later + timedelta(days=20)


def national_transfer(request, administration_id):
    """A national admin routes the request to another administration."""
    return run(
        request,
        A.transfer,
        role=R.national_admin,
        administration_id=administration_id,
        target_answer_days=20,
        reason="Compétence",
    )


def test_a_declined_transfer_waits_for_a_national_admin_to_route_it():
    request = make(escalation_level=1, assignee_id=7)
    # Filed with administration 1 directly: nothing to decline.
    with pytest.raises(NotTransferred):
        run(request, A.decline_transfer, reason="Pas nous")
    national_transfer(request, 2)
    assert (request.transferred_from_id, request.escalation_level) == (1, 0)
    receiver = Actor(role=R.agent, user_id=8, administration_id=2)
    # Only the receiving administration declines, and only with a reason.
    with pytest.raises(NotTransferred):
        run(request, A.decline_transfer, reason="Pas nous")
    with pytest.raises(ValidationFailed):
        lifecycle.execute(request, A.decline_transfer, receiver, ActionInput(), POLICY, T0)
    assert "decline_transfer" in lifecycle.allowed_actions(request, receiver, POLICY, T0)
    later = T0 + timedelta(days=2)
    event = lifecycle.execute(
        request, A.decline_transfer, receiver, ActionInput(reason="Hors compétence"), POLICY, later
    )
    assert (event.note, event.public, event.to_state) == ("Hors compétence", False, "submitted")
    assert (request.escalation_level, request.escalated_at) == (2, later)
    assert (request.transferred_from_id, request.assignee_id, request.administration_id) == (
        None,
        None,
        2,
    )
    assert "decline_transfer" not in lifecycle.allowed_actions(request, receiver, POLICY, T0)
    national_transfer(request, 3)
    assert (request.escalation_level, request.escalated_at, request.transferred_from_id) == (
        0,
        None,
        2,
    )


def test_rejection_keeps_its_reason():
    request = make()
    run(request, A.reject, reason_code=RejectionReason.before_courts, message="Affaire pendante")
    assert (request.state, request.rejection_reason) == ("rejected", "before_courts")


# --- property: random sequences never leave the table, and history replays to the state

ACTIONS = sorted({t.action for table in lifecycle.TABLES.values() for t in table}, key=str)
ROLES = [R.citizen, R.agent, R.supervisor, R.operator, R.system]
FULL_INPUT = {
    "message": "texte",
    "reason": "raison",
    "reason_code": RejectionReason.duplicate,
    "assignee_id": 7,
    "administration_id": 2,
    "target_answer_days": 20,
    "days": 5,
    "score": 3,
    "email": "x@y.ma",
    "outcome": Outcome.refused,
    "refusal_ground": "Art. 7",
}


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(list(Kind)),
    steps=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS), st.sampled_from(ROLES), st.integers(0, 40), st.booleans()
        ),
        max_size=30,
    ),
)
def test_random_sequences_stay_in_the_table(kind, steps):
    request = make(kind=kind, channel="mail")
    now = T0
    events = []
    for action, role, days, complete in steps:
        now += timedelta(days=days)
        data = FULL_INPUT if complete else {}
        before = request.state
        try:
            event = run(request, action, role=role, now=now, **data)
        except (TransitionNotAllowed, ValidationFailed):
            assert request.state == before
            continue
        assert lifecycle.find(kind, State(before), action, role) is not None
        events.append(event)
    assert State(request.state) in lifecycle.states_of(kind)
    assert request.version == 1 + len(events)
    state = lifecycle.INITIAL_STATE.value
    for event in events:
        assert event.from_state == state
        state = event.to_state
    assert state == request.state
    assert sum(e.action == "rate" for e in events) <= 1
    assert request.reopen_count <= POLICY.max_reopens
    if request.state in ("closed", "rejected"):
        assert request.closed_at is not None


@pytest.mark.parametrize("state", sorted(OPEN))
def test_an_urgent_information_request_is_never_extended(state):
    # The matrix lets supervisors extend open information requests; the guard takes urgent
    # ones out of it (law 31-13: 3 days, no 20-day extension), and so does `allowed_actions`.
    supervisor = Actor(R.supervisor, user_id=1, administration_id=1)
    normal = make(Kind.information_request, state)
    urgent = make(Kind.information_request, state, urgent=True)
    assert "extend_deadline" in lifecycle.allowed_actions(normal, supervisor, POLICY, T0)
    assert "extend_deadline" not in lifecycle.allowed_actions(urgent, supervisor, POLICY, T0)
    with pytest.raises(UrgentNotExtensible):
        run(urgent, A.extend_deadline, R.supervisor, days=5, reason="Volume")
    assert urgent.extension_count == 0
