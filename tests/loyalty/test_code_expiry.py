"""Loyalty's codes that lapsed unused are withdrawn by the periodic job
`loyalty.codes_expire`: cancelled once (a used code is never touched), pushed to the
store platform as the signed `code.cancelled` webhook a withdrawn code sends, with
`reason: expired`; a reward code's points come back once, only when the program
says so."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.events import Event
from afterward.loyalty import code_expiry
from afterward.loyalty.models import LoyaltyEntry
from afterward.loyalty.program import Program
from afterward.messaging.channels.webhook import verify
from afterward.storage.types import utcnow
from tests.messaging import conftest as messaging
from tests.messaging.conftest import run_jobs
from tests.periodic import chain_of

REWARDS = [{"key": "five-off", "name": "5 off", "points": 500, "discount_minor": 500,
            "expiry_days": 30},
           {"key": "ship", "name": "Free shipping", "points": 200, "free_shipping": True}]
LATER = timedelta(days=32)  # past the codes' 30 days and the grace

messaging_runtime = messaging.messaging_runtime  # the fixture, here too
receiver = messaging.receiver  # the fixture, here too


@pytest.fixture
def settings(settings):
    """The receiver stand-in listens on loopback."""
    return dataclasses.replace(settings, allow_private_urls=True)


def member(club, **program: Any) -> int:
    assert club.put_program(points_per_currency_unit=10, rewards=REWARDS,
                            **program).status_code == 200
    _, customer_id = club.order()
    assert club.adjust(customer_id, 2000, "start").status_code == 201
    return customer_id


def redeem(club, customer_id: int, reward: str, key: str) -> str:
    answer = club.client.post("/api/v1/loyalty/redemptions", headers=club.auth, json={
        "customer_id": customer_id, "reward": reward, "idempotency_key": key})
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["code"])


def expire(db, store_id: int, at) -> dict[str, int]:
    with db.transaction() as session:
        from afterward.loyalty import programs
        program = programs.active(session, store_id=store_id)
        assert program is not None
        return code_expiry.expire_store(session, store_id=store_id, program=program, now=at)


def statuses(db) -> dict[str, str]:
    with db.reading() as session:
        return {c.code: c.status for c in session.scalars(select(DiscountCode))}


def expiry_entries(db) -> list[tuple[str, int, str]]:
    with db.reading() as session:
        return [(e.kind, e.points, e.idempotency_key) for e in session.scalars(
            select(LoyaltyEntry).where(LoyaltyEntry.idempotency_key.like("code-expired:%")))]


def test_only_lapsed_unused_codes_are_withdrawn_and_points_stay_spent_by_default(club, db):
    customer_id = member(club)
    lapsing = redeem(club, customer_id, "five-off", "a")
    used = redeem(club, customer_id, "five-off", "b")
    forever = redeem(club, customer_id, "ship", "c")  # no expiry
    order_id, _ = club.order("1002")
    with db.transaction() as session:
        assert codes.mark_used(session, store_id=club.store.id, code=used, order_id=order_id)

    early = expire(db, club.store.id, utcnow() + timedelta(days=30, hours=12))  # in grace
    done = expire(db, club.store.id, utcnow() + LATER)

    assert (early, done) == ({"expired": 0, "refunded": 0}, {"expired": 1, "refunded": 0})
    assert statuses(db) == {lapsing: "cancelled", used: "used", forever: "issued"}
    assert club.points(customer_id) == (800, 0, 0)
    assert expiry_entries(db) == []
    with db.reading() as session:
        [event] = session.scalars(select(Event).where(Event.name == "code.cancelled"))
    assert (event.payload["reason"], event.payload["source"]) == ("expired", "loyalty")


def test_the_points_come_back_once_when_the_program_says_so(club, db):
    customer_id = member(club, refund_expired_rewards=True)
    code = redeem(club, customer_id, "five-off", "a")

    first = expire(db, club.store.id, utcnow() + LATER)
    second = expire(db, club.store.id, utcnow() + LATER + timedelta(hours=1))

    assert (first, second) == ({"expired": 1, "refunded": 1}, {"expired": 0, "refunded": 0})
    assert statuses(db) == {code: "cancelled"}
    assert club.points(customer_id) == (2000, 0, 0)
    with db.reading() as session:
        code_id = session.scalar(select(DiscountCode.id))
    assert expiry_entries(db) == [("redeem", 500, f"code-expired:{code_id}")]


def test_workers_running_at_once_withdraw_each_code_and_give_its_points_once(club, db):
    customer_id = member(club, refund_expired_rewards=True)
    for key in ("a", "b", "c"):
        redeem(club, customer_id, "five-off", key)
    at = utcnow() + LATER

    def work(_: int) -> dict[str, int]:
        from afterward.loyalty import programs
        return db.run(lambda session: code_expiry.expire_store(
            session, store_id=club.store.id, program=programs.load(
                session, store_id=club.store.id), now=at))

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(work, range(4)))

    assert (sum(d["expired"] for d in done), sum(d["refunded"] for d in done)) == (3, 3)
    assert set(statuses(db).values()) == {"cancelled"}
    assert club.points(customer_id) == (2000, 0, 0)
    assert len(expiry_entries(db)) == 3
    with db.reading() as session:
        assert len(session.scalars(select(Event.id).where(
            Event.name == "code.cancelled")).all()) == 3


def test_a_friends_referral_code_lapsed_is_withdrawn_without_points(club, db):
    referrer = member(club, refund_expired_rewards=True, referral={
        "enabled": True, "friend_discount_minor": 1000, "friend_code_days": 10})
    answer = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json={
        "friend_email": "bob@example.com", "referrer_customer_id": referrer})
    code = answer.json()["friend_code"]

    assert expire(db, club.store.id, utcnow() + timedelta(days=12)) == {
        "expired": 1, "refunded": 0}
    assert statuses(db)[code] == "cancelled"
    assert club.points(referrer) == (2000, 0, 0)


def test_the_platform_gets_the_signed_withdrawal_webhook_once(club, client, db, receiver):
    added = client.post("/api/v1/webhook-endpoints", headers=club.auth, json={
        "url": f"http://127.0.0.1:{receiver.port}/hooks"})
    assert added.status_code == 201, added.text
    customer_id = member(club)
    code = redeem(club, customer_id, "five-off", "a")
    run_jobs(db)
    receiver.requests.clear()

    expire(db, club.store.id, utcnow() + LATER)
    expire(db, club.store.id, utcnow() + LATER)
    run_jobs(db)

    [request] = receiver.requests
    body = json.loads(request["body"])
    assert verify(added.json()["secret"], request["body"],
                  request["headers"]["X-Afterward-Signature"], now=time.time())
    assert (body["type"], body["data"]["code"], body["data"]["status"],
            body["data"]["reason"]) == ("code.cancelled", code, "cancelled", "expired")


def test_the_job_withdraws_what_lapsed_and_schedules_its_next_slot(club, db):
    code = redeem(club, member(club), "five-off", "a")
    with db.transaction() as session:
        session.execute(update(DiscountCode).values(expires_at=utcnow() - timedelta(days=2)))
        due = code_expiry.ensure_scheduled(session, now=utcnow() - code_expiry.EVERY)
        again = code_expiry.ensure_scheduled(session, now=utcnow() - code_expiry.EVERY)

    run_jobs(db)

    assert due is not None and again is None
    assert statuses(db) == {code: "cancelled"}
    assert chain_of(db, code_expiry.EXPIRE_JOB) == [("done", False), ("queued", True)]


def test_the_program_keeps_expired_rewards_spent_unless_told():
    assert Program().refund_expired_rewards is False
    assert Program.model_validate({"refund_expired_rewards": True}).refund_expired_rewards
