"""The admin's returns queue: filters, a return's page with the customer's history,
approve / reject with a reason / receive and inspect, bulk steps with mixed outcomes,
wrong-status clicks as sentences (never a 500), another store's return a 404, forged
forms refused; and the policy editor, which keeps a bad document as typed and saves
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import update

from afterward.returns.models import Return, ReturnPolicyRow
from afterward.storage.types import utcnow
from tests.returns.conftest import Shop, make_shop, stock
from tests.web.helpers import csrf_of, make_admin, sign_in

MUG_REVIEW = {"name": "mugs by hand", "when": {"skus": ["MUG-1"]}, "then": {"review": True}}


@pytest.fixture
def shop(client, db, store) -> Shop:
    """The returns shop, whose mugs are held for review, and a signed-in admin."""
    made = make_shop(client, db, store)
    made.put_policy(rules=[MUG_REVIEW])
    make_admin(db)
    sign_in(client)
    return made


def ask(shop: Shop, sku: str, quantity: int = 1, reason: str = "too_small",
        resolution: str = "refund", **line: Any) -> dict[str, Any]:
    answer = shop.request([{"sku": sku, "quantity": quantity, "reason": reason, **line}],
                          resolution=resolution)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def status_of(shop: Shop, return_id: int) -> tuple[str, str | None]:
    with shop.db.reading() as session:
        rma = session.get(Return, return_id)
        assert rma is not None
        return rma.status, rma.reject_reason


def token(shop: Shop, path: str = "/admin/returns") -> str:
    return csrf_of(shop.client.get(path).text)


def age(shop: Shop, return_id: int, days: int) -> None:
    with shop.db.transaction() as session:
        session.execute(update(Return).where(Return.id == return_id)
                        .values(created_at=utcnow() - timedelta(days=days)))


# The queue


def test_the_queue_lists_each_return_with_its_order_customer_items_value_and_flags(shop):
    mug = ask(shop, "MUG-1")
    tea = ask(shop, "TEA-1", 2, reason="changed_mind")

    page = shop.client.get("/admin/returns")

    assert page.status_code == 200
    assert page.text.index(tea["number"]) < page.text.index(mug["number"])  # newest first
    row = page.text.split(f'id="return-{mug["id"]}"')[1].split("</tr>")[0]
    assert f'<a href="/admin/returns/{mug["id"]}">{mug["number"]}</a>' in row
    assert ">1001</a>" in row and "Ada Lovelace" in row and "Mug (1)" in row
    assert "€12.00" in row and "refund" in row and "badge-requested" in row
    assert "Review</span> rule: mugs by hand" in row
    tea_row = page.text.split(f'id="return-{tea["id"]}"')[1].split("</tr>")[0]
    assert "Green tea (2)" in tea_row and "badge-approved" in tea_row
    assert '<td data-label="Flags">—' in tea_row


@pytest.mark.parametrize(("query", "expected"), [
    ("status=requested", ["mug"]),
    ("status=approved", ["cup", "tea"]),
    ("reason=changed_mind", ["tea"]),
    ("resolution=store_credit", ["cup"]),
    ("flagged=1", ["mug"]),
    ("age=7", ["cup"]),
    ("status=approved&reason=changed_mind&resolution=refund", ["tea"]),
    ("status=rejected", []),
])
def test_the_queue_filters_by_status_reason_resolution_flags_and_age(shop, query, expected):
    made = {"mug": ask(shop, "MUG-1"), "tea": ask(shop, "TEA-1", reason="changed_mind"),
            "cup": ask(shop, "CUP-1", resolution="store_credit")}
    age(shop, made["cup"]["id"], 8)

    page = shop.client.get(f"/admin/returns?{query}")

    assert page.status_code == 200
    shown = sorted(name for name, rma in made.items() if f'id="return-{rma["id"]}"' in page.text)
    assert shown == expected


def test_the_queue_counts_the_returns_in_each_status_with_a_link_to_them(shop):
    for sku in ("MUG-1", "TEA-1", "CUP-1"):
        ask(shop, sku)

    counts = shop.client.get("/admin/returns").text.split('id="status-counts"')[1].split("</ul>")[0]

    assert [(link.split('href="')[1].split('"')[0], link.split('class="count">')[1][:1])
            for link in counts.split("<li>")[1:]] == [
        ("/admin/returns?status=requested", "1"), ("/admin/returns?status=approved", "2")]


def test_a_status_added_to_the_models_appears_in_the_filter(shop, monkeypatch):
    from afterward.web.admin import returns as admin_returns

    monkeypatch.setattr(admin_returns, "STATUSES", (*admin_returns.STATUSES, "in_transit"))

    page = shop.client.get("/admin/returns?status=in_transit")

    assert page.status_code == 200
    assert '<option value="in_transit" selected>In transit</option>' in page.text


def test_an_unknown_filter_value_is_a_readable_400(shop):
    page = shop.client.get("/admin/returns?status=lost")

    assert page.status_code == 400
    assert "There is no return status “lost”. Pick one from the list." in page.text


def test_the_queue_pages_by_id_and_keeps_the_filters(shop, monkeypatch):
    from afterward.web.admin import returns as admin_returns

    monkeypatch.setattr(admin_returns, "PAGE_SIZE", 1)
    tea, cup = ask(shop, "TEA-1"), ask(shop, "CUP-1")

    first = shop.client.get("/admin/returns?status=approved")
    second = shop.client.get(f"/admin/returns?status=approved&before={cup['id']}")

    assert f'id="return-{cup["id"]}"' in first.text and f'id="return-{tea["id"]}"' not in first.text
    assert f'href="/admin/returns?status=approved&amp;before={cup["id"]}"' in first.text
    assert f'id="return-{tea["id"]}"' in second.text and 'rel="next"' not in second.text


# One return


def test_a_return_page_shows_lines_money_review_timeline_and_the_customer_history(shop):
    earlier = ask(shop, "TEA-1", 2, reason="changed_mind")
    mug = ask(shop, "MUG-1", comment="Handle chipped on arrival")

    page = shop.client.get(f"/admin/returns/{mug['id']}")

    assert page.status_code == 200
    lines = page.text.split('id="lines"')[1].split("</table>")[0]
    assert "MUG-1" in lines and "too small" in lines and "Handle chipped on arrival" in lines
    money = page.text.split('id="money"')[1].split("</dl>")[0]
    assert "<dt>Value</dt><dd>€12.00</dd>" in money and "<dt>Refund</dt><dd>€12.00</dd>" in money
    assert "Held for review:</strong> rule: mugs by hand" in page.text
    assert "Return requested" in page.text.split('id="timeline"')[1]
    assert 'id="label-link"' not in page.text  # not approved yet
    history = page.text.split('id="customer-history"')[1].split("</section>")[0]
    assert '<dd id="history-orders">1</dd>' in history
    assert '<dd id="history-returned">1</dd>' in history
    assert '<dd id="history-rate">100.0%</dd>' in history
    assert earlier["number"] in history and "€9.00" in history and "badge-approved" in history
    assert mug["number"] not in history


def test_approving_a_held_return_shows_its_label_and_a_second_click_is_a_sentence(shop):
    mug = ask(shop, "MUG-1")
    csrf = token(shop)

    first = shop.client.post(f"/admin/returns/{mug['id']}/approve", data={"csrf": csrf},
                             follow_redirects=False)
    second = shop.client.post(f"/admin/returns/{mug['id']}/approve", data={"csrf": csrf})

    assert (first.status_code, first.headers["location"]) == (
        303, f"/admin/returns/{mug['id']}?done=approved")
    shown = shop.client.get(first.headers["location"]).text
    assert "The return was approved." in shown and 'id="label-link"' in shown
    assert second.status_code == 409
    assert f"{mug['number']} was already approved, so it cannot be approved." in second.text
    assert status_of(shop, mug["id"]) == ("approved", None)
    assert shop.count(Return) == 1


def test_rejecting_needs_a_reason_and_then_the_customer_can_ask_again(shop):
    mug = ask(shop, "MUG-1")
    csrf = token(shop)

    empty = shop.client.post(f"/admin/returns/{mug['id']}/reject",
                             data={"csrf": csrf, "reason": "   "})
    assert empty.status_code == 422
    assert "Give a reason for rejecting: the customer reads it." in empty.text
    assert status_of(shop, mug["id"]) == ("requested", None)

    done = shop.client.post(f"/admin/returns/{mug['id']}/reject",
                            data={"csrf": csrf, "reason": "Worn, not returnable"})
    assert done.status_code == 200 and "The return was rejected." in done.text
    assert status_of(shop, mug["id"]) == ("rejected", "Worn, not returnable")
    assert ask(shop, "MUG-1")["status"] == "requested"  # its units can be asked for again


def test_receiving_records_each_line_and_settles_what_was_accepted(shop):
    rma = ask(shop, "CUP-1", 3)
    csrf = token(shop)
    before = stock(shop, "MUG-1")

    answer = shop.client.post(f"/admin/returns/{rma['id']}/receive", data={
        "csrf": csrf, "sku": ["CUP-1"], "quantity": ["2"], "condition": ["opened"],
        "accept": ["CUP-1"]}, follow_redirects=False)

    assert answer.headers["location"] == f"/admin/returns/{rma['id']}?done=received"
    body = shop.get(f"/api/v1/returns/{rma['id']}").json()
    assert body["status"] == "resolved" and body["refund_minor"] == 600
    assert [(ln["received_quantity"], ln["condition"], ln["restock"], ln["accepted"])
            for ln in body["lines"]] == [(2, "opened", False, True)]
    assert stock(shop, "MUG-1") == before
    page = shop.client.get(answer.headers["location"]).text
    assert "2 opened" in page and "Return received" in page


def test_a_receipt_with_a_bad_quantity_is_a_sentence_and_changes_nothing(shop):
    rma = ask(shop, "CUP-1", 3)
    csrf = token(shop)

    for quantity, status in (("4", 422), ("two", 422)):
        answer = shop.client.post(f"/admin/returns/{rma['id']}/receive", data={
            "csrf": csrf, "sku": ["CUP-1"], "quantity": [quantity], "condition": ["new"],
            "accept": ["CUP-1"]})
        assert answer.status_code == status
        assert 'id="problem"' in answer.text
        assert status_of(shop, rma["id"]) == ("approved", None)


def test_a_receipt_where_nothing_passes_inspection_rejects_the_return_and_says_so(shop):
    rma = ask(shop, "CUP-1", 3)

    answer = shop.client.post(f"/admin/returns/{rma['id']}/receive", data={
        "csrf": token(shop), "sku": ["CUP-1"], "quantity": ["3"], "condition": ["used"]},
        follow_redirects=False)

    assert answer.headers["location"] == f"/admin/returns/{rma['id']}?done=refused"
    page = shop.client.get(answer.headers["location"]).text
    assert ("The return was received, but nothing passed inspection: it was rejected and "
            "nothing is paid.") in page
    assert status_of(shop, rma["id"]) == ("rejected", "nothing accepted at inspection")


def test_receiving_a_return_still_requested_is_a_sentence(shop):
    mug = ask(shop, "MUG-1")

    answer = shop.client.post(f"/admin/returns/{mug['id']}/receive", data={
        "csrf": token(shop), "sku": ["MUG-1"], "quantity": ["1"], "condition": ["new"]})

    assert answer.status_code == 409
    assert f"{mug['number']} was already requested, so it cannot be received." in answer.text
    assert status_of(shop, mug["id"]) == ("requested", None)


def test_another_stores_return_is_a_404_and_its_steps_change_nothing(shop, client, db,
                                                                      make_store):
    other_store = make_store("other")
    other = make_shop(client, db, other_store)
    theirs = other.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small"}],
                           resolution="refund", ).json()
    csrf = token(shop)

    assert client.get(f"/admin/returns/{theirs['id']}").status_code == 404
    answer = client.post(f"/admin/returns/{theirs['id']}/reject",
                         data={"csrf": csrf, "reason": "no"})
    assert answer.status_code == 404
    assert status_of(other, theirs["id"]) == ("approved", None)
    assert f'id="return-{theirs["id"]}"' not in client.get("/admin/returns").text


def test_a_step_without_the_csrf_value_is_refused_and_changes_nothing(shop):
    mug = ask(shop, "MUG-1")

    for path, data in (("approve", {}), ("reject", {"reason": "x"})):
        answer = shop.client.post(f"/admin/returns/{mug['id']}/{path}",
                                  data={"csrf": "forged", **data})
        assert answer.status_code == 403
    bulk = shop.client.post("/admin/returns/bulk", data={"ids": [str(mug["id"])],
                                                          "action": "approve"})
    assert bulk.status_code == 403
    assert status_of(shop, mug["id"]) == ("requested", None)


# Several at once


def test_bulk_reject_moves_those_it_can_and_names_those_it_cannot(shop):
    mug, tea = ask(shop, "MUG-1"), ask(shop, "TEA-1")
    cup = ask(shop, "CUP-1")
    csrf = token(shop)
    shop.client.post(f"/admin/returns/{cup['id']}/reject", data={"csrf": csrf, "reason": "x"})

    answer = shop.client.post("/admin/returns/bulk", data={
        "csrf": csrf, "action": "reject", "reason": "Outside our rules",
        "ids": [str(mug["id"]), str(cup["id"]), str(tea["id"])]})

    assert answer.status_code == 200
    outcomes = answer.text.split('id="outcomes"')[1].split("</div>")[0]
    assert "2 of 3 done." in outcomes
    assert f"{cup['number']} was already rejected, so it cannot be rejected." in outcomes
    assert f"{mug['number']} was rejected." in outcomes
    assert status_of(shop, mug["id"]) == ("rejected", "Outside our rules")
    assert status_of(shop, tea["id"]) == ("rejected", "Outside our rules")
    assert status_of(shop, cup["id"]) == ("rejected", "x")


def test_after_a_bulk_step_the_queue_shows_again_with_its_filters(shop):
    mug, tea = ask(shop, "MUG-1"), ask(shop, "TEA-1")
    queue = shop.client.get("/admin/returns?status=requested&flagged=1").text
    assert '<input type="hidden" name="status" value="requested">' in queue
    assert '<input type="hidden" name="flagged" value="1">' in queue

    answer = shop.client.post("/admin/returns/bulk", data={
        "csrf": csrf_of(queue), "action": "approve", "ids": [str(mug["id"])],
        "status": "requested", "flagged": "1"})

    assert f"{mug['number']} was approved." in answer.text
    assert '<option value="requested" selected>' in answer.text
    assert f'id="return-{mug["id"]}"' not in answer.text  # approved: no longer requested
    assert f'id="return-{tea["id"]}"' not in answer.text  # never flagged
    assert "No return matches these filters." in answer.text


def test_bulk_approve_reports_a_return_of_another_store_and_approves_the_rest(
        shop, client, db, make_store):
    mug = ask(shop, "MUG-1")
    other = make_shop(client, db, make_store("other"))
    theirs = other.request().json()

    answer = client.post("/admin/returns/bulk", data={
        "csrf": token(shop), "action": "approve", "ids": [str(theirs["id"]), str(mug["id"])]})

    assert "1 of 2 done." in answer.text
    assert f"There is no return #{theirs['id']} in this store." in answer.text
    assert status_of(shop, mug["id"]) == ("approved", None)


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "approve"}, "Tick at least one return first."),
    ({"action": "reject", "reason": " "}, "Give a reason for rejecting: the customer reads it."),
])
def test_a_bulk_form_without_returns_or_reason_changes_nothing(shop, data, message):
    mug = ask(shop, "MUG-1")
    ids = [] if "reason" not in data else [str(mug["id"])]

    answer = shop.client.post("/admin/returns/bulk", data={"csrf": token(shop), "ids": ids,
                                                           **data})

    assert answer.status_code == 422 and message in answer.text
    assert status_of(shop, mug["id"]) == ("requested", None)


# The policy


def test_the_policy_page_summarises_the_policy_and_saves_a_valid_document(shop):
    page = shop.client.get("/admin/returns/policy")
    assert "Returns are taken for 30 days after delivery" in page.text
    assert "1 rule: mugs by hand." in page.text

    answer = shop.client.post("/admin/returns/policy", data={
        "csrf": csrf_of(page.text), "document": '{"window_days": 45, "auto_approve": false}'},
        follow_redirects=False)

    assert answer.headers["location"] == "/admin/returns/policy?saved=1"
    saved = shop.client.get(answer.headers["location"]).text
    assert "The policy was saved." in saved and "for 45 days after delivery" in saved
    assert "Every request waits for someone to approve it." in saved
    assert shop.get("/api/v1/returns/policy").json()["window_days"] == 45


@pytest.mark.parametrize(("document", "problem"), [
    ('{"window_days": 45,\n  "auto_approve": tru}', "Line 2, column 19: Expecting value."),
    ('{"window_days": -1}', "Line 1, window_days: Input should be greater than or equal to 0."),
    ('{"rules": [\n {"name": "x"},\n {"name": "y", "then": {\n  "fee_minor": "a"}}]}',
     "Line 4, rules.1.then.fee_minor: Value error, expected an integer."),
    ('{"colour": "red"}', "Line 1, colour: Extra inputs are not permitted."),
    ('[]', "The document: Input should be a valid dictionary or instance of Policy."),
])
def test_a_bad_policy_is_shown_as_typed_with_where_it_is_wrong_and_nothing_saved(
        shop, document, problem):
    with shop.db.reading() as session:
        before = session.get(ReturnPolicyRow, shop.store.id).document

    answer = shop.client.post("/admin/returns/policy", data={
        "csrf": token(shop, "/admin/returns/policy"), "document": document})

    assert answer.status_code == 422
    assert "Nothing was saved." in answer.text and problem in answer.text
    assert f">{escape(document)}</textarea>" in answer.text
    with shop.db.reading() as session:
        assert session.get(ReturnPolicyRow, shop.store.id).document == before



# Analytics


def test_the_analytics_page_draws_the_figures_as_svg_bars_and_shows_a_products_comments(shop):
    mug = ask(shop, "MUG-1", comment="Too small for coffee")
    shop.client.post(f"/admin/returns/{mug['id']}/approve", data={"csrf": token(shop)})
    ask(shop, "CUP-1", 3, reason="damaged", resolution="store_credit")
    product = shop.client.get("/admin/returns/analytics").text.split(
        '<option value="')[-1].split('"')[0]  # the picker's products: Cup, Mug

    page = shop.client.get(f"/admin/returns/analytics?days=30&product={product}")

    assert page.status_code == 200
    assert '<svg class="bars" id="product-chart"' in page.text
    assert "100.0% (1 of 1)" in page.text and "100.0% (3 of 3)" in page.text
    assert '<svg class="bars" id="resolutions-chart"' in page.text
    assert "50.0% (1)" in page.text  # refund and store credit, one each
    assert '<span class="figure-value" id="retained">—</span>' in page.text  # none resolved
    assert "Comments on Mug" in page.text and "Too small for coffee" in page.text
    assert "<script" not in page.text.split("<main")[1]


def test_the_analytics_period_is_one_of_the_three(shop):
    assert shop.client.get("/admin/returns/analytics?days=7").status_code == 400
    assert shop.client.get("/admin/returns/analytics?days=365").status_code == 200
