"""The detractor loop end to end: a low score (NPS 0-6, CSAT 1-2, a delivery "no")
opens an alert in the admin inbox, enqueues the signed webhook, enrols the customer in
the follow-up journey and pauses marketing messages to them; a promoter does none of
that."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import cast

from sqlalchemy import select, update

from afterward.feedback import detractors
from afterward.feedback.models import SurveyResponse
from afterward.journeys import builtins
from afterward.journeys.models import Enrolment
from afterward.messaging import policy
from afterward.messaging.facts import open_problem
from afterward.messaging.models import Draft
from afterward.storage.types import utcnow
from tests.feedback.survey_scene import (  # noqa: F401 (a fixture)
    Shop,
    alerts,
    shop_fixture,
    webhook_jobs,
)
from tests.journeys.helpers import consume as consume_journeys
from tests.journeys.helpers import messages, step
from tests.loyalty.test_journeys import journey_keys_of


def probe(db, store_id: int, customer_id: int) -> str | None:
    with db.reading() as session:
        return detractors.marketing_pause(session, store_id, customer_id)


def test_a_detractor_s_click_raises_the_whole_loop(shop: Shop, db):
    with db.transaction() as session:
        builtins.install(session, store_id=shop.store.id)
    order_id, customer_id = shop.order("1001")

    assert shop.client.get(shop.link(order_id, "nps", 3)).status_code == 200
    consume_journeys(db, shop.store.id)

    assert alerts(db) == [("open", "nps_detractor", None)]
    [job] = webhook_jobs(db)
    assert job["event_type"] == "survey.detractor"
    assert {k: job["data"][k] for k in ("reason", "survey", "score", "comment", "order_number",
                                        "customer_id", "email")} == {
        "reason": "nps_detractor", "survey": "nps", "score": 3, "comment": None,
        "order_number": "1001", "customer_id": customer_id, "email": "ada@example.com"}
    assert journey_keys_of(db, shop.store.id) == ["survey_follow_up"]
    assert probe(db, shop.store.id, customer_id) == "survey_detractor"
    with db.reading() as session:
        [enrolment_id] = session.scalars(select(Enrolment.id)).all()
    assert step(db, enrolment_id) == "completed"
    [apology] = messages(db, shop.store.id)
    assert (apology.template_key, apology.purpose, apology.customer_id) == (
        "survey_follow_up", "transactional", customer_id)


def test_a_promoter_raises_nothing(shop: Shop, db):
    with db.transaction() as session:
        builtins.install(session, store_id=shop.store.id)
    order_id, customer_id = shop.order("1001")

    shop.client.get(shop.link(order_id, "nps", 9))
    shop.client.get(shop.link(order_id, "delivery", 1))
    consume_journeys(db, shop.store.id)

    assert (alerts(db), webhook_jobs(db)) == ([], [])
    assert "survey_follow_up" not in journey_keys_of(db, shop.store.id)
    assert probe(db, shop.store.id, customer_id) is None


def test_a_delivery_no_and_a_low_csat_are_detractors_too(shop: Shop, db):
    order_id, _ = shop.order("1001")

    shop.client.get(shop.link(order_id, "delivery", 0))
    shop.client.post("/api/v1/surveys/responses", headers=shop.store.auth,
                     json={"order_number": "1001", "survey": "csat", "score": 2})
    shop.client.post("/api/v1/surveys/responses", headers=shop.store.auth,
                     json={"order_number": "1001", "survey": "csat", "score": 3})

    assert alerts(db) == [("open", "delivery_problem", None), ("open", "csat_low", None)]
    assert [j["data"]["reason"] for j in webhook_jobs(db)] == ["delivery_problem", "csat_low"]


def test_a_second_low_click_raises_no_second_alert_or_webhook(shop: Shop, db):
    order_id, _ = shop.order("1001")

    shop.client.get(shop.link(order_id, "nps", 3))
    shop.client.get(shop.link(order_id, "nps", 3))
    shop.client.get(shop.link(order_id, "nps", 2))

    assert alerts(db) == [("open", "nps_detractor", None)]
    assert len(webhook_jobs(db)) == 1


def test_a_detractor_s_comment_goes_to_the_merchant_s_tools(shop: Shop, db):
    order_id, _ = shop.order("1001")
    link = shop.link(order_id, "nps", 1)
    page = shop.client.get(link).text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]

    shop.client.post(link, data={"csrf": csrf, "comment": "Broken mug"})

    assert [(j["event_type"], j["data"]["comment"]) for j in webhook_jobs(db)] == [
        ("survey.detractor", None), ("survey.detractor_comment", "Broken mug")]


def test_the_pause_ends_after_its_days(shop: Shop, db):
    order_id, customer_id = shop.order("1001")
    shop.client.get(shop.link(order_id, "nps", 0))
    with db.transaction() as session:
        session.execute(update(SurveyResponse).values(
            updated_at=utcnow() - timedelta(days=detractors.PAUSE_DAYS + 1)))

    assert probe(db, shop.store.id, customer_id) is None


def draft(store_id: int, customer_id: int, purpose: str, category: str) -> Draft:
    """What open_problem reads of a message about to be sent."""
    return cast(Draft, SimpleNamespace(store_id=store_id, customer_id=customer_id,
                                       purpose=purpose, category=category))


def test_the_pause_holds_marketing_and_requests_but_not_transactional_messages(shop: Shop,
                                                                                db):
    order_id, customer_id = shop.order("1001")
    shop.client.get(shop.link(order_id, "delivery", 0))

    with db.reading() as session:
        held = {(purpose, category): open_problem(session, draft(
            shop.store.id, customer_id, purpose, category))
            for purpose, category in (("marketing", "winback"),
                                      ("marketing", "review_request"),
                                      ("transactional", "shipment_delivered"))}

    assert held == {("marketing", "winback"): "survey_detractor",
                    ("marketing", "review_request"): "survey_detractor",
                    ("transactional", "shipment_delivered"): None}


def facts(purpose: str, category: str, problem: str | None) -> policy.PolicyFacts:
    return policy.PolicyFacts(channel="email", purpose=policy.Purpose(purpose),
                              category=category, has_address=True, consent=True,
                              open_problem=problem)


def test_the_policy_holds_marketing_only_for_a_detractor_s_pause():
    now = utcnow().replace(hour=12)

    assert policy.decide(facts("marketing", "winback", "survey_detractor"), now) == \
        policy.Decision(policy.Action.suppress, "held:survey_detractor")
    assert policy.decide(facts("marketing", "winback", "shipment_exception"),
                         now).action != policy.Action.suppress
    assert policy.decide(facts("transactional", "survey_follow_up", "survey_detractor"),
                         now) == policy.SEND
