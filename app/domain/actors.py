"""Who acts on a request: a citizen, a staff member, an integration, or the system itself.

The state machine, the visibility rule, the dependencies that read a token and the services
all speak of an `Actor`; it lives here, below them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models.enums import STAFF_ROLES, Role


@dataclass(frozen=True)
class Actor:
    """Who acts: a citizen holding a tracking token, a staff member, or the system itself."""

    role: Role
    user_id: int | None = None
    administration_id: int | None = None
    request_id: int | None = None  # the one request a citizen's tracking token opens
    # A citizen session (one-time code): the verified contact, whose requests it opens.
    # `email` is lower-cased, `phone` in E.164, as `visibility` and the listing compare them.
    email: str | None = None
    phone: str | None = None
    # An assisted tracking token: the call-centre operator acting on the citizen's behalf.
    # The role stays `citizen` (no staff power); the history records who really acted.
    assisted_by: int | None = None
    # An administration's own system (role `integration`): the integration key it acts with.
    api_key_id: int | None = None
    api_key_name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


SYSTEM = Actor(role=Role.system)
