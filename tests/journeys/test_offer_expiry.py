"""Journeys' personal codes that lapsed unused are withdrawn by the periodic job
`journeys.offers_expire`, as loyalty's reward codes are: cancelled once a day's grace
after they expired, in every store, with `code.cancelled` and `reason: expired` (one
withdrawn already, one within the grace, another source's code: left alone); the job
schedules its next slot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.events import Event
from afterward.journeys import offer_expiry, offers
from afterward.storage.types import utcnow
from tests.messaging.conftest import run_jobs
from tests.periodic import chain_of


def issue(db, store_id: int, expired_days_ago: float, source: str = offers.SOURCE) -> int:
    with db.transaction() as session:
        code = codes.issue(session, store_id=store_id, kind="discount", source=source,
                           percent=10, source_id="win_back",
                           expires_at=utcnow() + timedelta(days=30))
        code.expires_at = utcnow() - timedelta(days=expired_days_ago)  # lapsed since
        session.flush()
        return code.id


def state(db) -> dict[int, str]:
    with db.reading() as session:
        return {c.id: c.status for c in session.scalars(select(DiscountCode))}


def test_only_journey_codes_lapsed_past_the_grace_are_withdrawn_in_every_store(
        db, store, make_store):
    other = make_store("other")
    lapsed, other_lapsed = issue(db, store.id, 2), issue(db, other.id, 3)
    in_grace, loyalty_code = issue(db, store.id, 0.5), issue(db, store.id, 2, "loyalty")
    withdrawn_before = issue(db, store.id, 2)
    with db.transaction() as session:
        earlier = session.get(DiscountCode, withdrawn_before)
        assert earlier is not None and codes.cancel(session, code=earlier)

    with db.transaction() as session:
        withdrawn = offer_expiry.expire(session)
    with db.transaction() as session:
        again = offer_expiry.expire(session)

    assert (withdrawn, again) == (2, 0)
    assert state(db) == {lapsed: "cancelled", other_lapsed: "cancelled", in_grace: "issued",
                         loyalty_code: "issued", withdrawn_before: "cancelled"}
    with db.reading() as session:
        told = [(e.subject_id, e.payload.get("reason")) for e in session.scalars(
            select(Event).where(Event.name == "code.cancelled").order_by(Event.id))]
    assert told == [(withdrawn_before, None), (lapsed, "expired"), (other_lapsed, "expired")]


def test_the_job_withdraws_what_lapsed_and_schedules_its_next_slot(db, store):
    code = issue(db, store.id, 2)
    with db.transaction() as session:
        due = offer_expiry.ensure_scheduled(session, now=utcnow() - offer_expiry.EVERY)
        again = offer_expiry.ensure_scheduled(session, now=utcnow() - offer_expiry.EVERY)

    run_jobs(db)

    assert due is not None and again is None
    assert state(db) == {code: "cancelled"}
    assert chain_of(db, offer_expiry.EXPIRE_JOB) == [("done", False), ("queued", True)]
