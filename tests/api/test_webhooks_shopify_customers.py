"""Shopify's customers/create and customers/update: the customer saved as an order's
customer is, and their account's state kept, so that an account opened (a sign-up, or
an invited customer accepting) is told once, as `customer.account_opened`."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from sqlalchemy import select

from afterward.commerce.models import Customer
from afterward.events import Event
from tests.api.shopify_helpers import counts, deliver, resource, set_aside


def customer_resource(**changes):
    found = copy.deepcopy(resource("customer"))
    found.update(changes)
    return found


def stored(db):
    with db.reading() as session:
        return [(c.external_id, c.email, c.first_name, c.last_name, c.account_state)
                for c in session.scalars(select(Customer).order_by(Customer.id))]


def opened(db):
    with db.reading() as session:
        return [(e.subject_id, e.payload, e.occurred_at.replace(tzinfo=UTC))
                for e in session.scalars(select(Event).where(
                    Event.name == "customer.account_opened").order_by(Event.id))]


def test_a_customer_without_an_account_is_saved_and_opens_nothing(client, store, db):
    answer = deliver(client, "customers/create", resource("customer"))  # state: disabled

    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    assert stored(db) == [("207119551", "bob.norman@hostmail.com", "Bob", "Norman",
                           "disabled")]
    assert opened(db) == []


def test_a_sign_up_is_told_once_when_shopify_created_the_customer(client, store, db):
    signed_up = customer_resource(state="enabled", updated_at="2015-05-27T18:20:00-04:00")

    deliver(client, "customers/create", signed_up)
    deliver(client, "customers/update", customer_resource(
        state="enabled", updated_at="2015-05-28T09:00:00-04:00", note="VIP"))

    [(customer_id, payload, at)] = opened(db)
    assert payload == {"source": "shopify", "opened_at": "2015-05-27T22:11:24+00:00"}
    assert at == datetime(2015, 5, 27, 22, 11, 24, tzinfo=UTC)
    assert stored(db)[0][4] == "enabled"
    assert customer_id == _id(db)


def test_an_invited_customer_accepting_opens_their_account_when_shopify_changed_them(
        client, store, db):
    deliver(client, "customers/create", customer_resource(state="invited"))

    deliver(client, "customers/update", customer_resource(
        state="enabled", updated_at="2015-06-01T10:00:00-04:00"))

    assert [(c, p, at) for c, p, at in opened(db)] == [
        (_id(db), {"source": "shopify", "opened_at": "2015-06-01T14:00:00+00:00"},
         datetime(2015, 6, 1, 14, 0, tzinfo=UTC))]


def test_a_customer_first_seen_with_an_account_opens_nothing(client, store, db):
    deliver(client, "orders/create", resource("order"))  # Bob, from an order: state unknown

    deliver(client, "customers/update", customer_resource(state="enabled"))

    assert stored(db) == [("207119551", "bob.norman@hostmail.com", "Bob", "Norman",
                           "enabled")]
    assert opened(db) == []


def test_a_sign_up_after_the_order_that_made_the_customer_is_still_told(client, store, db):
    deliver(client, "orders/create", resource("order"))

    deliver(client, "customers/create", customer_resource(state="enabled"))

    assert [c for c, _, _ in opened(db)] == [_id(db)]


def test_the_same_delivery_twice_changes_nothing_the_second_time(client, store, db):
    signed_up = customer_resource(state="enabled")
    deliver(client, "customers/create", signed_up)
    before = counts(db)

    again = deliver(client, "customers/create", signed_up)

    assert again.json() == {"status": "duplicate"}
    assert counts(db) == before


def test_a_customer_without_an_id_or_an_email_is_kept_for_review(client, store, db):
    before = counts(db)
    nameless = customer_resource(id=None, email=None, state="enabled")

    answer = deliver(client, "customers/create", nameless)

    assert (answer.status_code, answer.json()) == (202, {"status": "kept_for_review"})
    assert set_aside(db) == [("customers/create", "review:id: a customer needs an id or an "
                                                  "email")]
    after = counts(db)
    assert (after["customers"], after["events"]) == (before["customers"], before["events"])


def test_an_unknown_account_state_is_saved_as_unknown(client, store, db):
    deliver(client, "customers/create", customer_resource(state="archived"))

    assert stored(db)[0][4] is None
    assert opened(db) == []


def _id(db) -> int:
    with db.reading() as session:
        found = session.scalar(select(Customer.id))
        assert found is not None
        return found


def test_a_sign_up_whose_update_overtook_its_create_is_told_once(client, store, db):
    deliver(client, "customers/update", customer_resource(
        state="enabled", updated_at="2015-05-27T18:30:00-04:00"))
    assert opened(db) == []  # first seen with an account: when it opened is unknown

    deliver(client, "customers/create", customer_resource(state="enabled"))
    deliver(client, "customers/create", customer_resource(state="enabled", note="again"))

    assert [(c, p["opened_at"]) for c, p, _ in opened(db)] == [
        (_id(db), "2015-05-27T22:11:24+00:00")]


def test_the_account_state_is_in_the_customer_s_export(client, store, db):
    deliver(client, "customers/create", customer_resource(state="enabled"))

    export = client.get(f"/api/v1/customers/{_id(db)}/export", headers=dict(store.auth))

    assert export.status_code == 200, export.text
    assert export.json()["commerce"]["customer"]["account_state"] == "enabled"
