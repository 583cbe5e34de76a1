"""The documentation behind each problem `type`."""

from pydantic import BaseModel


class ProblemType(BaseModel):
    code: str
    title: dict[str, str]
    detail: dict[str, str]
