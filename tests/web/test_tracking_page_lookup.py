"""/track: finding an order by its number and the email or postal code it was
placed with; a miss says nothing about which fact was wrong; attempts are limited."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from afterward.commerce import stores
from afterward.web.pages import lookup
from tests.web import tracking_scenes


@pytest.fixture
def scene(db):
    return tracking_scenes.build(db)


def track(client, method: str = "GET", path: str = "/track", **fields: str):
    if method == "GET":
        return client.get(path, params=fields, follow_redirects=False)
    return client.post(path, data=fields, follow_redirects=False)


def delivered_url(scene) -> str:
    return f"/t/{scene.tokens['delivered']}"


def normalized(response, *typed: str) -> str:
    """The page without what differs by design: the CSP nonce and the echoed input."""
    body = re.sub(r'nonce="[^"]+"', "", response.text)
    for value in typed:
        body = body.replace(f'value="{value}"', 'value=""')
    return body


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_order_number_and_email_lead_to_the_first_parcel(client, scene, method):
    response = track(client, method, order_number="1001", email="ada@example.com")

    assert response.status_code == 303
    assert response.headers["location"] == delivered_url(scene)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("number", "email"), [("#1001", "ADA@example.COM"),
                                                (" 1001 ", " ada@example.com ")])
def test_the_lookup_forgives_case_spaces_and_a_hash_sign(client, scene, number, email):
    response = track(client, order_number=number, email=email)

    assert response.headers["location"] == delivered_url(scene)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_postal_code_works_instead_of_the_email(client, scene, method):
    response = track(client, method, order_number="1001", postal_code="10 115")

    assert response.status_code == 303
    assert response.headers["location"] == delivered_url(scene)


def test_the_one_form_field_takes_a_postal_code_too(client, scene):
    response = track(client, "POST", order_number="1001", email="10115")

    assert response.headers["location"] == delivered_url(scene)


def test_a_chosen_language_follows_the_shopper_to_the_tracking_page(client, scene):
    response = track(client, "GET", order_number="1001", email="ada@example.com", lang="de")

    assert response.headers["location"] == delivered_url(scene) + "?lang=de"


def test_a_split_order_opens_at_its_first_parcel(client, scene):
    response = track(client, order_number="1004", email="ada@example.com")

    assert response.headers["location"] == f"/t/{scene.tokens['parcel_a']}"


def test_an_order_without_a_parcel_says_it_is_being_prepared(client, scene):
    response = track(client, "POST", order_number="1005", email="ada@example.com")

    assert response.status_code == 200
    assert re.search(r'<h2 id="status-heading"[^>]*>\s*Order received\s*</h2>', response.text)
    assert "We have your order and are preparing your parcel." in response.text
    assert '<li class="step current" aria-current="step">' in response.text
    assert "Sencha tea" in response.text
    assert 'class="timeline"' not in response.text


def test_an_order_without_a_parcel_in_german(client, scene):
    response = track(client, order_number="1005", email="ada@example.com", lang="de")

    assert "Bestellung eingegangen" in response.text
    assert "Wir haben Ihre Bestellung erhalten und bereiten Ihr Paket vor." in response.text


def test_a_cancelled_order_without_a_parcel_says_so(client, db, scene):
    from afterward.commerce import service as commerce

    with db.transaction() as session:
        order = commerce.get_order(session, store_id=scene.store_id,
                                   order_id=scene.orders["pending"])
        commerce.cancel_order(session, order=order)

    response = track(client, order_number="1005", email="ada@example.com", lang="fr")

    assert re.search(r'<h2 id="status-heading"[^>]*>\s*<span[^>]*>!</span>\s*Annulé\s*</h2>',
                     response.text)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_wrong_email_and_a_wrong_number_get_the_same_answer(client, scene, method):
    wrong_email = track(client, method, order_number="1001", email="eve@example.com")
    wrong_number = track(client, method, order_number="1999", email="ada@example.com")
    wrong_postal = track(client, method, order_number="1001", postal_code="99999")

    assert wrong_email.status_code == wrong_number.status_code == wrong_postal.status_code \
        == 404
    assert normalized(wrong_email, "1001", "eve@example.com") == \
        normalized(wrong_number, "1999", "ada@example.com") == \
        normalized(wrong_postal, "1001", "99999")
    assert "We could not find that order" in wrong_email.text
    assert "location" not in wrong_email.headers


def test_another_stores_order_is_a_miss(client, db, scene):
    with db.transaction() as session:
        stores.create_store(session, slug="other", name="Other")

    response = track(client, order_number="1001", email="ada@example.com", store="other")

    assert response.status_code == 404
    assert "We could not find that order" in response.text


def test_a_miss_does_the_same_work_whichever_fact_was_wrong(client, db, settings, scene):
    # Timing is not measured (a busy machine makes it noise): the same statements
    # run and the same page comes back, so nothing from outside can tell them apart.
    def miss(number: str, email: str) -> tuple[list[str], str]:
        lookup.lookup_throttle(settings).clear(db, "testclient")
        statements: list[str] = []

        def seen(_conn, _cursor, statement, _params, _context, _many) -> None:
            statements.append(statement)

        event.listen(db.read_engine, "before_cursor_execute", seen)
        try:
            response = track(client, order_number=number, email=email)
        finally:
            event.remove(db.read_engine, "before_cursor_execute", seen)
        page = re.sub(r'nonce="[^"]+"', 'nonce=""', response.text)  # random per page
        return statements, page.replace(f'value="{number}"', "").replace(f'value="{email}"', "")

    wrong_email = miss("1001", "eve@example.com")
    wrong_number = miss("1999", "ada@example.com")

    assert wrong_email[0] == wrong_number[0]
    assert wrong_email[1] == wrong_number[1]
    assert len(wrong_email[0]) >= 2


def test_the_form_is_shown_empty_branded_and_counts_nothing(client, scene):
    for _ in range(lookup.LIMIT + 2):
        response = client.get("/track")

    assert response.status_code == 200
    assert 'name="store" value="brew"' in response.text
    assert "Brew &amp; Co" in response.text
    assert 'action="/track"' in response.text
    assert 'for="order_number"' in response.text and 'for="contact"' in response.text


def test_half_the_facts_asks_for_both(client, scene):
    response = track(client, order_number="1001")

    assert response.status_code == 400
    assert "Two details are needed" in response.text


def test_after_ten_attempts_the_address_waits(client, scene):
    for attempt in range(lookup.LIMIT):
        assert track(client, order_number=f"9{attempt}", email="x@example.com"
                     ).status_code == 404

    blocked = track(client, order_number="1001", email="ada@example.com")

    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "600"
    assert "Too many attempts" in blocked.text
    assert "location" not in blocked.headers


def test_the_limit_is_per_address(app, client, scene):
    for attempt in range(lookup.LIMIT):
        track(client, order_number=f"9{attempt}", email="x@example.com")

    with TestClient(app, client=("203.0.113.9", 5000)) as elsewhere:
        response = track(elsewhere, order_number="1001", email="ada@example.com")

    assert response.status_code == 303


def test_a_store_is_named_by_slug_in_the_path_or_a_field_when_there_are_several(client, db):
    scene = tracking_scenes.build(db, extra_store=True)

    unnamed = track(client, order_number="1001", email="ada@example.com")
    by_field = track(client, order_number="1001", email="ada@example.com", store="brew")
    by_path = track(client, "POST", "/s/brew/track", order_number="1001",
                    email="ada@example.com")

    assert unnamed.status_code == 404
    assert 'id="store" name="store"' in client.get("/track").text
    assert by_field.headers["location"] == by_path.headers["location"] == delivered_url(scene)


def test_the_store_path_shows_its_own_branded_form(client, db):
    tracking_scenes.build(db, extra_store=True)

    response = client.get("/s/brew/track", headers={"Accept-Language": "pt-BR"})

    assert response.status_code == 200
    assert '<html lang="pt-BR">' in response.text
    assert "Rastrear seu pedido" in response.text
    assert 'name="store" value="brew"' in response.text
