"""Insights' part of a customer's export and erasure (afterward/privacy.py): the
sentiment scores of what they wrote, their words quoted among a theme's typical
texts, and what recompute.py computed about them (their figures, replenishment
dates and subscriptions in every run kept). Erasure deletes all of these (the texts themselves are
their modules' to erase); the themes' counts stay, as figures, until the next run
recounts them without the texts their modules removed. It runs before the modules
that erase the texts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afterward.commerce.privacy import plain
from afterward.insights.customer_models import (
    CustomerInsight,
    CustomerSubscription,
    ReplenishmentDate,
)
from afterward.insights.models import TextSentiment, TextTheme
from afterward.insights.recs_models import RecommendationItem
from afterward.privacy import changed, section

_FIELDS = ("source", "ref", "score", "model", "sku", "written_at")
_FIGURES = ("run_id", "segment", "rfm_recency", "rfm_frequency", "rfm_monetary", "p_alive",
            "churn_risk", "expected_orders_90d", "clv_minor", "currency", "next_order_due",
            "computed_at")
_DATES = ("run_id", "sku", "due_at", "interval_days", "basis")


def _written(session: Session, store_id: int, customer_id: int) -> list[TextSentiment]:
    return list(session.scalars(select(TextSentiment).where(
        TextSentiment.store_id == store_id, TextSentiment.customer_id == customer_id)
        .order_by(TextSentiment.id)))


@section("insights", order=10)
class InsightsSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
        figures = session.scalars(select(CustomerInsight).where(
            CustomerInsight.store_id == store_id, CustomerInsight.customer_id == customer_id)
            .order_by(CustomerInsight.run_id))
        dates = session.scalars(select(ReplenishmentDate).where(
            ReplenishmentDate.store_id == store_id,
            ReplenishmentDate.customer_id == customer_id)
            .order_by(ReplenishmentDate.run_id, ReplenishmentDate.sku))
        return {"text_sentiments": [{name: plain(getattr(row, name)) for name in _FIELDS}
                                    for row in _written(session, store_id, customer_id)],
                "customer_insights": [{name: plain(getattr(row, name)) for name in _FIGURES}
                                      for row in figures],
                "replenishment_dates": [{name: plain(getattr(row, name)) for name in _DATES}
                                        for row in dates],
                **_recommended(session, store_id, customer_id),
                **_subscribed(session, store_id, customer_id)}

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        refs = {(row.source, row.ref) for row in _written(session, store_id, customer_id)}
        removed = changed(session.execute(delete(TextSentiment).where(
            TextSentiment.store_id == store_id, TextSentiment.customer_id == customer_id)))
        themes = 0
        for theme in session.scalars(select(TextTheme).where(TextTheme.store_id == store_id)):
            kept = [e for e in theme.examples if (e.get("source"), e.get("ref")) not in refs]
            if len(kept) != len(theme.examples):
                theme.examples = kept
                themes += 1
        figures = changed(session.execute(delete(CustomerInsight).where(
            CustomerInsight.store_id == store_id, CustomerInsight.customer_id == customer_id)))
        dates = changed(session.execute(delete(ReplenishmentDate).where(
            ReplenishmentDate.store_id == store_id,
            ReplenishmentDate.customer_id == customer_id)))
        session.flush()
        return {"text_sentiments": removed, "text_themes": themes,
                "customer_insights": figures, "replenishment_dates": dates,
                **_erase_recommended(session, store_id, customer_id),
                **_erase_subscribed(session, store_id, customer_id)}


# Recommendations: the customer's fitted list (recs_store.py), exported and erased; the
# next recompute fits without their erased orders.
def _recommended(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    return {"recommendations": [{"sku": sku, "score": score} for sku, score in session.execute(
        select(RecommendationItem.sku, RecommendationItem.score).where(
            RecommendationItem.store_id == store_id,
            RecommendationItem.customer_id == customer_id)
        .order_by(RecommendationItem.run_id, RecommendationItem.position))]}


def _erase_recommended(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
    return {"recommendation_items": changed(session.execute(delete(RecommendationItem).where(
        RecommendationItem.store_id == store_id,
        RecommendationItem.customer_id == customer_id)))}


# Subscriptions (subscription_step.py): each run's, exported and erased.
_SUBSCRIPTIONS = ("run_id", "sku", "title", "source", "status", "orders", "interval_days",
                  "last_order_on", "next_renewal_on", "renewal_risk", "reasons")


def _subscribed(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    rows = session.scalars(select(CustomerSubscription).where(
        CustomerSubscription.store_id == store_id,
        CustomerSubscription.customer_id == customer_id)
        .order_by(CustomerSubscription.run_id, CustomerSubscription.sku))
    return {"customer_subscriptions": [{name: plain(getattr(row, name))
                                        for name in _SUBSCRIPTIONS} for row in rows]}


def _erase_subscribed(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
    return {"customer_subscriptions": changed(session.execute(delete(
        CustomerSubscription).where(CustomerSubscription.store_id == store_id,
                                    CustomerSubscription.customer_id == customer_id)))}
