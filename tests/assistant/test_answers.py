"""Each answer comes from the rows: the parcel's status and last scan as the tracking
page has them, the window and whether it is late, a return's refund, the policy, the
loyalty balance; a missing fact is said to be missing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from afterward.assistant import service
from afterward.tracking.models import Shipment


def test_where_is_my_order_says_the_status_and_the_last_scan_of_the_delivered_parcel(chat):
    answer = chat.widget("where is my order?", token=chat.token("delivered"))

    assert answer.status_code == 200
    body = answer.json()
    assert body["intent"] == "where_is_my_order"
    assert body["reply"] == ("Your parcel for order 1001 is delivered. Last scan: Delivered, "
                             "Berlin, DE, Mar 4, 2026, 14:05. It was delivered on "
                             "March 4, 2026.")
    assert body["handoff"] is False
    assert body["actions"][1] == {"kind": "link", "label": "Open the tracking page",
                                  "id": None, "confirm": None,
                                  "url": f"/t/{chat.token('delivered')}"}


def test_a_parcel_held_at_customs_is_said_to_be_held_up_with_its_last_scan(chat):
    with chat.db.transaction() as session:
        session.execute(update(Shipment).values(eta_earliest=None, eta_latest=None,
                                                promised_at=None, carrier_estimated_at=None))
    answer = chat.widget("where is my order?", token=chat.token("exception"))

    assert answer.json()["reply"] == (
        "Your parcel for order 1003 is held up: the carrier reported a problem. Last scan: "
        "Held by customs, Frankfurt, DE, Mar 7, 2026, 12:00. I don't have a delivery "
        "estimate for it yet.")


def test_a_late_parcel_is_late_by_the_tracking_pages_rule_with_its_new_window(chat):
    with chat.db.transaction() as session:
        session.execute(update(Shipment).where(Shipment.token == chat.token("in_transit"))
                        .values(promised_at=datetime(2026, 3, 6, 23, tzinfo=UTC),
                                eta_earliest=datetime(2026, 3, 8, 10, tzinfo=UTC),
                                eta_latest=datetime(2026, 3, 9, 18, tzinfo=UTC)))
        found = service.reply(session, store_id=chat.scene.store_id, text="when will it arrive",
                              scope=_parcel_scope(session, chat.token("in_transit")),
                              now=datetime(2026, 3, 7, 12, tzinfo=UTC))

    assert found.intent == "delivery_date"
    assert found.reply == ("Your parcel for order 1002 is on its way. It is running late: we "
                           "promised delivery by March 6, 2026, the new estimate is "
                           "Mar 8\u2009\u2013\u20099, 2026. We are sorry.")


def test_in_german_the_same_facts_are_said_in_german(chat):
    answer = chat.widget("wo ist meine Bestellung?", token=chat.token("delivered"), locale="de")

    assert answer.json()["reply"] == (
        "Ihr Paket zur Bestellung 1001: zugestellt. Letzter Scan: Delivered, Berlin, DE, "
        "04.03.2026, 14:05. Es wurde am 4. März 2026 zugestellt.")


def test_an_order_not_shipped_yet_is_said_to_be_not_shipped(chat):
    answer = chat.widget("where is my order?", order_number="1005",
                         email="ada@example.com")

    assert answer.json()["reply"] == ("Order 1005 has not shipped yet. You will get the "
                                      "tracking link as soon as it does.")


def test_refund_status_reads_the_orders_return(chat):
    chat.client.put("/api/v1/returns/policy", headers=chat.auth, json={"window_days": 3650})
    made = chat.client.post("/api/v1/returns", headers=chat.auth, json={
        "order_number": "1001", "resolution": "refund",
        "lines": [{"sku": "BEAN", "quantity": 1, "reason": "changed_mind"}]})
    assert made.status_code == 201, made.text

    answer = chat.widget("what about my refund?", token=chat.token("delivered"))

    assert answer.json()["intent"] == "refund_status"
    assert answer.json()["reply"] == (f"Return {made.json()['number']}: approved. "
                                      "Refund: €14.50.")


def test_without_a_return_refund_status_says_there_is_none(chat):
    answer = chat.widget("what about my refund?", token=chat.token("delivered"))

    assert answer.json()["reply"] == "There is no return for order 1001 yet."


def test_the_return_policy_is_said_in_words_with_this_orders_last_day(chat):
    answer = chat.widget("what is your return policy?", token=chat.token("delivered"))

    assert answer.json()["reply"] == (
        "You can return items within 30 days of delivery, for a refund or store credit or "
        "an exchange. For order 1001 that is until April 3, 2026.")


def test_the_loyalty_balance_and_what_it_buys(chat):
    program = chat.client.put("/api/v1/loyalty/program", headers=chat.auth, json={
        "points_per_currency_unit": 1, "rewards": [
            {"key": "five", "name": "€5 off", "points": 500, "discount_minor": 500},
            {"key": "ten", "name": "€10 off", "points": 1000, "discount_minor": 1000}]})
    assert program.status_code == 200, program.text
    customer_id = chat.client.get("/api/v1/orders?number=1001",
                                  headers=chat.auth).json()["items"][0]["customer_id"]
    added = chat.client.post("/api/v1/loyalty/adjustments", headers=chat.auth, json={
        "customer_id": customer_id, "points": 640, "reason": "welcome",
        "idempotency_key": "a1"})
    assert added.status_code == 201, added.text

    answer = chat.widget("how many points do I have?", token=chat.token("delivered"))

    assert answer.json()["reply"] == "You have 640 points (0 pending). They buy: €5 off (500)."


def test_without_an_account_the_balance_is_said_to_be_missing(chat):
    answer = chat.widget("how many points do I have?", token=chat.token("delivered"))

    assert answer.json()["reply"] == "I can't find loyalty points for this order's customer."


def test_a_question_it_cannot_answer_is_answered_honestly(chat):
    answer = chat.widget("what is the meaning of life", token=chat.token("delivered"))

    assert answer.json()["intent"] == "other"
    assert answer.json()["reply"] == ("I can't help with that here. If you like, I can pass "
                                      "you to a person: just ask.")
    assert answer.json()["handoff"] is False


def _parcel_scope(session, token: str) -> service.Scope:
    from afterward.tracking import service as tracking
    parcel = tracking.by_token(session, token)
    assert parcel is not None
    return service.Scope(channel="widget", order_id=parcel.order_id, shipment_id=parcel.id)
