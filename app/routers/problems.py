"""The documentation behind each problem `type`."""

from typing import Annotated

from fastapi import Path

from app.errors import NotFound, error_responses
from app.i18n import LANGUAGES, MESSAGES
from app.routers import make_router
from app.schemas.problems import ProblemType

router = make_router(prefix="/problems", tags=["problems"])


@router.get(
    "/{code}",
    summary="What a problem code means",
    operation_id="getProblemType",
    responses=error_responses(NotFound),
)
async def problem_type(code: Annotated[str, Path(max_length=64)]) -> ProblemType:
    """The `type` of every problem this API answers points here: its title and detail in
    Arabic, French and English."""
    title, detail = MESSAGES.get(f"{code}.title"), MESSAGES.get(f"{code}.detail")
    if title is None or detail is None:
        raise NotFound()
    return ProblemType(
        code=code,
        title={lang: title[lang] for lang in LANGUAGES},
        detail={lang: detail[lang] for lang in LANGUAGES},
    )
