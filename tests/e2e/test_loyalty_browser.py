"""Loyalty in a real browser, JavaScript off (the pages need none): a shopper reaches
their points from the tracking page and redeems a reward with the keyboard, and the
merchant adjusts the member's points in the admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot, sign_in_admin
from tests.e2e.loyalty_member import CAMPAIGN, TIERS, loyalty_member
from tests.e2e.phone import problems_on
from tests.loyalty.conftest import Club
from tests.web.helpers import make_admin

pytestmark = pytest.mark.e2e


@pytest.fixture
def club(client, db, make_store) -> Club:
    return Club(client, db, make_store("acme", currency="EUR"))


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_shopper_redeems_a_reward_from_the_tracking_page(
        live_server, new_page, artifacts, club, db, settings, name, viewport):
    order_id, customer_id = club.order()
    club.deliver(order_id, utcnow())
    loyalty_member(db, settings, customer_id)
    with db.reading() as session:
        token = session.scalar(select(Shipment.token).where(Shipment.order_id == order_id))
    page = new_page(viewport=viewport, java_script_enabled=False)

    # given: the tracking page shows the points and what they buy
    page.goto(f"{live_server.url}/t/{token}")
    block = page.locator("#loyalty")
    assert block.locator(".loyalty-balance").inner_text() == "You have 1,200 points."
    page.get_by_role("link", name="See your points and rewards").click()
    page.wait_for_url(f"{live_server.url}/loyalty/*")
    problems = problems_on(page)
    keep_screenshot(page, artifacts / f"loyalty-page-{name}.png")
    assert page.locator("#balance").inner_text() == "1,200 points"
    assert page.locator("#campaign").inner_text().startswith(f"{CAMPAIGN}: orders placed until")
    assert page.locator("#ways li").all_inner_texts() == [
        "1 point for every €1.00 spent", "200 points on your birthday", "50 points for a review",
        "25 points more for a review with a photo",
        f"25,000 points when you reach {TIERS[0]['name']}"]

    # when: the shopper redeems the first reward with the keyboard
    button = page.get_by_role("button", name="Redeem").first
    button.focus()
    page.keyboard.press("Enter")

    # then: the code is shown, and the balance is lower
    page.wait_for_url("**/redeem")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"loyalty-redeemed-{name}.png")
    code = page.locator("#redeemed .loyalty-code").inner_text()
    assert len(code) >= 8
    assert page.locator("#balance").inner_text() == "700 points"
    assert code in page.locator("#codes").inner_text()
    assert club.points(customer_id)[0] == 700
    assert problems == [], "\n".join(problems)


def test_a_merchant_adjusts_a_member_s_points(live_server, new_page, artifacts, club, db,
                                              settings):
    _, customer_id = club.order()
    loyalty_member(db, settings, customer_id, points=100)
    make_admin(db)
    page = new_page(viewport=PHONE, java_script_enabled=False)
    sign_in_admin(page, live_server.url)

    # given: the member found in the members list
    page.get_by_role("link", name="Loyalty").first.click()
    page.get_by_role("link", name="Members", exact=True).click()
    page.get_by_label("Email").fill("ada@")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="ada@example.com").click()
    assert page.locator("#balance").inner_text() == "100"

    # when: taking more than the balance, then giving points
    page.get_by_label("Points (negative to take)").fill("-150")
    page.get_by_label("Reason").fill("Wrong order")
    page.get_by_role("button", name="Record the adjustment").click()
    refused = page.locator("#problem").inner_text()
    page.get_by_label("Points (negative to take)").fill("250")
    page.get_by_label("Reason").fill("Late parcel")
    page.get_by_role("button", name="Record the adjustment").click()

    # then: the refusal was said, and the points given once
    assert "does not have that many spendable points" in refused
    assert page.locator("#notice").inner_text() == "The adjustment was recorded."
    assert page.locator("#balance").inner_text() == "350"
    keep_screenshot(page, artifacts / "loyalty-admin-member.png")
    assert problems_on(page) == []
    assert club.points(customer_id)[0] == 350


def test_a_merchant_imports_members_from_another_program(live_server, new_page, artifacts,
                                                         club, db, tmp_path):
    assert club.put_program(points_per_currency_unit=1, tiers=TIERS).status_code == 200
    make_admin(db)
    members = tmp_path / "smile-export.csv"
    members.write_text("email,points,tier\nada@example.com,1200,\nbo@example.com,lots,\n",
                       encoding="utf-8")
    page = new_page(viewport=PHONE, java_script_enabled=False)
    sign_in_admin(page, live_server.url)

    # given: the import page, reached from the loyalty overview
    page.get_by_role("link", name="Loyalty").first.click()
    page.get_by_role("link", name="Import members").click()

    # when: a file with a bad row is sent, then sent again skipping bad rows
    page.get_by_label("CSV file, UTF-8, one member a row").set_input_files(members)
    page.get_by_role("button", name="Import members").click()
    refused = page.locator("#refused").inner_text()
    bad_rows = page.locator("#errors tbody tr").all_inner_texts()
    page.get_by_label("CSV file, UTF-8, one member a row").set_input_files(members)
    page.get_by_label("Skip bad rows and import the others").check()
    page.get_by_role("button", name="Import members").click()

    # then: nothing at first, the bad row said by its line; then the good member carried
    assert refused.startswith("Nothing was imported: 1 problem in the file.")
    assert [" ".join(row.split()) for row in bad_rows] == [
        "3 points 'lots' is not a whole number of points from 0 to 10,000,000"]
    assert page.locator("#carried").inner_text().startswith(
        "Carried over 1 member: 1,200 points, 0 tiers, 1 new customer.")
    keep_screenshot(page, artifacts / "loyalty-admin-import.png")
    assert problems_on(page) == []
