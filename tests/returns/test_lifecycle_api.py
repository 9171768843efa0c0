"""Approve, reject, receive: each step's state and event; a wrong step changes nothing."""

from __future__ import annotations

from afterward.events import Event
from afterward.returns.models import RefundRequest, Return
from tests.returns.conftest import stock


def reviewed(shop) -> dict:
    shop.put_policy(auto_approve=False)
    body = shop.request().json()
    assert body["status"] == "requested"
    return body


def test_a_reviewed_return_is_approved_by_hand_and_gets_its_label(shop):
    made = reviewed(shop)

    answer = shop.post(f"/api/v1/returns/{made['id']}/approve")

    assert answer.status_code == 200
    assert answer.json()["status"] == "approved"
    assert answer.json()["label_url"].endswith(".pdf")
    assert answer.json()["review_reasons"] == ["policy: every return is reviewed"]
    assert shop.count(Event, Event.name == "return.approved") == 1


def test_approving_twice_is_a_conflict_that_changes_nothing(shop):
    made = shop.request().json()

    answer = shop.post(f"/api/v1/returns/{made['id']}/approve")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "invalid_status"
    assert shop.count(Event, Event.name == "return.approved") == 1
    assert shop.get(f"/api/v1/returns/{made['id']}").json() == made


def test_a_rejected_return_frees_its_items_for_another_request(shop):
    made = reviewed(shop)

    answer = shop.post(f"/api/v1/returns/{made['id']}/reject", {"reason": "worn"})

    assert (answer.json()["status"], answer.json()["reject_reason"]) == ("rejected", "worn")
    assert answer.json()["label_url"] is None
    assert shop.count(Event, Event.name == "return.rejected") == 1
    assert shop.request().status_code == 201


def test_receiving_settles_a_refund_once_and_restocks(shop):
    made = shop.request().json()

    answer = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "new", "restock": True}]})

    body = answer.json()
    assert answer.status_code == 200, answer.text
    assert (body["status"], body["refund_minor"]) == ("resolved", 1200)
    assert body["lines"][0]["received_quantity"] == 1
    assert (body["lines"][0]["condition"], body["lines"][0]["restock"]) == ("new", True)
    assert shop.count(RefundRequest, RefundRequest.amount_minor == 1200) == 1
    assert [stock(shop, sku) for sku in ("MUG-1", "MUG-2", "MUG-3")] == [6, 0, None]
    assert shop.count(Event, Event.name.in_(["return.received", "return.resolved"])) == 2


def test_receiving_again_is_a_conflict(shop):
    made = shop.request().json()
    lines = {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]}
    shop.post(f"/api/v1/returns/{made['id']}/receive", lines)

    answer = shop.post(f"/api/v1/returns/{made['id']}/receive", lines)

    assert answer.status_code == 409
    assert shop.count(RefundRequest) == 1


def test_a_return_refused_at_inspection_is_received_without_a_refund(shop):
    made = shop.request().json()

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "used", "accept": False}]}).json()

    assert (body["status"], body["refund_minor"], body["reject_reason"]) == (
        "rejected", 0, "nothing accepted at inspection")
    assert body["received_at"] is not None
    assert shop.count(RefundRequest) == 0
    assert shop.request().json()["error"]["code"] == "already_returned"


def test_only_what_came_back_and_was_accepted_is_refunded(shop):
    made = shop.request([{"sku": "CUP-1", "quantity": 3, "reason": "other"}]).json()

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "CUP-1", "quantity": 2, "condition": "opened"}]}).json()

    assert (body["status"], body["refund_minor"]) == ("resolved", 600)


def test_a_line_that_is_not_in_the_return_is_refused_and_nothing_changes(shop):
    made = shop.request().json()

    answer = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "TEA-1", "quantity": 1, "condition": "new"}]})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_line"
    assert shop.get(f"/api/v1/returns/{made['id']}").json() == made
    assert shop.count(Event, Event.name == "return.received") == 0


def test_more_than_was_to_come_back_is_refused(shop):
    made = shop.request().json()

    answer = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 2, "condition": "new"}]})

    assert answer.json()["error"]["code"] == "quantity_exceeds_returned"
    assert shop.count(Return, Return.status == "approved") == 1


def test_a_fee_is_taken_from_a_refund_but_not_for_a_damaged_item(shop):
    shop.put_policy(fees_minor={"refund": 200})

    plain = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "changed_mind"}]).json()
    damaged = shop.request([{"sku": "TEA-1", "quantity": 1, "reason": "damaged"}]).json()

    assert (plain["fee_minor"], plain["refund_minor"]) == (200, 100)
    assert (damaged["fee_minor"], damaged["refund_minor"]) == (0, 450)


def test_a_kept_item_is_resolved_and_refunded_at_once(shop):
    shop.put_policy(resolutions=["refund", "keep"], keep_max_value_minor=500)

    body = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "changed_mind"}],
                        resolution="keep").json()

    assert (body["status"], body["refund_minor"]) == ("resolved", 300)
    assert shop.count(RefundRequest, RefundRequest.amount_minor == 300) == 1


def test_keep_is_not_offered_for_an_item_worth_more_than_the_limit(shop):
    shop.put_policy(resolutions=["refund", "keep"], keep_max_value_minor=500)

    answer = shop.request(resolution="keep")

    assert answer.json()["error"]["code"] == "resolution_not_offered"


def test_returns_are_listed_by_order_number_newest_first(shop):
    first = shop.request().json()
    second = shop.request([{"sku": "TEA-1", "quantity": 1, "reason": "other"}]).json()

    listed = shop.get("/api/v1/returns?order_number=1001").json()["items"]

    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    assert shop.get("/api/v1/returns?order_number=9999").json() == {"items": []}


def test_a_resolved_return_cannot_be_rejected_and_keeps_its_refund(shop):
    made = shop.request().json()
    done = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "new"}]}).json()

    answer = shop.post(f"/api/v1/returns/{made['id']}/reject", {"reason": "changed my mind"})

    assert answer.status_code == 409
    assert shop.get(f"/api/v1/returns/{made['id']}").json() == done
    assert shop.count(Event, Event.name == "return.rejected") == 0


def test_a_requested_return_cannot_be_received_before_approval(shop):
    made = reviewed(shop)

    answer = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "new"}]})

    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == (
        f"return {made['number']} is requested, not approved or label_issued or in_transit")
    assert shop.get(f"/api/v1/returns/{made['id']}").json() == made
