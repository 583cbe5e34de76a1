"""Who may read a request: the one rule, checked when a request is looked up and again once
its row is locked (a transfer committed while an agent waited on the lock moves it away)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.models.enums import Channel, Role
from app.models.request import Request

if TYPE_CHECKING:  # lifecycle imports this module
    from app.services.lifecycle import Actor

OPERATOR_CHANNELS = (Channel.call_center, Channel.mail)


def can_see(actor: Actor, request: Request) -> bool:
    """Anyone who may not see a request gets a 404, never a 403."""
    match actor.role:
        case Role.citizen:
            return actor.request_id == request.id
        case Role.agent | Role.supervisor:
            return actor.administration_id == request.administration_id
        case Role.operator:
            return request.channel in OPERATOR_CHANNELS
        case Role.integration:
            return actor.administration_id == request.administration_id
        case Role.system:
            return True
        case _:
            return False
