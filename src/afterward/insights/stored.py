"""Reading what insights/recompute.py stored: always from the store's latest finished
run, so whoever reads (the API, the admin, the journeys' facts, the templates) sees
one run, never half of two. Light imports: the journeys' facts import this."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.insights.customer_models import (
    CustomerInsight,
    CustomerSubscription,
    InsightRun,
    ReplenishmentDate,
)


def _finished(store_id: int, what: Any) -> Any:
    return select(what).where(InsightRun.store_id == store_id,
                              InsightRun.status == "finished") \
        .order_by(InsightRun.id.desc()).limit(1)


def latest_run(session: Session, store_id: int) -> InsightRun | None:
    return session.scalar(_finished(store_id, InsightRun))


def latest_run_id(session: Session, store_id: int) -> int | None:
    return session.scalar(_finished(store_id, InsightRun.id))


def of_customer(session: Session, *, store_id: int, customer_id: int
                ) -> CustomerInsight | None:
    run_id = latest_run_id(session, store_id)
    if run_id is None:
        return None
    return session.scalar(select(CustomerInsight).where(
        CustomerInsight.run_id == run_id, CustomerInsight.store_id == store_id,
        CustomerInsight.customer_id == customer_id))


def replenishment(session: Session, *, store_id: int, customer_id: int,
                  skus: list[str] | None = None) -> list[ReplenishmentDate]:
    """The customer's replenishment dates of the latest run, soonest first."""
    return _customers_rows(session, ReplenishmentDate, store_id, customer_id, skus,
                           ReplenishmentDate.due_at)


def subscriptions(session: Session, *, store_id: int, customer_id: int,
                  skus: list[str] | None = None) -> list[CustomerSubscription]:
    """The customer's subscriptions of the latest run, next renewal first."""
    return _customers_rows(session, CustomerSubscription, store_id, customer_id, skus,
                           CustomerSubscription.next_renewal_on)


Rows = TypeVar("Rows", ReplenishmentDate, CustomerSubscription)


def _customers_rows(session: Session, model: type[Rows], store_id: int, customer_id: int,
                    skus: list[str] | None, first: Any) -> list[Rows]:
    """The customer's rows of the latest run (those of `skus` only, if given), by
    `first`, then sku."""
    run_id = latest_run_id(session, store_id)
    if run_id is None:
        return []
    query = select(model).where(model.run_id == run_id, model.store_id == store_id,
                                model.customer_id == customer_id)
    if skus is not None:
        query = query.where(model.sku.in_(skus))
    return list(session.scalars(query.order_by(first, model.sku)))


def renewals_at_risk(session: Session, *, store_id: int, since: date, until: date,
                     threshold: float, limit: int = 50) -> list[CustomerSubscription]:
    """Active subscriptions of the latest run renewing between `since` and `until`
    (both included) with a risk of at least `threshold`, soonest first."""
    run_id = latest_run_id(session, store_id)
    if run_id is None:
        return []
    return list(session.scalars(select(CustomerSubscription).where(
        CustomerSubscription.run_id == run_id, CustomerSubscription.store_id == store_id,
        CustomerSubscription.status == "active",
        CustomerSubscription.next_renewal_on >= since,
        CustomerSubscription.next_renewal_on <= until,
        CustomerSubscription.renewal_risk >= threshold)
        .order_by(CustomerSubscription.next_renewal_on,
                  CustomerSubscription.renewal_risk.desc(), CustomerSubscription.customer_id,
                  CustomerSubscription.sku).limit(limit)))


def subscription_dict(row: CustomerSubscription) -> dict[str, Any]:
    """A subscription as the API, the facts and the templates give it."""
    return {"sku": row.sku, "title": row.title, "source": row.source, "status": row.status,
            "orders": int(row.orders), "interval_days": round(float(row.interval_days), 2),
            "last_order_on": row.last_order_on, "next_renewal_on": row.next_renewal_on,
            "renewal_risk": round(float(row.renewal_risk), 4),
            "reasons": [str(r) for r in (row.reasons or [])]}


def as_dict(row: CustomerInsight) -> dict[str, Any]:
    """The figures as the API, the facts and the templates give them."""
    return {"segment": row.segment, "churn_risk": row.churn_risk,
            "p_alive": round(float(row.p_alive), 4),
            "expected_orders_90d": round(float(row.expected_orders_90d), 3),
            "clv_minor": int(row.clv_minor), "currency": row.currency,
            "next_order_due": row.next_order_due,
            "rfm": {"recency": row.rfm_recency, "frequency": row.rfm_frequency,
                    "monetary": row.rfm_monetary},
            "computed_at": row.computed_at}


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
