"""Personal offers in journeys: the `offer` step's validation (every problem with its
path), one code per enrolment and step however often the step runs, the code's
limits from the order, the email that shows it, and the journey's results that
count the codes used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from afterward import outbound
from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Customer
from afterward.jobs import Job
from afterward.journeys import engine, parsing, results, service
from afterward.journeys.definition import DefinitionError, Offer
from afterward.journeys.models import Enrolment, EnrolmentStep
from tests.journeys.helpers import (
    consume,
    definition,
    emit,
    history,
    install,
    step,
    the_enrolments,
)
from tests.messaging.conftest import (
    make_customer,
    make_order,
    make_product,
    run_jobs,
)
from tests.webhook_listeners import listening

SEND = {"key": "hello", "send": {"channel": "email", "template": "birthday_offer",
                                 "purpose": "transactional", "category": "treat"}}


def with_offer(offer: dict, *more: dict, **overrides) -> dict:
    return definition(steps=[{"key": "treat", "offer": offer}, *more], **overrides)


def problems_of(raw: dict) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        parsing.parse(raw)
    return [(p.path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(("offer", "expected"), [
    ({"kind": "gift"}, ("steps[0].offer.kind",
                        "required: one of percent, fixed, free_shipping, free_product")),
    ({"kind": "percent"}, ("steps[0].offer.percent_off", "required for a percent offer")),
    ({"kind": "percent", "percent_off": 101},
     ("steps[0].offer.percent_off", "a whole number from 1 to 100")),
    ({"kind": "percent", "percent_off": True},
     ("steps[0].offer.percent_off", "a whole number from 1 to 100")),
    ({"kind": "fixed", "amount_minor": 500, "percent_off": 10},
     ("steps[0].offer.percent_off", "not for a fixed offer")),
    ({"kind": "free_product"}, ("steps[0].offer.sku", "required")),
    ({"kind": "percent", "percent_off": 10, "sku": "MUG-1"},
     ("steps[0].offer.sku", "only for a free_product offer")),
    ({"kind": "free_shipping", "categories": ["Tea"]},
     ("steps[0].offer.categories", "a free_shipping offer is not limited to products")),
    ({"kind": "percent", "percent_off": 10, "skus": ["A"], "for": "order_categories"},
     ("steps[0].offer.for", "limit an offer by one of skus, categories or for")),
    ({"kind": "percent", "percent_off": 10, "for": "everything"},
     ("steps[0].offer.for", "one of order_categories, order_complements")),
    ({"kind": "percent", "percent_off": 10, "skus": []},
     ("steps[0].offer.skus", "expected a list of 1-50 names")),
    ({"kind": "percent", "percent_off": 10, "categories": ["Tea", " "]},
     ("steps[0].offer.categories[1]", "expected text of 1-100 characters")),
    ({"kind": "percent", "percent_off": 10, "expires_in": "soon"},
     ("steps[0].offer.expires_in", None)),
    ({"kind": "percent", "percent_off": 10, "colour": "red"},
     ("steps[0].offer.colour", None)),
])
def test_a_bad_offer_is_refused_with_the_path_of_its_problem(offer, expected):
    [(path, message)] = problems_of(with_offer(offer))

    assert path == expected[0]
    if expected[1] is not None:
        assert message == expected[1]


def test_every_problem_of_an_offer_inside_a_branch_is_reported_together():
    raw = definition(steps=[{"key": "b", "branch": {"if": True, "then": [
        {"key": "treat", "offer": {"kind": "percent", "percent_off": 0, "for": "x"}}]}}])

    assert problems_of(raw) == [
        ("steps[0].branch.then[0].offer.percent_off", "a whole number from 1 to 100"),
        ("steps[0].branch.then[0].offer.for", "one of order_categories, order_complements")]


def test_a_valid_offer_parses_into_its_values():
    journey = parsing.parse(with_offer({"kind": "fixed", "amount_minor": 500.0,
                                        "expires_in": "P30D", "categories": ["Tea", "Tea"]}))

    assert journey.steps[0] == Offer("treat", "fixed", amount_minor=500,
                                     expires_in=timedelta(days=30), categories=("Tea",))


def shop_with_categories(db, store_id: int) -> tuple[int, int]:
    """Ada's order of tea; other shoppers bought tea with a mug (twice) and a spoon."""
    with db.transaction() as session:
        ada = make_customer(session, store_id)
        tea = make_product(session, store_id, "TEA-1", "Green tea", category="Tea")
        mug = make_product(session, store_id, "MUG-1", "Stoneware mug", category="Kitchen")
        spoon = make_product(session, store_id, "SPOON-1", "Tea spoon", category="Kitchen")
        order = make_order(session, store_id, ada, "1001", [(tea, 1)])
        for number, lines in (("1002", [(tea, 1), (mug, 1)]),
                              ("1003", [(tea, 2), (mug, 1), (spoon, 1)])):
            other = make_customer(session, store_id, email=f"{number}@example.com")
            make_order(session, store_id, other, number, lines)
        return ada.id, order.id


def enrol(db, store_id: int, raw: dict) -> tuple[int, int, int]:
    install(db, store_id, raw)
    customer_id, order_id = shop_with_categories(db, store_id)
    emit(db, store_id, "order.created", "order", order_id, customer_id=customer_id)
    consume(db, store_id)
    [row] = the_enrolments(db, store_id)
    return row.id, customer_id, order_id


def codes_of(db, enrolment_id: int) -> list[DiscountCode]:
    with db.reading() as session:
        return list(session.scalars(select(DiscountCode).where(
            DiscountCode.enrolment_id == enrolment_id)))


def test_the_email_after_an_offer_shows_its_code_value_expiry_and_categories(db, store, smtp):
    before = datetime.now(UTC)
    enrolment_id, customer_id, _ = enrol(db, store.id, with_offer(
        {"kind": "percent", "percent_off": 10, "expires_in": "P30D", "for": "order_categories"},
        SEND))

    run_jobs(db)

    [code] = codes_of(db, enrolment_id)
    assert (code.kind, code.percent, code.categories, code.skus, code.source, code.source_id,
            code.customer_id, code.status) == (
        "discount", 10, ["Tea"], None, "journey", "thanks", customer_id, "issued")
    assert code.expires_at is not None
    assert before + timedelta(days=30) <= code.expires_at \
        <= datetime.now(UTC) + timedelta(days=30)
    [mail] = smtp.mailbox.messages
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    day = f"{code.expires_at:%b} {code.expires_at.day}, {code.expires_at.year}"
    for body in (text, html):
        assert "Your code: " in body and code.code in body
        assert "10% off your next order" in body
        assert f"Valid until {day}" in body
        assert "Applies to: Tea" in body
    assert [k for _, k in history(db, enrolment_id)] == [
        "enrolled", "offer", "send", "completed"]


def test_an_order_complements_offer_is_limited_to_what_others_bought_with_the_order(
        db, store, smtp):
    enrolment_id, _, _ = enrol(db, store.id, with_offer(
        {"kind": "fixed", "amount_minor": 500, "for": "order_complements"}, SEND))

    run_jobs(db)

    [code] = codes_of(db, enrolment_id)
    assert (code.skus, code.categories, code.value_minor, code.currency, code.expires_at) == (
        ["MUG-1", "SPOON-1"], None, 500, "USD", None)
    text = smtp.mailbox.messages[0].get_body(("plain",)).get_content()
    assert "$5.00 off your next order" in text
    assert "Applies to: Stoneware mug, Tea spoon" in text
    assert "Valid until" not in text


def test_a_free_shipping_offer_is_issued_and_said_so(db, store, smtp):
    enrolment_id, _, _ = enrol(db, store.id, with_offer(
        {"kind": "free_shipping", "expires_in": "P7D"}, SEND))

    run_jobs(db)

    [code] = codes_of(db, enrolment_id)
    assert (code.kind, code.value_minor, code.percent) == ("free_shipping", None, None)
    text = smtp.mailbox.messages[0].get_body(("plain",)).get_content()
    assert "Free shipping on your next order" in text


def test_an_offer_step_that_runs_again_issues_nothing_twice(db, store):
    listening(db, store.id)
    enrolment_id, _, _ = enrol(db, store.id, with_offer(
        {"kind": "percent", "percent_off": 10}, SEND))
    step(db, enrolment_id)
    # As if the step had run again from the start: a duplicate job, a replayed run.
    with db.transaction() as session:
        session.execute(update(Enrolment).where(Enrolment.id == enrolment_id).values(
            status="active", position=0, active_key=None, finished_at=None))

    step(db, enrolment_id)

    [code] = codes_of(db, enrolment_id)
    with db.reading() as session:
        details = list(session.scalars(select(EnrolmentStep.detail).where(
            EnrolmentStep.enrolment_id == enrolment_id, EnrolmentStep.kind == "offer")
            .order_by(EnrolmentStep.id)))
        pushed = session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == outbound.PUBLISH_JOB))
    assert details[0]["code_id"] == code.id and "again" not in details[0]
    assert details[1] == {"code_id": code.id, "again": True}
    assert pushed == 1
    assert code.idempotency_key == f"enr:{enrolment_id}:treat"


def test_an_enrolment_without_a_customer_gets_no_code_and_the_history_says_why(db, store):
    install(db, store.id, with_offer({"kind": "percent", "percent_off": 10}))
    with db.transaction() as session:
        tea = make_product(session, store.id, "TEA-1", "Green tea")
        order_id = make_order(session, store.id, None, "1001", [(tea, 1)]).id
    emit(db, store.id, "order.created", "order", order_id)
    consume(db, store.id)
    [row] = the_enrolments(db, store.id)
    step(db, row.id)

    assert codes_of(db, row.id) == []
    with db.reading() as session:
        detail = session.scalar(select(EnrolmentStep.detail).where(
            EnrolmentStep.enrolment_id == row.id, EnrolmentStep.kind == "offer"))
    assert detail == {"skipped": "no customer to give a personal code to"}


def test_results_count_the_codes_issued_and_redeemed_with_their_revenue(
        db, store, monkeypatch):
    monkeypatch.setattr(engine, "holdout_draw", lambda **_: 0.9)  # every one treated
    enrolment_id, customer_id, _ = enrol(db, store.id, definition(
        key="treats", steps=[{"key": "h", "holdout": {"share": 0.1}},
                             {"key": "treat", "offer": {"kind": "percent", "percent_off": 10}}]))
    step(db, enrolment_id)
    [code] = codes_of(db, enrolment_id)
    with db.transaction() as session:
        tea = make_product(session, store.id, "TEA-9", "More tea")
        ada = session.get(Customer, customer_id)
        later = make_order(session, store.id, ada, "1004", [(tea, 3)])
        later.placed_at = datetime.now(UTC) + timedelta(days=2)
        later.total_minor = 3000
        session.flush()
        assert codes.mark_used(session, store_id=store.id, code=code.code, order_id=later.id,
                               placed_at=later.placed_at)
    with db.reading() as session:
        journey = service.get(session, store_id=store.id, key="treats")
        assert journey is not None
        found = results.journey_results(session, journey=journey, window_days=30,
                                        now=datetime.now(UTC) + timedelta(days=31))

    assert (found.treatment.customers, found.treatment.codes_issued,
            found.treatment.codes_redeemed, found.treatment.code_revenue_minor) == (
        1, 1, 1, 3000)
    assert (found.control.codes_issued, found.control.codes_redeemed,
            found.control.code_revenue_minor) == (0, 0, 0)


def test_concurrent_runs_of_one_offer_step_issue_one_code(db, store):
    from concurrent.futures import ThreadPoolExecutor

    from afterward.journeys import offers
    from afterward.journeys.models import Journey

    enrolment_id, _, _ = enrol(db, store.id, with_offer({"kind": "percent", "percent_off": 10}))
    offer = Offer("treat", "percent", percent_off=10)

    def issue(_: int) -> int:
        def work(session) -> int:
            row = session.get(Enrolment, enrolment_id)
            journey = session.get(Journey, row.journey_id)
            code, _detail = offers.issue(session, row, journey, offer, datetime.now(UTC))
            assert code is not None
            return code.id
        return int(db.run(work))

    with ThreadPoolExecutor(max_workers=6) as pool:
        made = set(pool.map(issue, range(12)))

    [code] = codes_of(db, enrolment_id)
    assert made == {code.id}
