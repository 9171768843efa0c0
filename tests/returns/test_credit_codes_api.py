"""Store credit spent as gift codes: POST /api/v1/customers/{id}/store-credit/codes
debits the ledger and issues a single-use code pushed to the store platform; an unused
code cancelled gives its credit back, once; an ingested order that names it uses it."""

from __future__ import annotations

import copy

from sqlalchemy import select

from afterward.commerce.code_models import DiscountCode
from afterward.commerce.codes import ALPHABET
from afterward.events import Event
from afterward.jobs import Job
from afterward.returns import credit
from afterward.returns.models import CreditEntry
from tests.api.shopify_helpers import deliver, resource
from tests.webhook_listeners import listening


def grant(shop, amount: int = 2000) -> None:
    with shop.db.transaction() as session:
        credit.post(session, store_id=shop.store.id, customer_id=shop.customer_id,
                    currency="EUR", amount_minor=amount, kind="adjustment", key="grant")


def issue(shop, amount: int = 500, key: str = "k-1", **extra):
    return shop.post(f"/api/v1/customers/{shop.customer_id}/store-credit/codes",
                     {"amount_minor": amount, "idempotency_key": key, **extra})


def balance(shop) -> int:
    return shop.get(f"/api/v1/customers/{shop.customer_id}/store-credit").json()[
        "balance_minor"]


def test_credit_becomes_a_single_use_gift_code(shop):
    grant(shop)

    answer = issue(shop, 500, expires_at="2027-12-31T00:00:00Z")

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["amount_minor"], body["currency"], body["status"]) == (500, "EUR", "issued")
    assert body["expires_at"] == "2027-12-31T00:00:00Z"
    assert len(body["code"]) == 16 and set(body["code"]) <= set(ALPHABET)
    assert balance(shop) == 1500
    entries = shop.get(f"/api/v1/customers/{shop.customer_id}/store-credit").json()["entries"]
    assert (entries[0]["kind"], entries[0]["amount_minor"]) == ("spend", -500)
    assert entries[0]["note"] == f"Gift code {body['code'][-4:]}"


def test_the_code_is_pushed_to_the_store_platform_as_a_shopify_gift_card(shop):
    listening(shop.db, shop.store.id)
    grant(shop)

    code = issue(shop, 1234).json()["code"]

    with shop.db.reading() as session:
        [job] = session.scalars(select(Job).where(Job.kind == "webhooks.publish"))
        assert (job.payload["event_type"], job.dedupe_key) == (
            "code.issued", f"commerce.{job.payload['event_id']}")
        data = job.payload["data"]
        assert (data["code"], data["value_minor"], data["source"]) == (
            code, 1234, "store_credit")
        assert data["shopify"] == {"gift_card": {
            "code": code, "initial_value": "12.34", "currency": "EUR", "expires_on": None,
            "note": "Afterward store_credit"}}
    assert shop.count(Event, Event.name == "code.issued") == 1


def test_the_same_key_again_answers_the_same_code_and_debits_once(shop):
    grant(shop)
    first = issue(shop, 500, "same").json()

    again = issue(shop, 500, "same")

    assert (again.status_code, again.json()) == (200, first)
    assert balance(shop) == 1500
    assert shop.count(DiscountCode) == 1


def test_a_key_reused_for_another_amount_is_refused(shop):
    grant(shop)
    issue(shop, 500, "same")

    again = issue(shop, 600, "same")

    assert (again.status_code, again.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert balance(shop) == 1500


def test_more_than_the_balance_is_refused_and_nothing_changes(shop):
    listening(shop.db, shop.store.id)
    grant(shop, 400)

    answer = issue(shop, 500)

    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "insufficient_credit", "field": "amount_minor",
                                      "message": "the store credit balance is too low"}
    assert balance(shop) == 400
    assert shop.count(DiscountCode) == 0
    assert shop.count(Job, Job.kind == "webhooks.publish") == 0


def test_a_customer_without_credit_cannot_spend_any(shop):
    answer = issue(shop, 1)

    assert answer.json()["error"]["code"] == "insufficient_credit"
    assert shop.count(CreditEntry) == 0


def test_cancelling_an_unused_code_gives_the_credit_back_once(shop):
    listening(shop.db, shop.store.id)
    grant(shop)
    code = issue(shop, 500).json()["code"]
    path = f"/api/v1/customers/{shop.customer_id}/store-credit/codes/{code}/cancel"

    first = shop.post(path)
    second = shop.post(path)

    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    assert (second.status_code, second.json()["error"]["code"]) == (409, "invalid_status")
    assert balance(shop) == 2000
    assert shop.count(CreditEntry, CreditEntry.kind == "code_cancelled") == 1
    assert shop.count(Event, Event.name == "code.cancelled") == 1
    with shop.db.reading() as session:
        assert session.scalar(select(Job.payload).where(
            Job.dedupe_key.like("commerce.code_cancelled_%")))["event_type"] == "code.cancelled"


def test_a_code_typed_in_lower_case_with_dashes_is_found(shop):
    grant(shop)
    code = issue(shop, 500).json()["code"]
    typed = "-".join(code[i:i + 4] for i in range(0, 16, 4)).lower()

    answer = shop.post(f"/api/v1/customers/{shop.customer_id}/store-credit/codes/{typed}/cancel")

    assert answer.json()["status"] == "cancelled"


def test_another_customer_s_or_store_s_code_is_not_found(shop, make_store):
    grant(shop)
    code = issue(shop, 500).json()["code"]
    other = make_store("other")

    answer = shop.client.post(
        f"/api/v1/customers/{shop.customer_id}/store-credit/codes/{code}/cancel",
        headers=other.auth)
    unknown = shop.post(f"/api/v1/customers/{shop.customer_id}/store-credit/codes/"
                        "AAAAAAAAAAAAAAAA/cancel")

    assert (answer.status_code, unknown.status_code) == (404, 404)
    assert balance(shop) == 1500


def test_an_unknown_customer_has_no_codes(shop, make_store):
    other = make_store("other")

    answer = shop.client.post(f"/api/v1/customers/{shop.customer_id}/store-credit/codes",
                              json={"amount_minor": 1, "idempotency_key": "x"},
                              headers=other.auth)

    assert answer.status_code == 404


def test_an_ingested_order_that_uses_the_code_marks_it_used_once(shop):
    grant(shop)
    code = issue(shop, 500).json()["code"]
    order = copy.deepcopy(resource("order"))
    order["discount_codes"] = [{"code": code.lower(), "amount": "5.00", "type": "fixed_amount"}]

    assert deliver(shop.client, "orders/create", order).status_code == 200
    order["updated_at"] = "2030-01-01T00:00:00Z"
    deliver(shop.client, "orders/updated", order)

    with shop.db.reading() as session:
        row = session.scalar(select(DiscountCode))
        assert row.status == "used" and row.used_order_id is not None and row.used_at
    assert shop.count(Event, Event.name == "code.used") == 1
    cancelled = shop.post(
        f"/api/v1/customers/{shop.customer_id}/store-credit/codes/{code}/cancel")
    assert (cancelled.status_code, balance(shop)) == (409, 1500)


def test_the_codes_are_in_the_customer_s_export(shop):
    grant(shop)
    code = issue(shop, 500).json()["code"]

    data = shop.get(f"/api/v1/customers/{shop.customer_id}/export").json()

    [exported] = data["commerce"]["discount_codes"]
    assert (exported["code"], exported["value_minor"], exported["status"]) == (
        code, 500, "issued")


def test_a_subscribed_endpoint_is_sent_the_code_once(shop, db):
    from afterward import outbound
    from afterward.messaging import service as messaging
    from afterward.messaging.models import Message
    from tests.messaging.conftest import run_jobs

    with db.transaction() as session:
        messaging.add_webhook_endpoint(session, store_id=shop.store.id,
                                       url="https://codes.invalid/hook")
    grant(shop)
    code = issue(shop, 500).json()["code"]
    run_jobs(db)
    run_jobs(db)

    with db.reading() as session:
        bodies = list(session.scalars(select(Message.payload).where(
            Message.category == "code.issued")))
    assert len(bodies) == 1
    assert bodies[0]["body"]["type"] == "code.issued"
    assert bodies[0]["body"]["data"]["shopify"]["gift_card"]["code"] == code
    assert outbound.PUBLISH_JOB == messaging.PUBLISH_WEBHOOK_JOB
