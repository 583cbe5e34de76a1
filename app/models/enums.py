"""The domain vocabulary shared by tables, schemas and services."""

from enum import StrEnum


class Kind(StrEnum):
    complaint = "complaint"
    observation = "observation"
    suggestion = "suggestion"
    information_request = "information_request"  # law 31-13 on access to information


class State(StrEnum):
    submitted = "submitted"
    in_progress = "in_progress"
    awaiting_citizen = "awaiting_citizen"
    answered = "answered"
    acknowledged = "acknowledged"
    appealed = "appealed"  # law 31-13: a complaint against a refusal or a silence
    closed = "closed"
    rejected = "rejected"


# The legal clock runs while the administration holds a request; awaiting the citizen it is
# paused: only these states can be late, warned of a due date, or escalate.
CLOCK_RUNNING = (State.submitted, State.in_progress)


class Action(StrEnum):
    start = "start"
    assign = "assign"
    transfer = "transfer"
    # The receiving administration refuses a transfer: to the national admins' queue.
    decline_transfer = "decline_transfer"
    request_info = "request_info"
    resume = "resume"
    answer = "answer"
    acknowledge = "acknowledge"
    reject = "reject"
    close = "close"
    reopen = "reopen"
    rate = "rate"
    extend_deadline = "extend_deadline"
    auto_close = "auto_close"
    message = "message"
    note = "note"
    attach = "attach"
    appeal = "appeal"
    decide_appeal = "decide_appeal"
    # Staff close a request as a repeat of another of their administration's (linked both ways).
    mark_duplicate = "mark_duplicate"
    # Staff tell the citizen the answer will be late, and when to expect it (issue 10).
    interim_reply = "interim_reply"
    # The clock's own work (system only): a warning before the due date, escalation after it.
    alert_due_soon = "alert_due_soon"
    escalate = "escalate"
    # Law 09-08: personal data removed once the retention after closing has passed (system only).
    anonymize = "anonymize"
    # Not in any lifecycle table: events that change no state but belong to the history.
    submit = "submit"
    attach_contact = "attach_contact"
    # The citizen corrects their name or contact (law 09-08, right of rectification).
    rectify = "rectify"


class Role(StrEnum):
    citizen = "citizen"
    agent = "agent"
    supervisor = "supervisor"
    operator = "operator"
    national_admin = "national_admin"
    integration = "integration"  # an administration's own system, with an API key
    system = "system"


STAFF_ROLES = (Role.agent, Role.supervisor, Role.operator, Role.national_admin)


class Channel(StrEnum):
    web = "web"
    mobile = "mobile"
    call_center = "call_center"
    mail = "mail"
    integration = "integration"


class RejectionReason(StrEnum):
    out_of_scope = "out_of_scope"
    duplicate = "duplicate"
    abusive = "abusive"
    before_courts = "before_courts"
    incomplete = "incomplete"


class Outcome(StrEnum):
    """How an information request was answered (law 31-13)."""

    granted = "granted"
    partially_granted = "partially_granted"
    refused = "refused"


class PersonType(StrEnum):
    natural = "natural"
    legal = "legal"
