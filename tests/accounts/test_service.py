from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from afterward.accounts import service as accounts
from afterward.accounts.models import AdminUser
from tests.web.helpers import CHEAP_HASHER, PASSWORD


def user_count(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AdminUser))


def test_it_creates_a_user_with_a_hashed_password_and_their_stores(db, make_store):
    make_store("acme")
    make_store("globex")

    with db.transaction() as session:
        user = accounts.create_user(session, email=" Ann@Example.COM ", password=PASSWORD,
                                    store_slugs=["globex", "acme"])
        user_id = user.id

    with db.reading() as session:
        stored = accounts.get_user(session, user_id)
        assert stored.email == "ann@example.com"
        assert stored.is_owner is False
        assert sorted(s.slug for s in stored.stores) == ["acme", "globex"]
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"email": "not-an-email"}, "invalid_email"),
    ({"password": "123456789"}, "weak_password"),
    ({"password": "x" * 1025}, "long_password"),
    ({"store_slugs": []}, "no_store"),
    ({"store_slugs": ["nope"]}, "unknown_store"),
])
def test_it_refuses_a_bad_user_and_writes_nothing(db, store, kwargs, code):
    arguments = {"email": "ann@example.com", "password": PASSWORD, "store_slugs": ["acme"],
                 **kwargs}

    with pytest.raises(accounts.AccountError) as refused, db.transaction() as session:
        accounts.create_user(session, **arguments)

    assert refused.value.code == code
    assert user_count(db) == 0


def test_a_password_of_exactly_ten_characters_is_enough(db, store):
    with db.transaction() as session:
        user = accounts.create_user(session, email="a@example.com", password="0123456789",
                                    store_slugs=["acme"])

    assert user.id is not None


def test_it_refuses_a_second_user_with_the_same_email_in_another_case(db, store):
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password=PASSWORD, owner=True)

    with pytest.raises(accounts.AccountError) as refused, db.transaction() as session:
        accounts.create_user(session, email="ANN@example.com", password=PASSWORD, owner=True)

    assert refused.value.code == "user_exists"
    assert user_count(db) == 1


def test_authenticate_returns_the_user_for_the_right_password_and_notes_the_login(db, store):
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password=PASSWORD,
                             store_slugs=["acme"])

    with db.transaction() as session:
        user = accounts.authenticate(session, email="ANN@example.com ", password=PASSWORD)
        assert user is not None
        assert user.email == "ann@example.com"

    with db.reading() as session:
        assert accounts.get_by_email(session, "ann@example.com").last_login_at is not None


def test_authenticate_refuses_a_wrong_password_and_an_unknown_email(db, store):
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password=PASSWORD,
                             store_slugs=["acme"])

    with db.transaction() as session:
        wrong = accounts.authenticate(session, email="ann@example.com", password=PASSWORD + "!")
        unknown = accounts.authenticate(session, email="bob@example.com", password=PASSWORD)

    assert wrong is None
    assert unknown is None
    with db.reading() as session:
        assert accounts.get_by_email(session, "ann@example.com").last_login_at is None


def test_authenticate_rehashes_a_password_stored_with_weaker_parameters(db, store, monkeypatch):
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password=PASSWORD,
                             store_slugs=["acme"])
        old_hash = accounts.get_by_email(session, "ann@example.com").password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(accounts, "hasher", lambda: stronger)

    with db.transaction() as session:
        assert accounts.authenticate(session, email="ann@example.com", password=PASSWORD)

    with db.reading() as session:
        new_hash = accounts.get_by_email(session, "ann@example.com").password_hash
    assert new_hash != old_hash
    assert CHEAP_HASHER.check_needs_rehash(old_hash) is False
    assert stronger.check_needs_rehash(new_hash) is False
    assert stronger.verify(new_hash, PASSWORD)


def test_an_owner_sees_every_store_and_a_member_only_their_own(db, make_store):
    make_store("acme")
    make_store("globex")
    make_store("initech")
    with db.transaction() as session:
        owner = accounts.create_user(session, email="o@example.com", password=PASSWORD,
                                     owner=True)
        member = accounts.create_user(session, email="m@example.com", password=PASSWORD,
                                      store_slugs=["initech", "acme"])

        assert [s.slug for s in accounts.visible_stores(session, owner)] == [
            "acme", "globex", "initech"]
        assert [s.slug for s in accounts.visible_stores(session, member)] == ["acme", "initech"]


def test_list_users_is_sorted_by_email(db, store):
    with db.transaction() as session:
        for email in ("zed@example.com", "amy@example.com"):
            accounts.create_user(session, email=email, password=PASSWORD, owner=True)

    with db.reading() as session:
        assert [u.email for u in accounts.list_users(session)] == [
            "amy@example.com", "zed@example.com"]
