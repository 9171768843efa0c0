"""Instant exchanges: the exchange order is made at the return parcel's first carrier
scan, once; what a return then fails to pay for is recorded, never lost."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from afterward.commerce.models import Order
from afterward.events import Event
from afterward.returns import service
from afterward.returns.models import RefundRequest, Return
from afterward.returns.schemas import ReceiveIn
from afterward.tracking.statuses import Status
from tests.returns.carrier_support import (
    WAREHOUSE,
    approved_with_label,
    carrier_shop,
    consume,
    easypost,
    scan,
)

MUG_BACK = {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]}

__all__ = ["carrier_shop", "easypost"]  # fixtures


def instant_policy(shop) -> None:
    shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE, instant_exchange=True)


def exchange_orders(shop) -> list[tuple[str, int]]:
    with shop.db.reading() as session:
        return [(o.number, o.total_minor) for o in session.scalars(
            select(Order).where(Order.source == "exchange").order_by(Order.id))]


def in_transit(shop, db, **request) -> dict:
    body = approved_with_label(shop, db, resolution="exchange", instant_exchange=True,
                               **request)
    scan(db, body["inbound_shipment_id"], Status.in_transit)
    consume(db)
    return shop.get(f"/api/v1/returns/{body['id']}").json()


def test_the_exchange_order_is_made_at_the_first_scan(carrier_shop, db):
    instant_policy(carrier_shop)

    body = in_transit(carrier_shop, db, exchange_for_sku="MUG-3")

    assert (body["status"], body["instant_exchange"]) == ("in_transit", True)
    assert exchange_orders(carrier_shop) == [(f"{body['number']}-X", 300)]
    assert body["exchange_order_id"] is not None
    assert body["resolved_at"] is None


def test_receipt_settles_an_instant_exchange_without_a_second_order(carrier_shop, db):
    instant_policy(carrier_shop)
    body = in_transit(carrier_shop, db, exchange_for_sku="MUG-3")

    done = carrier_shop.post(f"/api/v1/returns/{body['id']}/receive", MUG_BACK).json()

    assert (done["status"], done["exchange_order_id"]) == ("resolved", body["exchange_order_id"])
    assert (done["difference_minor"], done["refund_minor"]) == (300, 0)
    assert exchange_orders(carrier_shop) == [(f"{body['number']}-X", 300)]
    assert done["review_reasons"] == []


def test_a_cheaper_instant_exchange_refunds_the_difference_once_at_receipt(carrier_shop, db):
    instant_policy(carrier_shop)
    body = in_transit(carrier_shop, db, lines=[{"sku": "TEA-1", "quantity": 2,
                                                "reason": "other"}],
                      exchange_for_sku="CUP-1")

    assert carrier_shop.count(RefundRequest) == 0
    done = carrier_shop.post(f"/api/v1/returns/{body['id']}/receive", {"lines": [
        {"sku": "TEA-1", "quantity": 2, "condition": "new"}]}).json()

    assert (done["difference_minor"], done["refund_minor"]) == (-390, 390)
    assert carrier_shop.count(RefundRequest, RefundRequest.amount_minor == 390) == 1
    assert len(exchange_orders(carrier_shop)) == 1


def test_an_instant_exchange_refused_at_inspection_records_what_is_owed(carrier_shop, db):
    instant_policy(carrier_shop)
    body = in_transit(carrier_shop, db, exchange_for_sku="MUG-3")

    done = carrier_shop.post(f"/api/v1/returns/{body['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "used", "accept": False}]}).json()

    assert done["status"] == "rejected"
    assert done["review_reasons"] == ["instant_exchange_unsettled"]
    with db.reading() as session:
        [event] = session.scalars(select(Event).where(
            Event.name == "return.instant_exchange_unsettled"))
        # the large mug (1500) went out; the shopper was to pay 300 of it
        assert (event.payload["owed_minor"], event.payload["exchange_order_id"]) == (
            1200, body["exchange_order_id"])


def test_an_instant_exchange_whose_parcel_never_arrives_records_what_is_owed(carrier_shop,
                                                                           db):
    instant_policy(carrier_shop)
    body = in_transit(carrier_shop, db, exchange_for_sku="MUG-3")

    done = carrier_shop.post(f"/api/v1/returns/{body['id']}/reject",
                             {"reason": "the parcel was lost"}).json()

    assert (done["status"], done["review_reasons"]) == ("rejected",
                                                        ["instant_exchange_unsettled"])
    assert carrier_shop.count(Event, Event.name == "return.instant_exchange_unsettled") == 1


def test_an_instant_exchange_needs_a_policy_that_offers_it(carrier_shop):
    answer = carrier_shop.request(resolution="exchange", exchange_for_sku="MUG-3",
                                  instant_exchange=True)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "instant_exchange_not_offered"
    assert carrier_shop.count(Return) == 0


def test_an_instant_refund_is_no_such_thing(carrier_shop):
    instant_policy(carrier_shop)

    answer = carrier_shop.request(resolution="refund", instant_exchange=True)

    assert answer.json()["error"]["code"] == "instant_exchange_not_offered"
    assert carrier_shop.count(Return) == 0


def test_an_instant_exchange_needs_a_carrier_label_in_the_policy(shop):
    answer = shop.client.put("/api/v1/returns/policy", json={"instant_exchange": True},
                             headers=shop.auth)

    assert answer.status_code == 422


def test_a_plain_exchange_waits_for_receipt(carrier_shop, db):
    instant_policy(carrier_shop)
    body = approved_with_label(carrier_shop, db, resolution="exchange",
                               exchange_for_sku="MUG-3")

    scan(db, body["inbound_shipment_id"], Status.in_transit)
    consume(db)

    assert exchange_orders(carrier_shop) == []


def test_the_first_scan_and_receipt_racing_make_one_exchange_order(carrier_shop, db):
    instant_policy(carrier_shop)
    body = approved_with_label(carrier_shop, db, resolution="exchange",
                               instant_exchange=True, exchange_for_sku="MUG-3")
    scan(db, body["inbound_shipment_id"], Status.in_transit)
    receipt = ReceiveIn.model_validate(MUG_BACK)
    errors: list[BaseException] = []

    def receive() -> None:
        def work(session):
            rma = service.get_return(session, store_id=carrier_shop.store.id,
                                     return_id=body["id"], lock=True)
            if rma is not None and rma.status != "resolved":
                service.receive(session, rma=rma, data=receipt)
        try:
            db.run(work)
        except BaseException as exc:
            errors.append(exc)

    def read_scans() -> None:
        try:
            consume(db)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fn) for fn in (read_scans, receive, read_scans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(exchange_orders(carrier_shop)) == 1
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Order).where(
            Order.number == f"{body['number']}-X")) == 1


def test_a_parcel_sent_back_to_the_shopper_records_what_an_instant_exchange_is_owed(
        carrier_shop, db):
    instant_policy(carrier_shop)
    body = in_transit(carrier_shop, db, exchange_for_sku="MUG-3")

    scan(db, body["inbound_shipment_id"], Status.returned_to_sender)
    consume(db)
    scan(db, body["inbound_shipment_id"], Status.cancelled, message="again")
    consume(db)

    after = carrier_shop.get(f"/api/v1/returns/{body['id']}").json()
    assert (after["status"], after["review_reasons"]) == ("in_transit",
                                                          ["instant_exchange_unsettled"])
    with db.reading() as session:
        [event] = session.scalars(select(Event).where(
            Event.name == "return.instant_exchange_unsettled"))
        assert event.payload["owed_minor"] == 1200


def test_a_lost_parcel_s_return_rejected_afterwards_records_what_is_owed_once(carrier_shop,
                                                                             db):
    instant_policy(carrier_shop)
    body = in_transit(carrier_shop, db, exchange_for_sku="MUG-3")
    scan(db, body["inbound_shipment_id"], Status.expired)
    consume(db)

    carrier_shop.post(f"/api/v1/returns/{body['id']}/reject", {"reason": "never arrived"})

    assert carrier_shop.count(Event, Event.name == "return.instant_exchange_unsettled") == 1
