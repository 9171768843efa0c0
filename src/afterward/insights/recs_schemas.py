"""The recommendations as the API gives them (DESIGN.md, "Insights")."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecommendedOut(BaseModel):
    sku: str
    title: str
    # Higher is better, comparable within one list only (a confidence, a TIFU-KNN
    # score or a share of orders: docs/recommendations.md)
    score: float = Field(ge=0)


class RecommendationsOut(BaseModel):
    items: list[RecommendedOut]
