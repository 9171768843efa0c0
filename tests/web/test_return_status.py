"""A return's status page, /returns/r/{signed token}: it follows the return from the
request to the end, shows the label's link and QR code once approved, and a forged
link is a readable 404."""

from __future__ import annotations

import pytest

from tests.returns.conftest import make_shop
from tests.web.portal_steps import Portal

MUG = {"MUG-1": (1, "too_small")}


@pytest.fixture
def portal(client, db, store) -> Portal:
    return Portal(make_shop(client, db, store))


def test_an_approved_return_shows_the_label_link_and_its_qr_code(portal):
    page = portal.confirm(MUG)

    [rma] = portal.returns()
    assert '<h1 id="return-heading">Approved: please send it back</h1>' in page.text
    assert f'href="/returns/labels/{rma.label_token}.pdf"' in page.text
    assert '<figure class="return-qr">\n    <svg xmlns="http://www.w3.org/2000/svg"' in page.text
    label = portal.client.get(f"/returns/labels/{rma.label_token}.pdf")
    assert (label.status_code, label.headers["content-type"]) == (200, "application/pdf")


def test_a_return_held_for_review_has_no_label_yet(portal):
    portal.shop.put_policy(auto_approve=False)

    page = portal.confirm(MUG)

    assert '<h1 id="return-heading">Waiting for review</h1>' in page.text
    assert "/returns/labels/" not in page.text and "<svg" not in page.text


def test_the_page_follows_the_return_to_the_end(portal):
    status_url = portal.confirm(MUG).url.path
    [rma] = portal.returns()

    portal.shop.post(f"/api/v1/returns/{rma.id}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "new", "restock": True}]})
    page = portal.client.get(status_url)

    assert '<h1 id="return-heading">Done</h1>' in page.text
    assert page.text.count('<li class="done">') == 4
    assert "<dt>Refund to your original payment</dt><dd>€12.00</dd>" in page.text


def test_a_rejected_return_says_so_and_why(portal):
    status_url = portal.confirm(MUG).url.path
    [rma] = portal.returns()

    portal.shop.post(f"/api/v1/returns/{rma.id}/reject", {"reason": "Worn <twice>"})
    page = portal.client.get(status_url)

    assert '<h1 id="return-heading">Not accepted</h1>' in page.text
    assert '<p class="muted">Worn &lt;twice&gt;</p>' in page.text
    assert "/returns/labels/" not in page.text


def test_the_status_page_speaks_the_shoppers_language(portal):
    status_url = portal.confirm(MUG).url.path

    page = portal.client.get(f"{status_url}?lang=pt_BR")

    assert "Aprovada: envie o item de volta" in page.text
    assert "Imprimir a etiqueta de devolução (PDF)" in page.text


@pytest.mark.parametrize("token", ["WzEsMV0.forged", "nothing", "y" * 400])
def test_a_forged_status_link_is_a_readable_404(portal, token):
    page = portal.client.get(f"/returns/r/{token}")

    assert page.status_code == 404
    assert "We could not find this page" in page.text


def test_an_order_link_does_not_open_a_return(portal):
    order_url = portal.start().url.path

    page = portal.client.get(order_url.replace("/returns/o/", "/returns/r/"))

    assert page.status_code == 404


def test_the_page_has_the_assistants_chat_bound_to_the_returns_order(portal, db):
    import re

    from sqlalchemy import select

    from afterward.assistant.models import Conversation

    page = portal.confirm(MUG)
    [rma] = portal.returns()
    bound = re.search(r'id="assistant"[^>]* data-order="([^"]+)"', page.text)
    assert bound is not None
    asked = portal.client.post("/assistant/messages", json={
        "text": "where is my refund?", "order_token": bound.group(1), "locale": "en"})

    assert "script-src 'self'; connect-src 'self'; style-src" in \
        page.headers["content-security-policy"]
    assert (asked.status_code, asked.json()["intent"]) == (200, "refund_status")
    assert asked.json()["reply"] == f"Return {rma.number}: approved. Refund: €12.00."
    with db.reading() as session:
        assert session.scalar(select(Conversation.order_id)) == rma.order_id
