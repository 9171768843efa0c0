"""A shop whose returns get EasyPost labels (the stand-in on loopback), and helpers to
run the worker's jobs, scan the return parcel and let returns read the scans."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from afterward.jobs import Job
from afterward.returns import inbound
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status
from afterward.worker import Worker
from tests.returns.conftest import Shop, make_shop
from tests.returns.easypost_standin import easypost

__all__ = ["easypost"]  # a fixture

WAREHOUSE = {"name": "Acme Returns", "street1": "Lagerstrasse 1", "city": "Hamburg",
             "zip": "20095", "country": "DE", "phone": "+49401234567"}
ADDRESS = {"name": "Ada Lovelace", "address1": "Invalidenstrasse 5", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


@pytest.fixture
def carrier_shop(client, db, store, easypost) -> Shop:
    shop = make_shop(client, db, store, shipping_address=ADDRESS)
    shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE)
    return shop


def run_jobs(db: Database, *, kind: str | None = None, limit: int = 50) -> int:
    """Run every job due now (the retries too: their backoff is skipped)."""
    ran = 0
    for _ in range(limit):
        with db.transaction() as session:
            query = update(Job).where(Job.status == "queued")
            if kind is not None:  # only these are due
                session.execute(update(Job).where(Job.status == "queued", Job.kind != kind)
                                .values(run_at=utcnow() + timedelta(hours=1)))
                query = query.where(Job.kind == kind)
            session.execute(query.values(run_at=utcnow() - timedelta(seconds=1)))
        if not Worker(db, name="test").step():
            break
        ran += 1
    return ran


def job_states(db: Database, kind: str) -> list[tuple[str, int]]:
    with db.reading() as session:
        return [(job.status, job.attempts) for job in session.scalars(
            select(Job).where(Job.kind == kind).order_by(Job.id))]


def scan(db: Database, shipment_id: int, status: Status, at: datetime | None = None,
         message: str = "scan") -> None:
    """A carrier's scan of the parcel, as a webhook or a poll adds it."""
    with db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        tracking.add_events(session, shipment=shipment, events=[CarrierEvent(
            occurred_at=at or utcnow(), status=status, provider="easypost",
            provider_status=status.value, message=message, location="Hamburg")])


def consume(db: Database) -> int:
    read, _ = inbound.consume_behind(db)
    return read


def approved_with_label(shop: Shop, db: Database, **request: Any) -> dict[str, Any]:
    made = shop.request(**request)
    assert made.status_code == 201, made.text
    run_jobs(db)
    body = shop.get(f"/api/v1/returns/{made.json()['id']}").json()
    assert body["status"] == "label_issued", body
    return body
