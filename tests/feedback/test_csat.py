"""CSAT after a resolved return, end to end: the return resolves, the built-in journey
asks a day later with five signed links, a click records the score for the order with
its return, and a low one raises the detractor loop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from afterward.feedback import csat_part, survey_links
from afterward.feedback.models import SurveyResponse
from afterward.feedback.survey_links import ScoreLink
from afterward.journeys import builtins, service
from afterward.journeys.models import Enrolment
from afterward.storage.types import utcnow
from tests.feedback.survey_scene import SECRET, alerts
from tests.journeys.helpers import consume as consume_journeys
from tests.journeys.helpers import messages, step
from tests.returns.conftest import make_shop


def resolved_return(client, db, store) -> tuple[int, int]:
    shop = make_shop(client, db, store)
    shop.put_policy(resolutions=["refund", "keep"], keep_max_value_minor=500)
    made = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "changed_mind"}],
                        resolution="keep").json()
    assert made["status"] == "resolved"
    return shop.order_id, made["id"]


def test_the_csat_part_signs_five_links_for_the_order_and_its_return(client, db, store):
    order_id, return_id = resolved_return(client, db, store)

    with db.reading() as session:
        part = csat_part.load(session, store_id=store.id, id=return_id,
                              public_url="https://shop.example", secret_key=SECRET)

    assert part is not None
    assert [survey_links.read(SECRET, link["url"].rsplit("/", 1)[1]) for link in part["links"]] \
        == [ScoreLink(store.id, order_id, "csat", score, return_id) for score in range(1, 6)]


def test_a_resolved_return_is_asked_a_day_later_and_a_low_click_raises_an_alert(client, db,
                                                                                store):
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)
    order_id, return_id = resolved_return(client, db, store)
    consume_journeys(db, store.id)
    with db.reading() as session:
        rows = list(session.scalars(select(Enrolment).where(Enrolment.store_id == store.id)))
        keys = service.journey_keys(session, store_id=store.id,
                                    journey_ids={r.journey_id for r in rows})
    [enrolment_id] = [r.id for r in rows if keys[r.journey_id] == "survey_csat"]
    assert step(db, enrolment_id) == "active"  # waiting a day
    assert [m.template_key for m in messages(db, store.id)].count("survey_csat") == 0
    assert step(db, enrolment_id, now=utcnow() + timedelta(days=1, minutes=1)) == "completed"
    assert [m.template_key for m in messages(db, store.id)].count("survey_csat") == 1

    link = survey_links.PATH + "/" + survey_links.signed(SECRET, ScoreLink(
        store.id, order_id, "csat", 1, return_id))
    page = client.get(link)

    assert page.status_code == 200
    assert "You rated your return 1 out of 5." in page.text
    with db.reading() as session:
        answer = session.scalar(select(SurveyResponse))
        assert answer is not None
        assert (answer.survey, answer.score, answer.return_id, answer.order_id) == (
            "csat", 1, return_id, order_id)
    assert alerts(db) == [("open", "csat_low", None)]
