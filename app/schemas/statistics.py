"""Shapes of the public statistics."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas.common import Localized


class DimensionAverages(BaseModel):
    """The survey's averages, 1 to 5, over the ratings that answered each question."""

    speed: float | None = Field(description="How fast the answer came.", examples=[3.25])
    clarity: float | None = Field(description="How clear the answer was.", examples=[4.5])
    courtesy: float | None = Field(description="How courteous the administration was.")
    outcome: float | None = Field(description="How well the matter itself was settled.")


class Indicators(BaseModel):
    received: int = Field(description="Requests filed in the period (by month of receipt).")
    processed: int = Field(
        description="Of those, requests that got a first answer, acknowledgement or rejection "
        "(a withdrawal is not processed; a request answered twice counts once)."
    )
    reopened: int = Field(description="Reopenings of answered complaints (counted each time).")
    escalated: int = Field(
        description="Deadlines missed: requests escalated to their administration's supervisors "
        "when their due date passed unanswered (counted when it happens, for the administration "
        "that missed it; again if a new deadline after a reopening is missed too)."
    )
    average_processing_days: float | None = Field(
        description="Mean days from receipt to the first answer, over processed requests."
    )
    processed_pct: float | None = Field(description="processed / received × 100.")
    satisfaction_pct: float | None = Field(
        description="Share of ratings of 4 or 5 (on the 1–5 scale) among rated answers, × 100."
    )
    average_score: float | None = Field(description="Mean rating, 1 to 5.")
    rated: int = Field(description="Answers rated by their citizen.")
    dimensions: DimensionAverages = Field(
        description="The satisfaction survey's average per dimension (null: nobody answered it)."
    )


class RankedAdministration(Indicators):
    administration: str
    name: Localized


class MonthIndicators(Indicators):
    month: str = Field(examples=["2026-03"])


class StatisticsOut(BaseModel):
    indicators: Indicators
    ranking: list[RankedAdministration] = Field(
        description="Administrations, the highest processed share first, then the busiest."
    )
    monthly: list[MonthIndicators]


class ScopedStatisticsOut(StatisticsOut):
    overdue: dict[str, int] = Field(
        description="Open requests past their due date now, per administration code."
    )
    escalated_open: dict[str, int] = Field(
        description="Open requests escalated now (level 1: the supervisors; level 2: the "
        "national admins), per administration code."
    )
