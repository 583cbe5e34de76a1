"""The lifecycle tables, served as data so apps render their buttons from them."""

from pydantic import BaseModel, Field

from app.i18n import in_every_language
from app.models.enums import Kind
from app.routers import make_router
from app.schemas.common import Localized
from app.services import lifecycle

router = make_router(prefix="/api/v1/lifecycle", tags=["lifecycle"])


class TransitionOut(BaseModel):
    action: str
    from_states: list[str] = Field(description="States in which the action is possible.")
    to_state: str | None = Field(description="The resulting state; null when it stays the same.")
    roles: list[str] = Field(
        description="Who may take it; `integration` (an administration's own system with its "
        "key) takes exactly the actions an agent takes."
    )
    guard: str | None = Field(description="The extra condition, in words.")
    requires: list[str] = Field(description="Body fields the action needs.")
    internal: bool = Field(description="True when the event stays out of the citizen's history.")
    implicit_for: list[str] = Field(
        description="Roles that take this action only through another one (the citizen resumes "
        "a request by replying): never listed in their `allowed_actions`."
    )
    summary: str


class KindLifecycle(BaseModel):
    initial_state: str
    final_states: list[str]
    states: list[str]
    transitions: list[TransitionOut]
    state_labels: dict[str, Localized] = Field(description="Each state's name, to display.")
    action_labels: dict[str, Localized] = Field(description="Each action's name, for buttons.")


def _describe(kind: Kind) -> KindLifecycle:
    table = lifecycle.TABLES[kind]
    states = lifecycle.states_of(kind)
    return KindLifecycle(
        initial_state=lifecycle.INITIAL_STATE.value,
        final_states=sorted(lifecycle.FINAL_STATES),
        states=[s.value for s in states],
        transitions=[
            TransitionOut(
                action=t.action.value,
                from_states=sorted(t.sources),
                to_state=t.target.value if t.target else None,
                roles=sorted(lifecycle.roles_taking(t)),
                guard=t.guard.__doc__ if t.guard else None,
                requires=list(t.requires),
                internal=not t.public,
                implicit_for=sorted(t.implicit_for),
                summary=t.summary,
            )
            for t in table
        ],
        state_labels={s.value: _label(f"state.{s.value}") for s in states},
        action_labels={a: _label(f"action.{a}") for a in dict.fromkeys(t.action for t in table)},
    )


def _label(key: str) -> Localized:
    return Localized(**in_every_language(key))


@router.get("", summary="The state machine of every kind", operation_id="getLifecycle")
async def get_lifecycle() -> dict[str, KindLifecycle]:
    """For each request kind: its states, and every transition (from, action, to, roles, guard,
    required fields), with the names of states and actions in Arabic, French and English for
    badges and buttons. The same table the server enforces; nothing else changes a request."""
    return {kind.value: _describe(kind) for kind in Kind}
