"""A return's status page when the store buys carrier labels: the label is "being
prepared" until the carrier's is bought, then its link; the parcel on its way back is
a step of its own, in the shopper's language."""

from __future__ import annotations

import pytest

from afterward.tracking.statuses import Status
from tests.returns.carrier_support import (
    ADDRESS,
    WAREHOUSE,
    consume,
    easypost,
    make_shop,
    run_jobs,
    scan,
)
from tests.web.portal_steps import Portal

__all__ = ["easypost"]  # a fixture

MUG = {"MUG-1": (1, "too_small")}


@pytest.fixture
def portal(client, db, store, easypost) -> Portal:
    shop = make_shop(client, db, store, shipping_address=ADDRESS)
    shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE)
    return Portal(shop)


def test_the_label_is_being_prepared_until_the_carrier_s_is_bought(portal, easypost, db):
    easypost.fail("/v2/shipments", 503)
    status_url = portal.confirm(MUG).url.path

    waiting = portal.client.get(status_url)
    run_jobs(db)
    bought = portal.client.get(status_url)

    assert "Your shipping label is being prepared." in waiting.text
    assert "/returns/labels/" not in waiting.text and "<svg" not in waiting.text
    assert f'href="{easypost.url}/files/postage_label/EZ0000000001.pdf"' in bought.text
    assert "being prepared" not in bought.text
    assert '<h1 id="return-heading">Approved: please send it back</h1>' in bought.text


def test_the_parcel_on_its_way_back_is_shown_in_the_shopper_s_language(portal, db):
    status_url = portal.confirm(MUG).url.path
    run_jobs(db)
    [rma] = portal.returns()
    scan(db, rma.inbound_shipment_id, Status.in_transit)
    consume(db)

    page = portal.client.get(status_url + "?lang=de")

    assert '<h1 id="return-heading">Auf dem Rückweg</h1>' in page.text
    assert page.text.count('<li class="done">') == 3
