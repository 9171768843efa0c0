"""The customer page's personal-data card: a JSON download, and an erasure that
needs the box ticked and the CSRF token."""

from __future__ import annotations

import pytest

from afterward.commerce.models import Customer
from tests.web.helpers import csrf_of, make_admin, place_order, sign_in


@pytest.fixture
def signed_in(client, db, store):
    make_admin(db)
    sign_in(client)
    return client


def test_the_download_is_the_customer_s_export_as_an_attachment(signed_in, store):
    order = place_order(signed_in, store.auth, "1001")

    response = signed_in.get(f"/admin/customers/{order['customer_id']}/export")

    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="customer-{order["customer_id"]}.json"')
    assert response.json()["commerce"]["orders"][0]["number"] == "1001"


def test_erasing_with_the_box_ticked_scrubs_the_customer_and_says_so(signed_in, db, store):
    order = place_order(signed_in, store.auth, "1001")
    page = signed_in.get(f"/admin/customers/{order['customer_id']}")

    done = signed_in.post(f"/admin/customers/{order['customer_id']}/erase",
                          data={"csrf": csrf_of(page.text), "confirm": "yes"})

    assert done.status_code == 200
    assert 'id="erased-notice"' in done.text
    assert "ada@example.com" not in done.text
    with db.reading() as session:
        assert session.get(Customer, order["customer_id"]).email is None


def test_without_the_box_or_the_token_nothing_is_erased(signed_in, db, store):
    order = place_order(signed_in, store.auth, "1001")
    page = signed_in.get(f"/admin/customers/{order['customer_id']}")
    url = f"/admin/customers/{order['customer_id']}/erase"

    unticked = signed_in.post(url, data={"csrf": csrf_of(page.text)})
    forged = signed_in.post(url, data={"csrf": "forged", "confirm": "yes"})

    assert 'id="erase-unconfirmed"' in unticked.text
    assert forged.status_code == 403
    with db.reading() as session:
        assert session.get(Customer, order["customer_id"]).email == "ada@example.com"
