"""The lifecycle tables as served to apps, which render their buttons from them."""

from pydantic import BaseModel, Field

from app.schemas.common import Localized


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
