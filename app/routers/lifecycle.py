"""The lifecycle tables, served as data so apps render their buttons from them."""

import functools

from fastapi import Response
from pydantic import TypeAdapter

from app.i18n import in_every_language
from app.models.enums import Kind
from app.routers import make_router
from app.schemas.common import Localized
from app.schemas.lifecycle import KindLifecycle, TransitionOut
from app.services import lifecycle

router = make_router(prefix="/api/v1/lifecycle", tags=["lifecycle"])


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


_DOCUMENT = TypeAdapter(dict[str, KindLifecycle])


@functools.cache
def _document() -> bytes:
    """The tables and their names in every language, fixed for the life of the process:
    built, validated and serialized once (2.4 ms of CPU per call in process when built
    every time, 0.5 ms served from here, the test client included)."""
    return _DOCUMENT.dump_json({kind.value: _describe(kind) for kind in Kind}, by_alias=True)


@router.get(
    "",
    summary="The state machine of every kind",
    operation_id="getLifecycle",
    response_model=dict[str, KindLifecycle],
)
async def get_lifecycle() -> Response:
    """For each request kind: its states, and every transition (from, action, to, roles, guard,
    required fields), with the names of states and actions in Arabic, French and English for
    badges and buttons. The same table the server enforces; nothing else changes a request."""
    return Response(_document(), media_type="application/json")
