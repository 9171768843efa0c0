"""RFM scores and named segments, pure: what journeys filter on and templates read.

- RFM: recency (days since the last order; fewer is better), frequency (orders) and
  monetary (net spend) each scored 1..5 by quintile within the store's customers, ties
  kept together (a score is the quintile of the value's first position when sorted).
- churn risk: 1 - P(alive) of Pareto/NBD (insights/clv.py), which, unlike BG/NBD's,
  falls for a one-time buyer as time passes; bands low (< 0.3), medium, high (>= 0.7).
- segments, first match wins:
  - `new`: one order, placed within the last NEW_DAYS days;
  - `lapsed`: P(alive) < 0.2;
  - `at_risk`: P(alive) < 0.5;
  - `champions`: R, F and M all 4 or 5;
  - `active`: the rest."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

SEGMENTS = ("new", "champions", "active", "at_risk", "lapsed")
NEW_DAYS = 45
LAPSED_BELOW, AT_RISK_BELOW = 0.2, 0.5


@dataclass(frozen=True)
class Rfm:
    recency: int
    frequency: int
    monetary: int

    @property
    def code(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


def quintile_scores(values: Sequence[float], *, higher_is_better: bool = True) -> list[int]:
    """Each value's score 1..5 by its quintile among `values`; equal values score the
    same. An empty list gives an empty list."""
    ordered = sorted(values)
    n = len(ordered)
    scores = []
    for value in values:
        rank = bisect_left(ordered, value)  # how many are strictly smaller
        score = min(5, 1 + (5 * rank) // n)
        scores.append(score if higher_is_better else 6 - score)
    return scores


def rfm(days_since_last: Sequence[float], orders: Sequence[int],
        spend_minor: Sequence[int]) -> list[Rfm]:
    recency = quintile_scores([-d for d in days_since_last])
    frequency = quintile_scores([float(o) for o in orders])
    monetary = quintile_scores([float(s) for s in spend_minor])
    return [Rfm(r, f, m) for r, f, m in zip(recency, frequency, monetary, strict=True)]


def churn_band(p_alive: float) -> str:
    risk = 1 - p_alive
    return "low" if risk < 0.3 else "high" if risk >= 0.7 else "medium"


def segment(*, orders: int, days_since_first: float, p_alive: float, score: Rfm) -> str:
    if orders <= 1 and days_since_first <= NEW_DAYS:
        return "new"
    if p_alive < LAPSED_BELOW:
        return "lapsed"
    if p_alive < AT_RISK_BELOW:
        return "at_risk"
    if min(score.recency, score.frequency, score.monetary) >= 4:
        return "champions"
    return "active"
