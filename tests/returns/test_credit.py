"""The store credit ledger: entries appended once per key, a balance that never goes
below zero, a refused spend that changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from afterward.returns import credit
from afterward.returns.errors import ReturnError
from afterward.returns.models import CreditAccount, CreditEntry
from afterward.returns.settle import major_units


def post(db, store_id, customer_id, amount, key, kind="adjustment"):
    with db.transaction() as session:
        return credit.post(session, store_id=store_id, customer_id=customer_id, currency="EUR",
                           amount_minor=amount, kind=kind, key=key)


def balance(db, store_id, customer_id):
    with db.reading() as session:
        found = credit.balance(session, store_id=store_id, customer_id=customer_id,
                               currency="EUR")
        return found.balance_minor, [(e.kind, e.amount_minor) for e in found.entries]


def test_entries_move_the_balance_and_a_key_is_posted_once(shop, db):
    assert post(db, shop.store.id, shop.customer_id, 1000, "grant-1") is True
    assert post(db, shop.store.id, shop.customer_id, -300, "spend-1", "spend") is True
    assert post(db, shop.store.id, shop.customer_id, 1000, "grant-1") is False

    assert balance(db, shop.store.id, shop.customer_id) == (
        700, [("spend", -300), ("adjustment", 1000)])


def test_a_spend_above_the_balance_is_refused_and_nothing_changes(shop, db):
    post(db, shop.store.id, shop.customer_id, 500, "grant-1")

    with pytest.raises(ReturnError) as refused:
        post(db, shop.store.id, shop.customer_id, -501, "spend-1", "spend")

    assert refused.value.code == "insufficient_credit"
    assert balance(db, shop.store.id, shop.customer_id) == (500, [("adjustment", 500)])


def test_the_database_refuses_a_negative_balance_whatever_writes_it(shop, db):
    post(db, shop.store.id, shop.customer_id, 100, "grant-1")

    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(update(CreditAccount).values(balance_minor=CreditAccount.balance_minor
                                                     - 101))

    assert balance(db, shop.store.id, shop.customer_id)[0] == 100


def test_credit_in_another_currency_is_refused(shop, db):
    post(db, shop.store.id, shop.customer_id, 100, "grant-1")

    with pytest.raises(ReturnError) as refused, db.transaction() as session:
        credit.post(session, store_id=shop.store.id, customer_id=shop.customer_id,
                    currency="USD", amount_minor=100, kind="adjustment", key="grant-2")

    assert refused.value.code == "currency_mismatch"
    with db.reading() as session:
        assert len(session.scalars(select(CreditEntry)).all()) == 1


def test_amounts_are_written_in_the_currency_s_major_units():
    assert (major_units(1234, "EUR"), major_units(5, "EUR"), major_units(1200, "JPY"),
            major_units(1234, "KWD")) == ("12.34", "0.05", "1200", "1.234")
