"""Carrier labels: an approved return's label is bought from EasyPost (the stand-in on
loopback) by a job; a carrier that fails or hangs never loses the return, which says
`label_status: pending` until the label is bought, once."""

from __future__ import annotations

from afterward.events import Event
from afterward.returns.label_jobs import LABEL_JOB
from afterward.tracking.models import Shipment
from tests.returns.carrier_support import (
    WAREHOUSE,
    carrier_shop,
    easypost,
    job_states,
    run_jobs,
)

__all__ = ["carrier_shop", "easypost"]  # fixtures


def test_an_approved_return_waits_for_its_label_and_gets_the_cheapest_one(carrier_shop,
                                                                            easypost, db):
    made = carrier_shop.request().json()

    assert (made["status"], made["label_status"], made["label_url"]) == (
        "approved", "pending", None)
    assert job_states(db, LABEL_JOB) == [("queued", 0)]

    run_jobs(db)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["status"], body["label_status"], body["label_carrier"]) == (
        "label_issued", "issued", "easypost")
    assert body["tracking_number"] == "EZ0000000001"
    assert body["label_url"] == f"{easypost.url}/files/postage_label/EZ0000000001.pdf"
    [created] = easypost.posts("/v2/shipments")
    assert created["shipment"]["is_return"] is True
    assert created["shipment"]["to_address"]["street1"] == "Invalidenstrasse 5"
    assert created["shipment"]["from_address"] == WAREHOUSE
    [bought] = easypost.posts("/buy")
    shipment = next(iter(easypost.shipments.values()))
    assert bought["rate"]["id"] == shipment["rates"][2]["id"]  # 5.93, the lowest
    assert carrier_shop.count(Event, Event.name == "return.label_issued") == 1


def test_the_return_parcel_becomes_an_inbound_shipment_tracked_like_any(carrier_shop, db):
    made = carrier_shop.request().json()
    run_jobs(db)
    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()

    found = carrier_shop.get("/api/v1/shipments?tracking_number=EZ0000000001").json()["items"]

    [parcel] = found
    assert parcel["id"] == body["inbound_shipment_id"]
    assert parcel["carrier"] == "usps"
    assert carrier_shop.count(Shipment, Shipment.direction == "inbound") == 1


def test_a_carrier_error_is_retried_and_the_return_stays_pending_meanwhile(carrier_shop,
                                                                         easypost, db):
    easypost.fail("/v2/shipments", 503)
    made = carrier_shop.request().json()

    run_jobs(db, kind=LABEL_JOB, limit=1)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["status"], body["label_status"]) == ("approved", "pending")
    assert "503" in body["label_error"]
    assert job_states(db, LABEL_JOB) == [("queued", 1)]

    run_jobs(db)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["status"], body["label_status"], body["label_error"]) == (
        "label_issued", "issued", None)
    assert len(easypost.bought) == 1


def test_a_carrier_that_hangs_past_the_timeout_is_asked_again(carrier_shop, easypost, db):
    easypost.hang("/v2/shipments", 3.0)  # the adapter waits 2 s
    made = carrier_shop.request().json()

    run_jobs(db)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert body["label_status"] == "issued"
    assert job_states(db, LABEL_JOB) == [("done", 2)]


def test_a_label_bought_whose_answer_was_lost_is_not_bought_twice(carrier_shop, easypost,
                                                                 db):
    easypost.fail_after_buying()
    made = carrier_shop.request().json()

    run_jobs(db)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["label_status"], body["tracking_number"]) == ("issued", "EZ0000000001")
    assert len(easypost.bought) == 1
    assert len(easypost.posts("/v2/shipments")) == 1  # the retry resumed that shipment


def test_a_refusal_marks_the_label_failed_and_the_return_can_still_be_received(
        carrier_shop, easypost, db):
    easypost.fail("/v2/shipments", 422)
    made = carrier_shop.request().json()

    run_jobs(db)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["status"], body["label_status"]) == ("approved", "failed")
    assert "422" in body["label_error"]
    assert job_states(db, LABEL_JOB) == [("dead", 1)]
    received = carrier_shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "new"}]})
    assert received.json()["status"] == "resolved"


def test_an_order_without_a_street_address_gets_no_label_and_says_why(client, db, store,
                                                                     easypost):
    from tests.returns.conftest import make_shop

    shop = make_shop(client, db, store)  # the order's address has no street
    shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE)
    made = shop.request().json()

    run_jobs(db)

    body = shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["label_status"], body["label_error"]) == (
        "failed", "the order has no shipping address")
    assert easypost.calls == []


def test_without_a_carrier_the_return_keeps_its_own_pdf_label(shop, db):
    made = shop.request().json()

    assert made["label_status"] is None
    assert made["label_url"].endswith(".pdf")
    assert job_states(db, LABEL_JOB) == []


def test_a_carrier_policy_needs_a_return_address(shop):
    answer = shop.client.put("/api/v1/returns/policy", json={"label_carrier": "easypost"},
                             headers=shop.auth)

    assert answer.status_code == 422
    assert shop.get("/api/v1/returns/policy").json()["label_carrier"] == "none"


def test_a_kept_item_gets_no_carrier_label(carrier_shop, db):
    carrier_shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE,
                            resolutions=["keep"], keep_max_value_minor=5000)

    made = carrier_shop.request(resolution="keep").json()

    assert (made["status"], made["label_status"]) == ("resolved", None)
    assert job_states(db, LABEL_JOB) == []


def test_erasing_the_customer_forgets_the_carrier_label_and_keeps_the_codes(carrier_shop, db):
    from afterward.returns import credit

    made = carrier_shop.request().json()
    run_jobs(db)
    with db.transaction() as session:
        credit.post(session, store_id=carrier_shop.store.id,
                    customer_id=carrier_shop.customer_id, currency="EUR", amount_minor=900,
                    kind="adjustment", key="grant")
    code = carrier_shop.post(f"/api/v1/customers/{carrier_shop.customer_id}/store-credit/codes",
                             {"amount_minor": 900, "idempotency_key": "k"}).json()["code"]

    erased = carrier_shop.post(f"/api/v1/customers/{carrier_shop.customer_id}/erase")

    assert erased.status_code == 200, erased.text
    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["label_status"], body["label_url"], body["tracking_number"]) == (
        "issued", None, "EZ0000000001")
    data = carrier_shop.get(f"/api/v1/customers/{carrier_shop.customer_id}/export").json()
    assert [(c["code"], c["status"]) for c in data["commerce"]["discount_codes"]] == [
        (code, "issued")]


def test_a_label_bought_after_the_return_was_rejected_leaves_it_rejected(carrier_shop, db):
    from afterward.returns import carriers

    made = carrier_shop.request().json()
    real = carriers.adapter("easypost")
    assert real is not None

    class RejectedMeanwhile:
        name = "easypost"

        def create_return_label(self, request):
            answer = carrier_shop.post(f"/api/v1/returns/{made['id']}/reject",
                                       {"reason": "changed"})
            assert answer.status_code == 200, answer.text
            return real.create_return_label(request)

    carriers.use(RejectedMeanwhile())
    try:
        run_jobs(db)
    finally:
        carriers.use(real)

    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["status"], body["inbound_shipment_id"]) == ("rejected", None)
    assert job_states(db, LABEL_JOB) == [("done", 1)]


def test_a_rejected_return_s_label_job_does_nothing(carrier_shop, easypost, db):
    made = carrier_shop.request().json()
    carrier_shop.post(f"/api/v1/returns/{made['id']}/reject", {"reason": "changed"})

    run_jobs(db)

    assert easypost.calls == []
    assert job_states(db, LABEL_JOB) == [("done", 1)]


def test_a_failed_label_is_bought_when_its_dead_job_is_retried_by_hand(carrier_shop,
                                                                      easypost, db):
    easypost.fail("/v2/shipments", 422)
    made = carrier_shop.request().json()
    run_jobs(db)
    with db.reading() as session:
        from sqlalchemy import select

        from afterward.jobs import Job

        job_id = session.scalar(select(Job.id).where(Job.kind == LABEL_JOB))

    retried = carrier_shop.post(f"/api/v1/jobs/{job_id}/retry")
    run_jobs(db)

    assert retried.status_code == 200, retried.text
    body = carrier_shop.get(f"/api/v1/returns/{made['id']}").json()
    assert (body["status"], body["label_status"], body["label_error"]) == (
        "label_issued", "issued", None)
