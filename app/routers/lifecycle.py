"""The lifecycle tables, served as data so apps render their buttons from them."""

from pydantic import BaseModel, Field

from app.models.enums import Kind
from app.routers import make_router
from app.services import lifecycle

router = make_router(prefix="/api/v1/lifecycle", tags=["lifecycle"])


class TransitionOut(BaseModel):
    action: str
    from_states: list[str] = Field(description="States in which the action is possible.")
    to_state: str | None = Field(description="The resulting state; null when it stays the same.")
    roles: list[str]
    guard: str | None = Field(description="The extra condition, in words.")
    requires: list[str] = Field(description="Body fields the action needs.")
    internal: bool = Field(description="True when the event stays out of the citizen's history.")
    summary: str


class KindLifecycle(BaseModel):
    initial_state: str
    final_states: list[str]
    states: list[str]
    transitions: list[TransitionOut]


def _describe(kind: Kind) -> KindLifecycle:
    return KindLifecycle(
        initial_state=lifecycle.INITIAL_STATE.value,
        final_states=sorted(lifecycle.FINAL_STATES),
        states=[s.value for s in lifecycle.states_of(kind)],
        transitions=[
            TransitionOut(
                action=t.action.value,
                from_states=sorted(t.sources),
                to_state=t.target.value if t.target else None,
                roles=sorted(t.roles),
                guard=t.guard.__doc__ if t.guard else None,
                requires=list(t.requires),
                internal=not t.public,
                summary=t.summary,
            )
            for t in lifecycle.TABLES[kind]
        ],
    )


@router.get("", summary="The state machine of every kind", operation_id="getLifecycle")
async def get_lifecycle() -> dict[str, KindLifecycle]:
    """For each request kind: its states, and every transition (from, action, to, roles, guard,
    required fields). The same table the server enforces; nothing else changes a request."""
    return {kind.value: _describe(kind) for kind in Kind}
