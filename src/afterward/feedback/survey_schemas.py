"""The surveys API's bodies (DESIGN.md, "Contracts ... Reviews and surveys")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from afterward.commerce.fields import JSON_INTEGER
from afterward.feedback.surveys import MAX_COMMENT

NOT_BLANK = r"\S"


class SurveyResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_number: str = Field(min_length=1, max_length=64, json_schema_extra={
        "pattern": NOT_BLANK})
    survey: Literal["nps", "csat", "delivery"]
    score: Annotated[int, Field(ge=0, le=10, description=(
        "nps 0-10, csat 1-5, delivery 1 (as expected) or 0 (not)")), JSON_INTEGER]
    comment: str | None = Field(None, max_length=MAX_COMMENT)


class SurveyResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_number: str
    survey: str
    score: int
    detractor: bool
    comment: str | None
    source: str
    created_at: datetime
    updated_at: datetime


class NpsOut(BaseModel):
    nps: float | None = Field(description="% promoters (9-10) minus % detractors (0-6), "
                                          "one decimal; null without answers")
    responses: int
    promoters: int
    passives: int
    detractors: int


class CsatOut(BaseModel):
    csat: float | None = Field(description="% of answers 4 or 5, one decimal")
    average: float | None
    responses: int
    satisfied: int
    dissatisfied: int
    scores: dict[str, int] = Field(description="answers per score, \"1\" to \"5\"")


class DeliveryOut(BaseModel):
    responses: int
    yes: int
    no: int
    problem_rate: float | None = Field(description="% of answers \"no\", one decimal")
