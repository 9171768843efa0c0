"""Discount and gift codes (commerce/codes.py): random codes from an unambiguous
alphabet, unique per store, used or cancelled once, pushed to the store platform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.errors import CommerceError
from afterward.events import Event
from afterward.jobs import Job
from tests.factories import order_body


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
    code = issued(db, store)

    with db.reading() as session:
        [job] = session.scalars(select(Job).where(Job.kind == codes.PUBLISH_WEBHOOK_JOB))
        assert job.payload["event_id"] == f"code_issued_{code.id}"
        assert job.payload["data"]["shopify"]["gift_card"]["initial_value"] == "10.00"
        [event] = session.scalars(select(Event).where(Event.name == "code.issued"))
        assert (event.subject_type, event.subject_id) == ("discount_code", code.id)


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
