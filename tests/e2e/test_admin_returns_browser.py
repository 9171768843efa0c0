"""The admin's returns queue in a real browser on a phone and a desktop: a merchant
filters the flagged returns, opens one and approves it, rejects another with a
reason, receives a third and inspects it, then reads the analytics. No page is wider
than the screen. Screenshots land in test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from afterward.returns.models import Return
from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot, sign_in_admin
from tests.e2e.phone import problems_on
from tests.returns.conftest import Shop, make_shop
from tests.web.helpers import make_admin

pytestmark = pytest.mark.e2e

MUG_REVIEW = {"name": "mugs by hand", "when": {"skus": ["MUG-1"]}, "then": {"review": True}}


def ask(shop: Shop, sku: str, quantity: int, reason: str, comment: str) -> dict[str, Any]:
    answer = shop.request([{"sku": sku, "quantity": quantity, "reason": reason,
                            "comment": comment}])
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_merchant_works_through_the_returns_queue(
        live_server, new_page, artifacts, client, db, store, name, viewport):
    shop = make_shop(client, db, store)
    shop.put_policy(rules=[MUG_REVIEW])
    mug = ask(shop, "MUG-1", 1, "damaged", "The handle came off")
    tea = ask(shop, "TEA-1", 2, "changed_mind", "Not my taste")
    cups = ask(shop, "CUP-1", 3, "too_small", "Smaller than they looked")
    make_admin(db)
    page = new_page(viewport=viewport)
    problems: list[str] = []
    sign_in_admin(page, live_server.url, "/admin/returns")

    # the flagged returns: only the mug
    page.get_by_label("Flagged only").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/admin/returns?*flagged=1")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"admin-returns-queue-{name}.png")
    assert page.locator("#returns tbody tr").count() == 1

    # open it: held for review, the customer's history beside it; approve it
    page.get_by_role("link", name=mug["number"]).click()
    page.wait_for_url(f"**/admin/returns/{mug['id']}")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"admin-return-flagged-{name}.png")
    assert "rule: mugs by hand" in page.locator("#review-reasons").inner_text()
    assert page.locator("#history-orders").inner_text() == "1"
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(f"**/admin/returns/{mug['id']}?done=approved")
    assert page.locator("#notice").inner_text() == "The return was approved."
    assert page.get_by_role("link", name="Return label (PDF)").is_visible()

    # reject the tea with a reason
    page.goto(f"{live_server.url}/admin/returns/{tea['id']}")
    page.get_by_label("Reason to reject (the customer reads it)").fill("Opened and used")
    page.get_by_role("button", name="Reject").click()
    page.wait_for_url(f"**/admin/returns/{tea['id']}?done=rejected")
    assert page.locator("#reject-reason").inner_text() == "Opened and used"

    # receive the cups: two came back, opened, not restocked
    page.goto(f"{live_server.url}/admin/returns/{cups['id']}")
    page.get_by_label("Quantity received").fill("2")
    page.get_by_label("Condition").select_option("opened")
    page.get_by_label("Back into stock").uncheck()
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"admin-return-receive-{name}.png")
    page.get_by_role("button", name="Record what came back").click()
    page.wait_for_url(f"**/admin/returns/{cups['id']}?done=received")
    assert page.locator("#notice").inner_text() == "The return was received and inspected."
    assert page.locator("#money").inner_text().count("€6.00") == 1  # 2 cups refunded

    # the analytics
    page.goto(f"{live_server.url}/admin/returns/analytics")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"admin-returns-analytics-{name}.png")
    assert page.locator("#product-chart").is_visible()
    assert page.locator("#refunded-EUR").inner_text() == "€6.00"  # the two cups
    assert problems == []
    with db.reading() as session:
        assert {r.number: r.status for r in session.query(Return)} == {
            mug["number"]: "approved", tea["number"]: "rejected", cups["number"]: "resolved"}
