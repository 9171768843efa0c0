from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from afterward.accounts import service as accounts
from afterward.accounts.models import AdminUser
from afterward.storage.types import utcnow
from afterward.throttle import ThrottleHit
from afterward.web.admin import session as admin_session
from afterward.web.admin.throttle import login_throttle
from tests.web.helpers import CHEAP_HASHER, PASSWORD, csrf_of, make_admin, sign_in


def test_an_anonymous_visitor_is_sent_to_sign_in_with_the_page_to_return_to(client):
    response = client.get("/admin/orders?q=ada", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Forders%3Fq%3Dada"


def test_the_sign_in_page_has_labelled_fields_and_sets_a_protected_cookie(client):
    response = client.get("/admin/login")

    assert response.status_code == 200
    assert '<label for="email">Email</label>' in response.text
    assert '<label for="password">Password</label>' in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("aw_admin=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/admin" in cookie
    assert "Secure" not in cookie
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_when_the_settings_say_so(client):
    client.app.state.settings = client.app.state.settings.__class__(
        **{**client.app.state.settings.__dict__, "secure_cookies": True})

    response = client.get("/admin/login")

    assert "Secure" in response.headers["set-cookie"]


def test_signing_in_with_the_right_password_opens_the_dashboard(client, db, store):
    make_admin(db)

    response = sign_in(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200
    assert "<h1>Dashboard</h1>" in page.text
    assert "ann@example.com" in page.text
    with db.reading() as session:
        assert session.scalar(select(AdminUser.last_login_at)) is not None


def test_signing_in_returns_to_a_local_next_page_only(client, db, store):
    make_admin(db)

    local = sign_in(client, next_path="/admin/orders?q=ada")
    client.cookies.clear()
    foreign = sign_in(client, next_path="https://evil.example/admin")
    client.cookies.clear()
    protocol_relative = sign_in(client, next_path="//evil.example/admin")

    assert local.headers["location"] == "/admin/orders?q=ada"
    assert foreign.headers["location"] == "/admin"
    assert protocol_relative.headers["location"] == "/admin"


def test_a_wrong_password_shows_the_form_again_with_a_message(client, db, store):
    make_admin(db)

    response = sign_in(client, password="wrong password!")

    assert response.status_code == 401
    assert "That email and password do not match an account." in response.text
    assert 'value="ann@example.com"' in response.text
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_an_unknown_email_gets_the_same_message_as_a_wrong_password(client, db, store):
    make_admin(db)

    response = sign_in(client, email="nobody@example.com")

    assert response.status_code == 401
    assert "That email and password do not match an account." in response.text


def test_an_empty_form_asks_for_both_fields(client, db, store):
    response = sign_in(client, email="", password="")

    assert response.status_code == 400
    assert "Enter your email and your password." in response.text


def test_ten_failures_lock_the_email_from_that_address_even_with_the_right_password(
        client, db, store):
    make_admin(db)
    for _ in range(10):
        assert sign_in(client, password="wrong password!").status_code == 401

    response = sign_in(client)

    assert response.status_code == 429
    assert "Too many failed attempts. Wait 15 minutes, then try again." in response.text
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_the_lock_is_per_email(client, db, store):
    make_admin(db)
    make_admin(db, "bob@example.com")
    for _ in range(10):
        sign_in(client, password="wrong password!")

    response = sign_in(client, email="bob@example.com")

    assert response.status_code == 303


def test_a_success_clears_earlier_failures(client, db, store, settings):
    make_admin(db)
    for _ in range(9):
        sign_in(client, password="wrong password!")

    assert sign_in(client).status_code == 303

    throttle = login_throttle(settings)
    assert throttle.hits(db, "ann@example.com", "testclient") == 0
    client.cookies.clear()
    assert sign_in(client, password="wrong password!").status_code == 401
    assert throttle.hits(db, "ann@example.com", "testclient") == 1


def test_the_lock_ends_fifteen_minutes_after_the_first_failure(client, db, store):
    make_admin(db)
    for _ in range(10):
        sign_in(client, password="wrong password!")
    with db.transaction() as session:  # the window opened by the first failure has ended
        session.execute(update(ThrottleHit).values(expires_at=utcnow() - timedelta(seconds=1)))

    response = sign_in(client)

    assert response.status_code == 303


def test_the_count_keeps_neither_the_email_nor_the_address(client, db, store):
    make_admin(db)

    sign_in(client, password="wrong password!")

    with db.reading() as session:
        [(scope, key_hash, hits)] = session.execute(
            select(ThrottleHit.scope, ThrottleHit.key_hash, ThrottleHit.hits)).all()
    assert (scope, hits, len(key_hash)) == ("admin_login", 1, 64)
    assert "ann" not in key_hash and "testclient" not in key_hash


def test_sign_in_without_a_valid_csrf_token_is_refused(client, db, store):
    make_admin(db)
    client.get("/admin/login")

    response = client.post("/admin/login", follow_redirects=False, data={
        "email": "ann@example.com", "password": PASSWORD, "csrf": "forged"})

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Nothing was changed." in response.text
    with db.reading() as session:
        assert session.scalar(select(AdminUser.last_login_at)) is None


def test_sign_in_without_any_cookie_is_refused(client, db, store):
    make_admin(db)
    token = csrf_of(client.get("/admin/login").text)
    client.cookies.clear()

    response = client.post("/admin/login", follow_redirects=False, data={
        "email": "ann@example.com", "password": PASSWORD, "csrf": token})

    assert response.status_code == 403


def test_signing_in_gives_a_new_csrf_token(client, db, store):
    make_admin(db)
    before = csrf_of(client.get("/admin/login").text)

    sign_in(client)

    assert csrf_of(client.get("/admin").text) != before


def test_signing_out_ends_the_session(client, db, store):
    make_admin(db)
    sign_in(client)
    token = csrf_of(client.get("/admin").text)

    response = client.post("/admin/logout", data={"csrf": token}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_signing_out_without_the_csrf_token_is_refused(client, db, store):
    make_admin(db)
    sign_in(client)

    response = client.post("/admin/logout", data={}, follow_redirects=False)

    assert response.status_code == 403
    assert client.get("/admin").status_code == 200


def test_a_tampered_cookie_counts_as_signed_out(client, db, store):
    make_admin(db)
    sign_in(client)
    value = client.cookies.get("aw_admin")
    client.cookies.clear()
    client.cookies.set("aw_admin", value[:-2] + "xx", path="/admin")

    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_a_cookie_signed_with_another_secret_is_not_accepted(client, db, store, settings):
    user_id = make_admin(db)
    forged = admin_session.SessionData(csrf="x", user_id=user_id, store_id=store.id,
                                       fingerprint="whatever")
    other = settings.__class__(**{**settings.__dict__, "secret_key": "another-secret-value"})
    value = URLSafeTimedSerializer(other.secret_key, salt="afterward.admin.session.v1").dumps(
        asdict(forged))
    client.cookies.set("aw_admin", value, path="/admin")

    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_a_password_change_ends_existing_sessions(client, db, store):
    make_admin(db)
    sign_in(client)
    with db.transaction() as session:
        user = accounts.get_by_email(session, "ann@example.com")
        user.password_hash = CHEAP_HASHER.hash("a brand new password")

    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_a_signed_in_user_visiting_sign_in_goes_to_the_dashboard(client, db, store):
    make_admin(db)
    sign_in(client)

    response = client.get("/admin/login", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


@pytest.mark.parametrize("path", ["/admin", "/admin/orders", "/admin/customers", "/admin/jobs"])
def test_an_owner_without_any_store_sees_a_readable_page(client, db, path):
    make_admin(db, "boss@example.com", stores=(), owner=True)
    sign_in(client, email="boss@example.com")

    response = client.get(path)

    assert response.status_code == 403
    assert "No store yet" in response.text
