"""The status page's form for the tracking number of a parcel sent back with our own
label (POST /returns/r/{token}/tracking): told once, the parcel is tracked inbound;
a bad number, a missing CSRF cookie or a forged link changes nothing."""

from __future__ import annotations

import re
from html import unescape

import pytest

from afterward.events import Event
from afterward.tracking.models import Shipment
from tests.returns.carrier_support import ADDRESS, WAREHOUSE, easypost, make_shop
from tests.web.portal_steps import Portal, action, fields

__all__ = ["easypost"]  # a fixture

MUG = {"MUG-1": (1, "too_small")}


@pytest.fixture
def portal(client, db, store) -> Portal:
    return Portal(make_shop(client, db, store))


def status(portal: Portal) -> tuple[str, str]:
    page = portal.confirm(MUG)
    return page.url.path, page.text


def tell(portal: Portal, page: str, number: str) -> object:
    return portal.client.post(action(page), data={**fields(page), "tracking_number": number},
                              follow_redirects=False)


def test_a_told_tracking_number_makes_the_parcel_tracked(portal):
    path, page = status(portal)

    answer = tell(portal, page, "jjd 0001 2345")

    assert (answer.status_code, answer.headers["location"]) == (303, path)
    [rma] = portal.returns()
    assert (rma.status, rma.tracking_number) == ("label_issued", "JJD00012345")
    assert portal.shop.count(Shipment, Shipment.direction == "inbound") == 1
    after = portal.client.get(path).text
    assert 'name="tracking_number"' not in after
    assert "/returns/labels/" in after  # our own label still


def test_the_form_sent_twice_tracks_one_parcel(portal):
    path, page = status(portal)

    first, second = tell(portal, page, "JJD0001"), tell(portal, page, "JJD0002")

    assert [a.headers["location"] for a in (first, second)] == [path, path]
    [rma] = portal.returns()
    assert rma.tracking_number == "JJD0001"
    assert portal.shop.count(Event, Event.name == "return.label_issued") == 1


def test_a_number_that_cannot_be_one_is_said_in_the_shopper_s_language(portal):
    path, page = status(portal)
    page = portal.client.get(path + "?lang=de").text

    answer = tell(portal, page, "<b>?")

    assert answer.status_code == 422
    assert "Das sieht nicht nach einer Sendungsnummer aus." in answer.text
    assert 'value="&lt;b&gt;?"' in answer.text
    [rma] = portal.returns()
    assert (rma.status, rma.tracking_number) == ("approved", None)


def test_without_the_csrf_cookie_nothing_changes(portal):
    _path, page = status(portal)
    portal.client.cookies.clear()

    answer = tell(portal, page, "JJD0001")

    assert answer.status_code == 403
    [rma] = portal.returns()
    assert rma.tracking_number is None
    assert portal.shop.count(Shipment, Shipment.direction == "inbound") == 0


def test_a_forged_link_is_the_readable_404(portal):
    path, page = status(portal)

    answer = portal.client.post(path[:-3] + "xyz/tracking", data={
        **fields(page), "tracking_number": "JJD0001"})

    assert answer.status_code == 404
    assert portal.returns()[0].tracking_number is None


def test_a_carrier_label_needs_no_number_from_the_shopper(client, db, store, easypost):
    shop = make_shop(client, db, store, shipping_address=ADDRESS)
    shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE)

    page = Portal(shop).confirm(MUG).text

    assert 'name="tracking_number"' not in page
    assert not re.search(r'action="[^"]*/tracking', unescape(page))
