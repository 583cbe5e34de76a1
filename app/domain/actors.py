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


@dataclass(frozen=True)
class StaffToken:
    """A staff token whose signature and claims are checked, its account not yet: that the
    account `user_id` is active and its tokens' version still `version` is checked by the
    first statement of the call (a staff action's lock), which reads its role too."""

    user_id: int
    version: int

    def actor(self, role: str, administration_id: int | None) -> Actor:
        """The staff member the token stands for, their account read as `role` and
        `administration_id` (as a token's account is read by the dependencies)."""
        return Actor(role=Role(role), user_id=self.user_id, administration_id=administration_id)
