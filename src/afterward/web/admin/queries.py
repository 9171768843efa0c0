"""Read-only figures the admin pages show, always for one store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer, Order, full_name
from afterward.events import Event
from afterward.jobs import Job, JobStatus
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status

_STATUS_ORDER = {status.value: n for n, status in enumerate(Status)}


@dataclass(frozen=True)
class Dashboard:
    """The figures beside the sales charts (commerce.sales_over_time has those)."""

    customers: int
    shipments_by_status: list[tuple[str, int]]
    dead_jobs: int


def dashboard(session: Session, *, store_id: int) -> Dashboard:
    customers = session.scalar(
        select(func.count(Customer.id)).where(Customer.store_id == store_id)) or 0
    by_status = session.execute(
        select(Shipment.status, func.count(Shipment.id))
        .where(Shipment.store_id == store_id).group_by(Shipment.status)).all()
    dead = session.scalar(select(func.count(Job.id)).where(
        Job.store_id == store_id, Job.status == JobStatus.dead.value)) or 0
    return Dashboard(
        customers=int(customers),
        shipments_by_status=sorted(((s, int(n)) for s, n in by_status),
                                   key=lambda row: _STATUS_ORDER.get(row[0], 99)),
        dead_jobs=int(dead),
    )


def customer_labels(session: Session, *, store_id: int,
                    customer_ids: set[int | None]) -> dict[int, str]:
    """Each customer's name, else email, else phone, for lists that name customers;
    a customer with none of them (erased) is left out."""
    wanted = sorted(i for i in customer_ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(select(
        Customer.id, Customer.first_name, Customer.last_name, Customer.email, Customer.phone)
        .where(Customer.store_id == store_id, Customer.id.in_(wanted)))
    labels = {row.id: full_name(row.first_name, row.last_name) or row.email or row.phone
              for row in rows}
    return {customer_id: label for customer_id, label in labels.items() if label}


def order_history(session: Session, *, store_id: int, order_id: int,
                  shipment_ids: list[int]) -> list[Event]:
    """The order's own events and its shipments' events, oldest first."""
    about_order = (Event.subject_type == "order") & (Event.subject_id == order_id)
    about_shipments = (Event.subject_type == "shipment") & Event.subject_id.in_(shipment_ids)
    stmt = (select(Event)
            .where(Event.store_id == store_id, or_(about_order, about_shipments))
            .order_by(Event.occurred_at, Event.id).limit(500))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class CustomerStats:
    orders: int
    cancelled: int
    spent: list[tuple[str, int]]  # (currency, minor units), net of refunds
    first_order_at: datetime | None
    last_order_at: datetime | None


def customer_stats(session: Session, *, store_id: int, customer_id: int) -> CustomerStats:
    """Counted from the orders themselves, so a stale stats job never shows here."""
    mine = (Order.store_id == store_id) & (Order.customer_id == customer_id)
    kept = mine & (Order.status != "cancelled")
    orders = session.scalar(select(func.count(Order.id)).where(kept)) or 0
    cancelled = session.scalar(
        select(func.count(Order.id)).where(mine, Order.status == "cancelled")) or 0
    spent = session.execute(
        select(Order.currency, func.sum(Order.total_minor - Order.refunded_minor))
        .where(kept).group_by(Order.currency).order_by(Order.currency)).all()
    first = session.scalar(select(Order.placed_at).where(kept).order_by(Order.placed_at).limit(1))
    last = session.scalar(
        select(Order.placed_at).where(kept).order_by(Order.placed_at.desc()).limit(1))
    return CustomerStats(int(orders), int(cancelled),
                         [(currency, int(total or 0)) for currency, total in spent], first, last)
