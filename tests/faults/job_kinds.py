"""Every job kind the real handlers register, each with a realistic job built through
the real services (`arrange`) and what its effect must be once the job is done,
counted exactly (`check`). A worker is killed inside each kind's handler
(test_killed_inside_every_job_kind.py); these say what must survive that."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from afterward import jobs, retention
from afterward.commerce import codes
from afterward.commerce import service as commerce
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Customer, Order
from afterward.commerce.schemas import CustomerIn, OrderIn
from afterward.events import Event
from afterward.insights import recompute_jobs
from afterward.insights import words as insight_words
from afterward.insights.customer_models import CustomerInsight, InsightRun
from afterward.insights.models import TextSentiment
from afterward.jobs import Job
from afterward.journeys import builtins, consumer, enrolments, offer_expiry, offers
from afterward.journeys.models import Enrolment, EnrolmentStep, Journey
from afterward.loyalty import code_expiry as loyalty_code_expiry
from afterward.loyalty import consumer as loyalty_consumer
from afterward.loyalty import ledger as loyalty_ledger
from afterward.loyalty import programs as loyalty_programs
from afterward.loyalty import redemptions as loyalty_redemptions
from afterward.loyalty import tick as loyalty_tick
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.loyalty.program import Program
from afterward.messaging import preparing
from afterward.messaging import service as messaging
from afterward.messaging.models import Message, MessageBody
from afterward.returns import facts as return_facts
from afterward.returns import service as returns
from afterward.returns.models import RefundRequest, Return
from afterward.returns.policy import Policy, ReturnAddress
from afterward.returns.schemas import ReceiveIn, ReturnIn
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import overdue, polling, replay
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment, TrackingEvent
from afterward.tracking.polling_models import CarrierPoll
from afterward.tracking.statuses import Status
from tests.factories import order_body
from tests.faults.helpers import assert_each_sent_and_received_once, count
from tests.insights.customers_scene import add_customer
from tests.insights.test_words import BAGS as WORDS_BAGS
from tests.insights.test_words import TEES as WORDS_TEES
from tests.insights.words_scene import add_reviews
from tests.messaging.conftest import Mailbox

Facts = dict[str, Any]


@dataclass(frozen=True)
class World:
    db: Database
    store_id: int
    mailbox: Mailbox  # what the test's SMTP server received
    easypost: Any = None  # the EasyPost stand-in the workers buy return labels from


@dataclass(frozen=True)
class Scenario:
    arrange: Callable[[World], Facts]
    check: Callable[[World, Facts], None]


# --- building through the real services ---------------------------------------------

PLACED_AT = utcnow().replace(microsecond=0)  # recent enough for the journeys' triggers


def place_order(world: World, number: str, email: str = "ada@example.com") -> tuple[int, int]:
    """An order from the API's shape (a customer is found or made); (order, customer)."""
    body = order_body(number, email=email, placed_at=PLACED_AT.isoformat(),
                      customer={"email": email, "first_name": "Ada"})
    with world.db.transaction() as session:
        order_id, _ = commerce.write_order(session, store_id=world.store_id,
                                           data=OrderIn.model_validate(body))
        customer_id = session.scalar(select(Order.customer_id).where(Order.id == order_id))
    assert customer_id is not None
    return order_id, customer_id


def ship(world: World, order_id: int, *, shipped_at: datetime | None = None,
         status: Status = Status.in_transit) -> int:
    with world.db.transaction() as session:
        shipment, _ = tracking.upsert_shipment(
            session, store_id=world.store_id, order_id=order_id, draft=tracking.ShipmentDraft(
                external_id=f"f-{order_id}", carrier="ups", service="ground",
                tracking_number="1Z999AA10123456784", status=status,
                shipped_at=shipped_at or utcnow() - timedelta(hours=1)))
        return shipment.id


def queue_confirmation(world: World, order_id: int, customer_id: int) -> int:
    with world.db.transaction() as session:
        return messaging.queue_message(
            session, store_id=world.store_id, channel="email", purpose="transactional",
            category="order_confirmation", template_key="order_confirmation",
            idempotency_key=f"confirm:{order_id}", customer_id=customer_id,
            refs={"order_id": order_id}).id


def install_journeys(world: World) -> None:
    with world.db.transaction() as session:
        builtins.install(session, store_id=world.store_id)


def statuses_of_jobs(world: World, kind: str) -> Counter[str]:
    with world.db.reading() as session:
        return Counter(session.scalars(select(Job.status).where(Job.kind == kind)))


# --- commerce and the jobs table -------------------------------------------------------

def arrange_refresh_stats(world: World) -> Facts:
    _, customer_id = place_order(world, "A-1")  # enqueues customers.refresh_stats
    return {"customer_id": customer_id}


def check_refresh_stats(world: World, facts: Facts) -> None:
    with world.db.reading() as session:
        customer = session.get(Customer, facts["customer_id"])
        assert customer is not None
        assert (customer.orders_count, customer.total_spent_minor) == (1, 3495)
        assert customer.first_order_at == PLACED_AT


def arrange_purge(world: World) -> Facts:
    now = utcnow()
    with world.db.transaction() as session:
        old, fresh = (jobs.enqueue(session, "customers.refresh_stats", {"customer_id": 0})
                      for _ in range(2))
        for job_id, at in ((old, now - timedelta(days=8)), (fresh, now - timedelta(days=1))):
            session.execute(update(Job).where(Job.id == job_id).values(
                status="done", run_at=at, finished_at=at, attempts=1))
        jobs.enqueue(session, retention.PURGE_JOB, {"keep_days": 7})
    return {"old": old, "fresh": fresh}


def check_purge(world: World, facts: Facts) -> None:
    with world.db.reading() as session:
        kept = list(session.scalars(select(Job.id).where(
            Job.id.in_([facts["old"], facts["fresh"]]))))
    assert kept == [facts["fresh"]]
    # the next run, once (the worker's start-up asks for the same slot)
    assert statuses_of_jobs(world, retention.PURGE_JOB) == {"done": 1, "queued": 1}


# --- messaging --------------------------------------------------------------------------

def arrange_prepare(world: World) -> Facts:
    order_id, customer_id = place_order(world, "M-1")
    return {"messages": [queue_confirmation(world, order_id, customer_id)]}


def prepare_now(world: World, message_ids: list[int]) -> None:
    """The prepare step in this process (its send job is what the worker gets)."""
    with world.db.transaction() as session:
        outcomes = preparing.prepare_many(session, message_ids=message_ids, now=utcnow())
    assert set(outcomes.values()) == {"ready"}


def arrange_send(world: World) -> Facts:
    facts = arrange_prepare(world)
    prepare_now(world, facts["messages"])
    return facts


def arrange_send_batch(world: World) -> Facts:
    ids = [queue_confirmation(world, *place_order(world, f"B-{n}", f"buyer{n}@example.com"))
           for n in range(3)]
    prepare_now(world, ids)  # three together: one send_batch job
    return {"messages": ids}


def check_messages_sent_once(world: World, facts: Facts) -> None:
    ids = facts["messages"]
    assert_each_sent_and_received_once(world.db, world.mailbox, ids)
    assert count(world.db, MessageBody, MessageBody.message_id.in_(ids)) == len(ids)
    with world.db.reading() as session:
        attempts = session.scalars(select(Message.send_attempts).where(Message.id.in_(ids)))
        assert list(attempts) == [1] * len(ids)


# --- journeys ---------------------------------------------------------------------------

ORDER_JOURNEYS = {"order_confirmation": 1, "second_purchase": 1}


def enrolled(world: World) -> Counter[str]:
    with world.db.reading() as session:
        return Counter(session.scalars(select(Journey.key).join(
            Enrolment, Enrolment.journey_id == Journey.id)
            .where(Enrolment.store_id == world.store_id)))


def confirmations(world: World) -> list[int]:
    with world.db.reading() as session:
        return list(session.scalars(select(Message.id).where(
            Message.store_id == world.store_id, Message.category == "order_confirmation")))


def arrange_consume(world: World) -> Facts:
    install_journeys(world)  # starts the store's consumer from here on
    place_order(world, "J-1")  # order.created, for the consume job to find
    return {}


def check_order_journeys(world: World, facts: Facts) -> None:
    assert enrolled(world) == ORDER_JOURNEYS
    sent = confirmations(world)
    assert len(sent) == 1
    assert_each_sent_and_received_once(world.db, world.mailbox, sent)
    assert count(world.db, EnrolmentStep, EnrolmentStep.kind == "send",
                 EnrolmentStep.step_key == "confirm") == 1


def arrange_step(world: World) -> Facts:
    arrange_consume(world)
    with world.db.transaction() as session:  # enrolled here; the step jobs are the worker's
        consumer.consume(session, store_id=world.store_id, now=utcnow())
    assert statuses_of_jobs(world, enrolments.STEP_JOB)["queued"] == sum(ORDER_JOURNEYS.values())
    return {}


def arrange_scan(world: World) -> Facts:
    install_journeys(world)
    with world.db.transaction() as session:
        customer_id, _ = commerce.save_customer(session, store_id=world.store_id, data=CustomerIn(
            email="grace@example.com", first_name="Grace", birthday=date(1990, *_today())))
    return {"customer_id": customer_id}


def _today() -> tuple[int, int]:
    today = utcnow().date()
    return today.month, today.day


def check_scan(world: World, facts: Facts) -> None:
    assert count(world.db, Event, Event.name == "customer.birthday",
                 Event.subject_id == facts["customer_id"]) == 1


# --- tracking ---------------------------------------------------------------------------

def arrange_check_overdue(world: World) -> Facts:
    order_id, _ = place_order(world, "T-1")
    shipment_id = ship(world, order_id, shipped_at=datetime(2024, 6, 3, tzinfo=UTC),
                       status=Status.pending)
    moved = datetime(2024, 6, 6, tzinfo=UTC)  # promised for 2024-06-11, silent since
    with world.db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        tracking.add_events(session, shipment=shipment, now=datetime(2024, 6, 3, 12, tzinfo=UTC),
                            events=[CarrierEvent(occurred_at=moved, status=Status.in_transit,
                                                 provider="ups", provider_status="I",
                                                 message="scan", location=None)])
        jobs.enqueue(session, overdue.CHECK_JOB, {"store_id": world.store_id},
                     store_id=world.store_id)
    return {"shipment_id": shipment_id}


def check_check_overdue(world: World, facts: Facts) -> None:
    with world.db.reading() as session:
        names = Counter(session.scalars(select(Event.name).where(
            Event.subject_type == "shipment", Event.subject_id == facts["shipment_id"],
            Event.name.in_(["shipment.delayed", "shipment.stalled"]))))
    assert names == {"shipment.delayed": 1, "shipment.stalled": 1}


FAST = 1e7  # a replay this many times as fast: every recorded event is due at once


def arrange_poll(world: World) -> Facts:
    order_id, _ = place_order(world, "P-1")
    shipment_id = ship(world, order_id)
    with world.db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        replay.replay_into(session, shipment=shipment, speed=FAST,
                           recording=replay.load_recording("normal_delivery"))
    return {"shipment_id": shipment_id}


def arrange_schedule_polls(world: World) -> Facts:
    facts = arrange_poll(world)
    with world.db.transaction() as session:  # the round's job is lost: the scheduler finds it
        session.execute(delete(Job).where(Job.kind == polling.POLL_JOB))
        jobs.enqueue(session, polling.SCHEDULE_JOB, {})
    return facts


def arrange_start_replay(world: World) -> Facts:
    order_id, _ = place_order(world, "R-1")
    shipment_id = ship(world, order_id)
    with world.db.transaction() as session:
        jobs.enqueue(session, replay.START_JOB, {"recordings": ["normal_delivery"],
                                                 "speed": FAST}, store_id=world.store_id)
    return {"shipment_id": shipment_id}


def check_replayed_once(world: World, facts: Facts) -> None:
    shipment_id = facts["shipment_id"]
    with world.db.reading() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None and shipment.status == "delivered"
        statuses = list(session.scalars(select(TrackingEvent.status).where(
            TrackingEvent.shipment_id == shipment_id).order_by(TrackingEvent.occurred_at)))
        polls = list(session.scalars(select(CarrierPoll).where(
            CarrierPoll.shipment_id == shipment_id)))
    # the hand-over's scan, then the recording from that stage on, each event once
    assert statuses == ["in_transit"] * 5 + ["out_for_delivery", "delivered"]
    assert [(p.active, p.stopped_reason) for p in polls] == [(False, "delivered")]
    assert count(world.db, Event, Event.name == "shipment.delivered",
                 Event.subject_id == shipment_id) == 1


# --- returns ----------------------------------------------------------------------------

def arrange_publish_refund(world: World) -> Facts:
    """A return received and refunded: its refund goes to the store's webhook endpoint."""
    order_id, _ = place_order(world, "RET-1")
    ship(world, order_id)
    with world.db.transaction() as session:
        messaging.add_webhook_endpoint(session, store_id=world.store_id,
                                       url="https://refunds.invalid/hook")
        rma, _ = returns.request_return(session, store_id=world.store_id,
                                        data=ReturnIn.model_validate({
                                            "order_number": "RET-1", "resolution": "refund",
                                            "lines": [{"sku": "MUG-1", "quantity": 1,
                                                       "reason": "changed_mind"}]}))
        returns.receive(session, rma=rma, data=ReceiveIn.model_validate(
            {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "damaged"}]}))
        return {"return_id": rma.id}


def check_refund_published_once(world: World, facts: Facts) -> None:
    assert count(world.db, RefundRequest, RefundRequest.return_id == facts["return_id"]) == 1
    with world.db.reading() as session:
        bodies = list(session.scalars(select(Message.payload).where(
            Message.store_id == world.store_id, Message.category == "return.refund_requested")))
    assert [body["body"]["data"]["amount_minor"] for body in bodies] == [1200]


def arrange_carrier_label(world: World) -> Facts:
    """An approved return whose EasyPost label the worker buys (the stand-in)."""
    with world.db.transaction() as session:
        return_facts.save_policy(session, store_id=world.store_id, policy=Policy(
            label_carrier="easypost", return_address=ReturnAddress(
                name="Acme Returns", street1="Lagerstrasse 1", city="Hamburg", zip="20095",
                country="DE", phone="+49401234567")))
    body = order_body("RET-L", email="ada@example.com", placed_at=PLACED_AT.isoformat(),
                      shipping_address={"name": "Ada Lovelace",
                                        "address1": "Invalidenstrasse 5", "city": "Berlin",
                                        "postal_code": "10115", "country": "DE"})
    with world.db.transaction() as session:
        order_id, _ = commerce.write_order(session, store_id=world.store_id,
                                           data=OrderIn.model_validate(body))
    ship(world, order_id)
    with world.db.transaction() as session:
        rma, _ = returns.request_return(session, store_id=world.store_id,
                                        data=ReturnIn.model_validate({
                                            "order_number": "RET-L", "resolution": "refund",
                                            "lines": [{"sku": "MUG-1", "quantity": 1,
                                                       "reason": "changed_mind"}]}))
        assert rma.label_status == "pending"
        return {"return_id": rma.id}


def check_label_bought_once(world: World, facts: Facts) -> None:
    assert len(world.easypost.bought) == 1
    with world.db.reading() as session:
        rma = session.get(Return, facts["return_id"])
        assert rma is not None
        assert (rma.status, rma.label_status) == ("label_issued", "issued")
        parcels = list(session.scalars(select(Shipment).where(
            Shipment.store_id == world.store_id, Shipment.direction == "inbound")))
    assert [p.id for p in parcels] == [rma.inbound_shipment_id]
    assert count(world.db, Event, Event.name == "return.label_issued",
                 Event.subject_id == facts["return_id"]) == 1


# --- loyalty ----------------------------------------------------------------------------

def arrange_loyalty_tick(world: World) -> Facts:
    """Points of an order delivered 40 days ago, pending until 30 days after delivery:
    the periodic pass releases them."""
    delivered = utcnow() - timedelta(days=40)
    with world.db.transaction() as session:
        loyalty_programs.save(session, store_id=world.store_id,
                              program=Program(pending_days=30))
    order_id, customer_id = place_order(world, "LOY-1")
    ship(world, order_id, shipped_at=delivered - timedelta(days=2))
    with world.db.transaction() as session:
        shipment = session.scalar(select(Shipment).where(Shipment.order_id == order_id))
        assert shipment is not None
        tracking.add_event(session, shipment=shipment, event=CarrierEvent(
            occurred_at=delivered, status=Status.delivered, provider="ups",
            provider_status="D", message="Delivered", location="Berlin, DE"))
    loyalty_consumer.consume_behind(world.db)
    with world.db.transaction() as session:
        # this quarter hour's pass, due now
        assert loyalty_tick.ensure_scheduled(
            session, now=utcnow() - loyalty_tick.TICK_EVERY) is not None
    return {"customer_id": customer_id}


def check_points_released_once(world: World, facts: Facts) -> None:
    with world.db.reading() as session:
        account = session.scalar(select(LoyaltyAccount).where(
            LoyaltyAccount.customer_id == facts["customer_id"]))
        assert account is not None
        releases = list(session.scalars(select(LoyaltyEntry.points).where(
            LoyaltyEntry.account_id == account.id, LoyaltyEntry.kind == "release")))
    # 2 teas (9.00), a mug (12.00) and 3 cups (9.00): 30 points, released once
    assert (account.points_balance, account.points_pending, releases) == (30, 0, [30])


def arrange_loyalty_codes_expire(world: World) -> Facts:
    """A reward code redeemed for 500 of 800 points, lapsed two days ago, in a program
    that gives expired rewards' points back; this hour's job, due now."""
    program = Program(rewards=[{"key": "five-off", "name": "5 off", "points": 500,
                                "discount_minor": 500}], refund_expired_rewards=True)
    _, customer_id = place_order(world, "LOY-2")
    with world.db.transaction() as session:
        loyalty_programs.save(session, store_id=world.store_id, program=program)
        loyalty_ledger.adjust(session, store_id=world.store_id, customer_id=customer_id,
                              points=800, reason="start", key="start")
        code = loyalty_redemptions.redeem(session, store_id=world.store_id,
                                          customer_id=customer_id, program=program,
                                          reward_key="five-off").code
        code.expires_at = utcnow() - timedelta(days=2)
        assert loyalty_code_expiry.ensure_scheduled(
            session, now=utcnow() - loyalty_code_expiry.EVERY) is not None
    return {"customer_id": customer_id, "code_id": code.id}


def check_code_expired_once(world: World, facts: Facts) -> None:
    with world.db.reading() as session:
        code = session.get(DiscountCode, facts["code_id"])
        assert code is not None
        account = session.scalar(select(LoyaltyAccount).where(
            LoyaltyAccount.customer_id == facts["customer_id"]))
        assert account is not None
        back = list(session.scalars(select(LoyaltyEntry.points).where(
            LoyaltyEntry.idempotency_key == f"code-expired:{code.id}")))
        withdrawals = session.scalars(select(Event.id).where(
            Event.name == "code.cancelled", Event.subject_id == code.id)).all()
    assert (code.status, account.points_balance, back, len(withdrawals)) == (
        "cancelled", 800, [500], 1)


def arrange_journey_offers_expire(world: World) -> Facts:
    """A journey's personal code that lapsed two days ago; this hour's job, due now."""
    with world.db.transaction() as session:
        code = codes.issue(session, store_id=world.store_id, kind="discount",
                           source=offers.SOURCE, percent=10, source_id="win_back",
                           expires_at=utcnow() + timedelta(days=30))
        code.expires_at = utcnow() - timedelta(days=2)  # lapsed since
        assert offer_expiry.ensure_scheduled(
            session, now=utcnow() - offer_expiry.EVERY) is not None
    return {"code_id": code.id}


def check_offer_withdrawn_once(world: World, facts: Facts) -> None:
    with world.db.reading() as session:
        code = session.get(DiscountCode, facts["code_id"])
        assert code is not None
        withdrawals = session.scalars(select(Event.payload).where(
            Event.name == "code.cancelled", Event.subject_id == code.id)).all()
    assert (code.status, [w.get("reason") for w in withdrawals]) == ("cancelled", ["expired"])


# --- insights: what customers' words say ------------------------------------------------

def arrange_words(world: World) -> Facts:
    """Eight reviews of two kinds; the store's recompute job."""
    add_reviews(world.db, world.store_id, WORDS_BAGS + WORDS_TEES)
    with world.db.transaction() as session:
        assert insight_words.enqueue(session, world.store_id) is not None
    return {}


def check_words_once(world: World, facts: Facts) -> None:
    assert count(world.db, TextSentiment, TextSentiment.store_id == world.store_id) == 8
    with world.db.reading() as session:
        run, themes = insight_words.latest(session, world.store_id)
    assert run is not None and (run.run, run.texts, run.themes) == (1, 8, 2)
    assert [t.label for t in themes] == ["lovely colour, soft fabric, fabric lovely",
                                         "zipper broke"]


def arrange_words_nightly(world: World) -> Facts:
    """Last night's pass, due now: it enqueues the store's recompute and tomorrow's."""
    add_reviews(world.db, world.store_id, WORDS_BAGS + WORDS_TEES)
    with world.db.transaction() as session:
        assert insight_words.ensure_scheduled(
            session, now=utcnow() - timedelta(days=1)) is not None
    return {}


def check_words_nightly_once(world: World, facts: Facts) -> None:
    check_words_once(world, facts)
    assert count(world.db, Job, Job.kind == insight_words.JOB) == 1
    assert count(world.db, Job, Job.kind == insight_words.NIGHTLY_JOB,
                 Job.status == "queued") == 1


# --- insights: recommendations ----------------------------------------------------------

def arrange_recommendations(world: World) -> Facts:
    """The tiny tea shop's seven orders; the store's recommendations job."""
    from afterward.insights import recs_store
    from tests.insights import recs_scene

    recs_scene.build(world.db, world.store_id)
    with world.db.transaction() as session:
        assert recs_store.enqueue(session, world.store_id) is not None
    return {}


def check_recommendations_once(world: World, facts: Facts) -> None:
    from afterward.insights.recs_models import RecommendationPair, RecommendationRun

    assert count(world.db, RecommendationRun, RecommendationRun.store_id == world.store_id,
                 RecommendationRun.finished_at.is_not(None)) == 1
    assert count(world.db, RecommendationPair,
                 RecommendationPair.store_id == world.store_id) == 6


# --- insights: what each customer is worth ---------------------------------------------

def arrange_recompute(world: World) -> Facts:
    """Three customers with orders; the store's recompute job."""
    for n, orders in enumerate(([(10, 5000)], [(90, 2000), (30, 2500)], [(300, 1000)])):
        add_customer(world.db, world.store_id, f"c{n}@example.com", orders)
    with world.db.transaction() as session:
        assert recompute_jobs.enqueue(session, world.store_id) is not None
    return {}


def check_recomputed_once(world: World, facts: Facts) -> None:
    assert count(world.db, InsightRun, InsightRun.store_id == world.store_id) == 1
    assert count(world.db, CustomerInsight, CustomerInsight.store_id == world.store_id) == 3


def arrange_recompute_nightly(world: World) -> Facts:
    """Last night's pass, due now: it enqueues the store's recompute and tomorrow's."""
    arrange = arrange_recompute(world)
    with world.db.transaction() as session:
        session.execute(delete(Job).where(Job.kind == recompute_jobs.JOB))
        assert recompute_jobs.ensure_scheduled(
            session, now=utcnow() - timedelta(days=1)) is not None
    return arrange


def check_recompute_nightly_once(world: World, facts: Facts) -> None:
    check_recomputed_once(world, facts)
    assert count(world.db, Job, Job.kind == recompute_jobs.JOB) == 1
    assert count(world.db, Job, Job.kind == recompute_jobs.NIGHTLY_JOB,
                 Job.status == "queued") == 1


SCENARIOS: dict[str, Scenario] = {
    "customers.refresh_stats": Scenario(arrange_refresh_stats, check_refresh_stats),
    "jobs.purge": Scenario(arrange_purge, check_purge),
    "journeys.consume": Scenario(arrange_consume, check_order_journeys),
    "journeys.scan": Scenario(arrange_scan, check_scan),
    "journeys.step": Scenario(arrange_step, check_order_journeys),
    "messaging.prepare": Scenario(arrange_prepare, check_messages_sent_once),
    "messaging.send": Scenario(arrange_send, check_messages_sent_once),
    "messaging.send_batch": Scenario(arrange_send_batch, check_messages_sent_once),
    "tracking.check_overdue": Scenario(arrange_check_overdue, check_check_overdue),
    "tracking.poll": Scenario(arrange_poll, check_replayed_once),
    "tracking.schedule_polls": Scenario(arrange_schedule_polls, check_replayed_once),
    "tracking.start_replay": Scenario(arrange_start_replay, check_replayed_once),
    "webhooks.publish": Scenario(arrange_publish_refund, check_refund_published_once),
    "returns.carrier_label": Scenario(arrange_carrier_label, check_label_bought_once),
    "loyalty.tick": Scenario(arrange_loyalty_tick, check_points_released_once),
    "loyalty.codes_expire": Scenario(arrange_loyalty_codes_expire, check_code_expired_once),
    "journeys.offers_expire": Scenario(arrange_journey_offers_expire,
                                       check_offer_withdrawn_once),
    "insights.words": Scenario(arrange_words, check_words_once),
    "insights.words_nightly": Scenario(arrange_words_nightly, check_words_nightly_once),
    "insights.recommendations": Scenario(arrange_recommendations, check_recommendations_once),
    "insights.recompute": Scenario(arrange_recompute, check_recomputed_once),
    "insights.recompute_nightly": Scenario(arrange_recompute_nightly,
                                           check_recompute_nightly_once),
}
# Kinds the real handlers register that no test can run, each with the reason.
CANNOT_RUN: dict[str, str] = {}
