"""Discount and gift codes (commerce/codes.py): random codes from an unambiguous
alphabet, unique per store, used or cancelled once, pushed to the store platform."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from afterward import outbound
from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.errors import CommerceError
from afterward.events import Event
from afterward.jobs import Job
from tests.factories import order_body
from tests.webhook_listeners import listening


def order_id(client, store, number: str = "1001") -> int:
    answer = client.post("/api/v1/orders", json=order_body(number), headers=store.auth)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def issued(db, store, **fields) -> DiscountCode:
    with db.transaction() as session:
        return codes.issue(session, store_id=store.id, **{
            "kind": "gift_card", "source": "manual", "value_minor": 1000, "currency": "EUR",
            **fields})


def test_a_code_has_sixteen_characters_without_look_alikes():
    made = {codes.new_code() for _ in range(200)}

    assert len(made) == 200
    assert all(len(code) == 16 for code in made)
    assert not set("".join(made)) & set("01ILOU")


def test_a_code_is_read_as_a_shopper_may_type_it():
    assert codes.normalize(" abcd-efgh jkmn-pqrs ") == "ABCDEFGHJKMNPQRS"


def test_an_issued_code_is_recorded_and_pushed_to_the_platform(db, store):
    listening(db, store.id)

    code = issued(db, store)

    with db.reading() as session:
        [job] = session.scalars(select(Job).where(Job.kind == outbound.PUBLISH_JOB))
        assert job.payload["event_id"] == f"code_issued_{code.id}"
        assert job.payload["data"]["shopify"]["gift_card"]["initial_value"] == "10.00"
        [event] = session.scalars(select(Event).where(Event.name == "code.issued"))
        assert (event.subject_type, event.subject_id) == ("discount_code", code.id)


def test_a_code_issued_while_no_endpoint_listens_is_recorded_and_queues_nothing(db, store):
    code = issued(db, store)

    with db.reading() as session:
        assert session.scalars(select(Job.kind)).all() == []
        assert session.scalars(select(Event.subject_id).where(
            Event.name == "code.issued")).all() == [code.id]


def test_a_code_that_clashes_with_one_issued_is_issued_again_by_the_unit_of_work(
        db, store, monkeypatch):
    taken = issued(db, store).code
    drawn = iter([taken, "ZZZZZZZZZZZZZZZZ"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))

    code = db.run(lambda session: codes.issue(
        session, store_id=store.id, kind="gift_card", source="manual", value_minor=500,
        currency="EUR"))

    assert code.code == "ZZZZZZZZZZZZZZZZ"
    with db.reading() as session:
        assert session.scalars(select(DiscountCode.code).order_by(DiscountCode.id)).all() == [
            taken, "ZZZZZZZZZZZZZZZZ"]


def test_a_percentage_discount_is_pushed_as_a_shopify_price_rule(db, store):
    code = issued(db, store, kind="discount", value_minor=None, currency=None, percent=15,
                  source="loyalty", expires_at=datetime(2027, 1, 31, tzinfo=UTC))

    data = codes.payload(code, None)

    assert data["shopify"]["discount_code"] == {"code": code.code}
    rule = data["shopify"]["price_rule"]
    assert (rule["value_type"], rule["value"], rule["usage_limit"]) == ("percentage", "-15", 1)
    assert rule["ends_at"] == "2027-01-31T00:00:00+00:00"


def test_a_code_worth_both_or_neither_an_amount_and_a_percentage_is_refused(db, store):
    with pytest.raises(CommerceError):
        issued(db, store, percent=10)

    with db.reading() as session:
        assert session.scalar(select(DiscountCode)) is None


def test_the_database_refuses_a_code_twice_in_one_store(db, store):
    code = issued(db, store)

    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(DiscountCode(store_id=store.id, code=code.code, kind="gift_card",
                                 value_minor=5, currency="EUR", source="manual",
                                 status="issued"))
        session.flush()


def test_the_first_order_that_uses_a_code_takes_it(client, db, store):
    code = issued(db, store)
    first, second = order_id(client, store, "A-1"), order_id(client, store, "A-2")

    with db.transaction() as session:
        took = codes.mark_used(session, store_id=store.id, code=code.code, order_id=first)
        again = codes.mark_used(session, store_id=store.id, code=code.code.lower(),
                                order_id=second)

    assert (took, again) == (True, False)
    with db.reading() as session:
        row = session.get(DiscountCode, code.id)
        assert (row.status, row.used_order_id) == ("used", first)


def test_a_used_code_cannot_be_cancelled_nor_a_cancelled_one_used(client, db, store):
    used, cancelled = issued(db, store), issued(db, store)
    order = order_id(client, store)

    with db.transaction() as session:
        assert codes.mark_used(session, store_id=store.id, code=used.code, order_id=order)
        assert codes.cancel(session, code=session.get(DiscountCode, used.id)) is False
        assert codes.cancel(session, code=session.get(DiscountCode, cancelled.id)) is True
        assert codes.mark_used(session, store_id=store.id, code=cancelled.code,
                               order_id=order) is False

    with db.reading() as session:
        assert [c.status for c in session.scalars(select(DiscountCode).order_by(
            DiscountCode.id))] == ["used", "cancelled"]


def test_an_order_naming_codes_of_another_store_uses_none(client, db, store, make_store):
    other = make_store("other")
    code = issued(db, other)
    order = order_id(client, store)

    with db.transaction() as session:
        marked = codes.used_in_order(session, store_id=store.id, order_id=order,
                                     codes=[code.code, "TENOFF"])

    assert marked == 0
    with db.reading() as session:
        assert session.get(DiscountCode, code.id).status == "issued"


def test_an_expired_code_is_refused_and_stays_issued(client, db, store):
    now = datetime.now(UTC)
    code = issued(db, store, kind="discount", percent=10, value_minor=None, currency=None,
                  expires_at=now + timedelta(days=1), now=now)
    late, in_time = order_id(client, store, "A-1"), order_id(client, store, "A-2")

    with db.transaction() as session:
        refused = codes.used_in_order(session, store_id=store.id, order_id=late,
                                      codes=[code.code], now=now + timedelta(days=3),
                                      placed_at=now + timedelta(days=2))
        row = session.get(DiscountCode, code.id)
        usable_later = codes.usable(row, now + timedelta(days=2))

    assert (refused, usable_later) == (0, False)
    with db.reading() as session:
        row = session.get(DiscountCode, code.id)
        assert (row.status, row.used_order_id, row.used_at) == ("issued", None, None)
        assert session.scalar(select(Event).where(Event.name == "code.used")) is None
    with db.transaction() as session:  # placed before it expired, imported after: used
        assert codes.mark_used(session, store_id=store.id, code=code.code, order_id=in_time,
                               now=now + timedelta(days=3),
                               placed_at=now + timedelta(hours=12))


def test_a_code_that_expires_in_the_past_or_without_a_zone_is_refused(db, store):
    now = datetime.now(UTC)
    for expires_at in (now - timedelta(seconds=1), datetime(2030, 1, 1)):
        with pytest.raises(CommerceError) as refused:
            issued(db, store, expires_at=expires_at, now=now)
        assert refused.value.field == "expires_at"

    with db.reading() as session:
        assert session.scalar(select(DiscountCode)) is None


def test_a_free_shipping_code_is_pushed_as_a_free_shipping_price_rule(db, store):
    code = issued(db, store, kind="free_shipping", value_minor=None, currency=None,
                  source="loyalty", expires_at=datetime(2027, 1, 31, tzinfo=UTC))

    rule = codes.payload(code, None)["shopify"]["price_rule"]

    assert rule == {
        "title": code.code, "target_type": "shipping_line", "target_selection": "all",
        "allocation_method": "each", "value_type": "percentage", "value": "-100.0",
        "customer_selection": "all", "once_per_customer": True, "usage_limit": 1,
        "ends_at": "2027-01-31T00:00:00+00:00"}


def test_a_free_product_code_is_pushed_as_its_sku_entitled_at_full_discount(db, store):
    code = issued(db, store, kind="free_product", value_minor=None, currency=None,
                  skus=["MUG-1"])

    data = codes.payload(code, None)

    assert (data["kind"], data["skus"], data["categories"]) == ("free_product", ["MUG-1"], None)
    rule = data["shopify"]["price_rule"]
    assert (rule["target_type"], rule["target_selection"], rule["entitled_skus"],
            rule["value_type"], rule["value"], rule["allocation_method"],
            rule["allocation_limit"]) == (
        "line_item", "entitled", ["MUG-1"], "percentage", "-100.0", "each", 1)


def test_a_discount_limited_to_categories_carries_them_for_the_receiver(db, store):
    code = issued(db, store, kind="discount", value_minor=500, currency="EUR",
                  categories=["Tea", "Tea", "Kitchen"], source="journey", source_id="winback",
                  enrolment_id=42)

    data = codes.payload(code, None)

    assert (data["source_id"], data["enrolment_id"], data["categories"]) == (
        "winback", 42, ["Tea", "Kitchen"])
    rule = data["shopify"]["price_rule"]
    assert (rule["value_type"], rule["value"], rule["target_selection"], rule["entitled_skus"],
            rule["entitled_categories"]) == (
        "fixed_amount", "-5.00", "entitled", [], ["Tea", "Kitchen"])


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "free_shipping", "value_minor": 500}, None),
    ({"kind": "free_shipping", "value_minor": None, "currency": None, "skus": ["A"]}, "skus"),
    ({"kind": "free_product", "value_minor": None, "currency": None}, "skus"),
    ({"kind": "free_product", "value_minor": None, "currency": None, "skus": ["A", "B"]},
     "skus"),
    ({"kind": "gift_card", "skus": ["A"]}, "skus"),
    ({"kind": "discount", "categories": [" "]}, "categories"),
    ({"kind": "coupon"}, "kind"),
])
def test_a_code_of_a_kind_with_what_it_cannot_have_is_refused(db, store, fields, field):
    with pytest.raises(CommerceError) as refused:
        issued(db, store, **fields)

    assert refused.value.field == field
    with db.reading() as session:
        assert session.scalar(select(DiscountCode)) is None


def test_the_database_refuses_a_free_shipping_code_with_a_value(db, store):
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(DiscountCode(store_id=store.id, code="ABCDEFGHJKMNPQRS",
                                 kind="free_shipping", value_minor=500, currency="EUR",
                                 source="manual", status="issued"))
        session.flush()
