"""Who may read a request: the one rule, checked when a request is looked up and again once
its row is locked (a transfer committed while an agent waited on the lock moves it away)."""

from __future__ import annotations

from app.domain.actors import Actor
from app.models.enums import Channel, Role
from app.models.request import Request

OPERATOR_CHANNELS = (Channel.call_center, Channel.mail)


def contact_matches(actor: Actor, request: Request) -> bool:
    """A citizen session opens the requests bearing its verified contact: the same one
    comparison as the listing's (`lower(email)`, or the E.164 phone), never both unset."""
    if actor.email is not None:
        return request.email is not None and request.email.lower() == actor.email
    if actor.phone is not None:
        return request.phone is not None and request.phone == actor.phone
    return False


def can_see(actor: Actor, request: Request) -> bool:
    """Anyone who may not see a request gets a 404, never a 403."""
    match actor.role:
        case Role.citizen:
            if actor.request_id is not None:  # a tracking token: its one request
                return actor.request_id == request.id
            return contact_matches(actor, request)
        case Role.agent | Role.supervisor:
            return actor.administration_id == request.administration_id
        case Role.operator:
            return request.channel in OPERATOR_CHANNELS
        case Role.integration:
            return actor.administration_id == request.administration_id
        case Role.system:
            return True
        case Role.national_admin:
            # Issue 10, national oversight: they read any request of any administration (each
            # read is in the access log), decide appeals and route declined transfers.
            return True
        case _:
            return False
