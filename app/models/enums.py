"""The domain vocabulary shared by tables, schemas and services."""

from enum import StrEnum


class Kind(StrEnum):
    complaint = "complaint"
    observation = "observation"
    suggestion = "suggestion"


class State(StrEnum):
    submitted = "submitted"
    in_progress = "in_progress"
    awaiting_citizen = "awaiting_citizen"
    answered = "answered"
    acknowledged = "acknowledged"
    closed = "closed"
    rejected = "rejected"


class Action(StrEnum):
    start = "start"
    assign = "assign"
    transfer = "transfer"
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
    # Not in any lifecycle table: events that change no state but belong to the history.
    submit = "submit"
    attach_contact = "attach_contact"


class Role(StrEnum):
    citizen = "citizen"
    agent = "agent"
    supervisor = "supervisor"
    operator = "operator"
    national_admin = "national_admin"
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


class PersonType(StrEnum):
    natural = "natural"
    legal = "legal"
