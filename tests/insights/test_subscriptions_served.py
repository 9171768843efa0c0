"""Subscriptions through a recompute and where they are read: rows per run (readers
see the latest finished one), the risk raised by a return and a detractor's answer on
the latest order, the API's `subscriptions`, the `subscription` facts, the templates'
part, the admin's table and customer page, the built-in journey (sends before a risky renewal, exits
before a safe one), the order line's flag from the API and from Shopify, and another
store's subscriptions unseen."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from afterward.commerce.ingest.shopify_parse import parse_order
from afterward.commerce.models import Order, OrderLine
from afterward.feedback.models import SurveyResponse
from afterward.insights import message_part, recompute, stored, subscription_facts
from afterward.insights.customer_models import CustomerSubscription
from afterward.journeys import builtins, facts
from afterward.returns.models import Return
from afterward.storage.types import utcnow
from tests.api.shopify_helpers import resource
from tests.factories import order_body
from tests.insights.customers_scene import NOW
from tests.journeys.helpers import consume, emit, enrolment, messages, step
from tests.journeys.test_builtins import keyed, treated_customer
from tests.messaging.conftest import make_customer, make_product
from tests.web.helpers import make_admin, sign_in

CHURN = round(0.4 * (1 - 0.5 ** (30 / 60)), 4)  # the heuristic's P(alive) 30 days after


def buy(db, store_id, customer_id, number, at, product, *, flagged=False) -> int:
    with db.transaction() as session:
        order = Order(store_id=store_id, number=number, customer_id=customer_id,
                      currency="USD", placed_at=at, subtotal_minor=1000, total_minor=1000)
        order.lines.append(OrderLine(store_id=store_id, position=0, sku=product.variants[0].sku,
                                     product_id=product.id, title=product.title, quantity=1,
                                     unit_price_minor=1000, total_minor=1000,
                                     subscription=flagged))
        session.add(order)
        session.flush()
        return order.id


def regulars(db, store_id, now=NOW, prefix=""):
    """Ada subscribed to coffee (flagged, 60 and 30 days ago); Bob buys tea every 30
    days (90, 60, 30 days ago); Cyd bought mugs at no rhythm."""
    with db.transaction() as session:
        coffee = make_product(session, store_id, f"{prefix}COFFEE", "Coffee box")
        tea = make_product(session, store_id, f"{prefix}TEA", "Green tea")
        mug = make_product(session, store_id, f"{prefix}MUG", "Mug")
        ada, bob, cyd = (make_customer(session, store_id, email=f"{prefix}{n}@example.com",
                                       first_name=n.title()) for n in ("ada", "bob", "cyd"))
    orders = {}
    for who, product, ago, flagged in ((ada, coffee, (60, 30), True),
                                       (bob, tea, (90, 60, 30), False),
                                       (cyd, mug, (100, 90, 20), False)):
        for n in ago:
            orders[(who.first_name, n)] = buy(db, store_id, who.id, f"{prefix}{who.id}-{n}",
                                              now - timedelta(days=n), product, flagged=flagged)
    return {"ada": ada.id, "bob": bob.id, "cyd": cyd.id, "orders": orders}


def run(db, store_id, now=NOW):
    with db.transaction() as session:
        return recompute.recompute(session, store_id, now=now)


def rows(db, store_id):
    with db.reading() as session:
        return [(r.run_id, r.customer_id, r.sku, r.source, r.status, r.interval_days,
                 r.renewal_risk, r.reasons) for r in session.scalars(
            select(CustomerSubscription).where(CustomerSubscription.store_id == store_id)
            .order_by(CustomerSubscription.run_id, CustomerSubscription.customer_id))]


def test_each_run_writes_the_subscriptions_and_readers_see_the_latest(db, store):
    people = regulars(db, store.id)

    first = run(db, store.id)
    second = run(db, store.id)

    ada, bob = people["ada"], people["bob"]
    expected = [(ada, "COFFEE", "flagged", "active", 30.0, CHURN, ["churn_risk"]),
                (bob, "TEA", "detected", "active", 30.0, CHURN, ["churn_risk"])]
    assert rows(db, store.id) == [(r, *e) for r in (first.run_id, second.run_id)
                                  for e in expected]
    with db.reading() as session:
        assert stored.latest_run(session, store.id).notes["subscriptions"] == 2
        [seen] = stored.subscriptions(session, store_id=store.id, customer_id=ada)
        assert (seen.run_id, seen.next_renewal_on) == (second.run_id, NOW.date())


def test_a_return_and_a_detractor_s_answer_on_the_latest_order_raise_the_risk(db, store):
    people = regulars(db, store.id)
    last = people["orders"][("Ada", 30)]
    with db.transaction() as session:
        session.add(Return(store_id=store.id, number="R-1", order_id=last, status="requested",
                           resolution="refund", currency="USD", value_minor=1000,
                           window_basis="delivery", label_token=secrets.token_urlsafe(32)))
        session.add(SurveyResponse(store_id=store.id, order_id=last, survey="nps", score=3,
                                   detractor=True, source="api"))

    run(db, store.id)

    [ada, _] = rows(db, store.id)
    assert ada[-2:] == (round(CHURN + 0.4, 4),
                        ["low_survey_score", "returned_last_order", "churn_risk"])


def test_the_api_lists_the_customer_s_subscriptions(client, db, store):
    people = regulars(db, store.id)
    run(db, store.id)

    body = client.get(f"/api/v1/customers/{people['bob']}/insights", headers=store.auth).json()
    cyd = client.get(f"/api/v1/customers/{people['cyd']}/insights", headers=store.auth).json()

    assert body["subscriptions"] == [{
        "sku": "TEA", "title": "Green tea", "source": "detected", "status": "active",
        "orders": 3, "interval_days": 30.0, "last_order_on": "2026-05-02",
        "next_renewal_on": "2026-06-01", "renewal_risk": CHURN, "reasons": ["churn_risk"]}]
    assert body["segment"] and cyd["subscriptions"] == []


def test_journey_facts_and_the_templates_part_read_the_subscription(db, store):
    people = regulars(db, store.id)
    run(db, store.id)
    order = people["orders"][("Ada", 30)]

    with db.reading() as session:
        seen = facts.gather(session, store_id=store.id, refs=facts.Refs(people["ada"], order),
                            event=None, now=NOW)["subscription"]
        part = message_part.load(session, store_id=store.id, id=people["ada"], public_url="",
                                 secret_key="")
    sample = message_part.sample(currency="USD", public_url="")

    assert seen == {"sku": "COFFEE", "title": "Coffee box", "source": "flagged",
                    "status": "active", "interval_days": 30.0,
                    "next_renewal_on": NOW.date(), "renewal_risk": CHURN,
                    "reasons": ["churn_risk"], "at_risk": False, "days_to_renewal": 0}
    assert set(seen) == subscription_facts.FIELDS
    assert [s["sku"] for s in part["subscriptions"]] == ["COFFEE"]
    assert set(sample["subscriptions"][0]) == set(part["subscriptions"][0])


def test_a_first_subscription_order_no_run_has_seen_renews_by_the_product_s_days(db, store):
    with db.transaction() as session:
        box = make_product(session, store.id, "BOX", "Coffee box", replenishment_days=28)
        mug = make_product(session, store.id, "MUG", "Mug", replenishment_days=300)
        ada = make_customer(session, store.id)
    first = buy(db, store.id, ada.id, "1", NOW, box, flagged=True)
    plain = buy(db, store.id, ada.id, "2", NOW, mug)

    with db.reading() as session:
        found = [subscription_facts.load(session, store_id=store.id, customer_id=ada.id,
                                         now=NOW, order_id=order) for order in (first, plain)]

    assert found == [{"sku": "BOX", "title": "Coffee box", "source": "flagged",
                      "status": "active", "interval_days": 28.0,
                      "next_renewal_on": NOW.date() + timedelta(days=28),
                      "renewal_risk": None, "reasons": [], "at_risk": False,
                      "days_to_renewal": 28}, {}]


def test_another_store_s_subscriptions_stay_there(client, db, store, make_store):
    other = make_store("other")
    ours, theirs = regulars(db, store.id), regulars(db, other.id, prefix="o-")
    run(db, store.id)
    run(db, other.id)

    with db.reading() as session:
        crossed = subscription_facts.load(session, store_id=store.id,
                                          customer_id=theirs["ada"], now=NOW,
                                          order_id=theirs["orders"][("Ada", 30)])
        at_risk = stored.renewals_at_risk(session, store_id=store.id, since=NOW.date(),
                                          until=NOW.date(), threshold=0.0)
    answer = client.get(f"/api/v1/customers/{theirs['bob']}/insights", headers=store.auth)

    assert crossed == {}
    assert sorted(r.customer_id for r in at_risk) == [ours["ada"], ours["bob"]]
    assert {r[2] for r in rows(db, other.id)} == {"o-COFFEE", "o-TEA"}
    assert answer.status_code == 404


def test_the_admin_lists_renewals_at_risk_with_their_reasons(client, db, store):
    people = regulars(db, store.id, now=utcnow())
    ada_last, bob_last = people["orders"][("Ada", 30)], people["orders"][("Bob", 30)]
    with db.transaction() as session:
        session.add(Return(store_id=store.id, number="R-1", order_id=ada_last,
                           status="requested", resolution="refund", currency="USD",
                           value_minor=1000, window_basis="delivery",
                           label_token=secrets.token_urlsafe(32)))
        for order_id in (ada_last, bob_last):
            session.add(SurveyResponse(store_id=store.id, order_id=order_id, survey="nps",
                                       score=1, detractor=True, source="api"))
    run(db, store.id, now=utcnow())
    make_admin(db, stores=(store.slug,))
    sign_in(client)

    page = client.get("/admin/insights", headers={"Accept-Language": "de"})

    assert page.status_code == 200
    table = page.text.split('id="renewals-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the header and Ada's (Bob's risk: 0.32)
    assert "Coffee box" in table and "Green tea" not in table
    assert ("Niedrige Umfragebewertung, Letzte Bestellung zurückgeschickt, Kauft wohl bald "
            "nicht mehr") in table
    assert ">Ada Lovelace</a>" in table
    assert '<td class="num">51.7%</td>' in table  # 0.4 + 0.1172, in the store's locale
    card = client.get(f"/admin/customers/{people['bob']}", headers={
        "Accept-Language": "de"}).text.split('id="insights-subscriptions"')[1].split("</ul>")[0]
    assert "Green tea: alle 30 Tage, nächste Verlängerung" in card
    assert "Verlängerungsrisiko 31.7%: Niedrige Umfragebewertung, Kauft wohl" in card


def test_the_renewal_journey_reminds_before_a_risky_renewal_and_not_a_safe_one(db, store):
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)
        box = make_product(session, store.id, "BOX", "Coffee box")
    now = utcnow()
    people = [treated_customer(db, store.id, "subscription_renewal_risk", marketing=True)
              for _ in range(2)]
    renewals = {}
    for person in people:
        for n in (60, 30):
            buy(db, store.id, person.id, f"{person.id}-{n}", now - timedelta(days=n), box,
                flagged=True)
        renewals[person.id] = buy(db, store.id, person.id, f"{person.id}-0", now, box,
                                  flagged=True)
    risky, safe = people
    run(db, store.id, now=now - timedelta(hours=1))  # before the renewal orders
    for person in people:
        emit(db, store.id, "order.created", "order", renewals[person.id],
             customer_id=person.id)
    consume(db, store.id)
    watching = {r.customer_id: r for k, r in keyed(db, store.id)
                if k == "subscription_renewal_risk"}
    for row in watching.values():
        step(db, row.id)  # the holdout, then the wait
    waits = {who: enrolment(db, row.id) for who, row in watching.items()}
    # The renewal returned, and a detractor's answer to its survey (imported without
    # the customer: one naming them would hold marketing to them for 30 days, the
    # feedback module's pause, and suppress the reminder).
    with db.transaction() as session:
        session.add(Return(store_id=store.id, number="R-1", order_id=renewals[risky.id],
                           status="requested", resolution="refund", currency="USD",
                           value_minor=1000, window_basis="delivery",
                           label_token=secrets.token_urlsafe(32)))
        session.add(SurveyResponse(store_id=store.id, order_id=renewals[risky.id],
                                   survey="nps", score=2, detractor=True, source="api"))
    run(db, store.id, now=now)  # the nightly run after the renewals: risk 0.4 and 0

    for row in watching.values():
        for _ in range(3):  # the wait ends, the morning comes, the branch
            if enrolment(db, row.id).status != "active":
                break
            step(db, row.id, now=enrolment(db, row.id).due_at)

    assert {who: round((w.due_at - w.enrolled_at).total_seconds() / 86400) for who, w in
            waits.items()} == {risky.id: 27, safe.id: 27}  # 30 days, less 3
    assert (enrolment(db, watching[safe.id].id).status,
            enrolment(db, watching[safe.id].id).exit_reason) == ("exited",
                                                                   "renewal not at risk")
    assert enrolment(db, watching[risky.id].id).status == "completed"
    sent = [(m.customer_id, m.template_key, m.channel, m.status)
            for m in messages(db, store.id)]
    assert sent == [(risky.id, "subscription_renewal_risk", "email", "queued")]


def test_the_api_takes_and_gives_the_line_s_subscription_flag(client, store):
    body = order_body(lines=[
        {"sku": "TEA-1", "title": "Green tea", "quantity": 1, "unit_price_minor": 450,
         "subscription": True},
        {"sku": "MUG-1", "title": "Mug", "quantity": 1, "unit_price_minor": 1200}])

    created = client.post("/api/v1/orders", json=body, headers=store.auth)

    assert created.status_code == 201, created.text
    assert [ln["subscription"] for ln in created.json()["lines"]] == [True, False]


def test_shopify_s_selling_plans_and_subscription_orders_flag_their_lines():
    order = resource("order")
    planned = {**order, "line_items": [
        {**order["line_items"][0], "selling_plan_allocation": {"selling_plan": {"id": 1}}},
        *order["line_items"][1:]]}

    renewal, _ = parse_order({**order, "source_name": "subscription_contract"},
                             store_currency="USD")
    one, _ = parse_order(planned, store_currency="USD")
    plain, _ = parse_order(order, store_currency="USD")

    assert renewal.lines and all(line.subscription for line in renewal.lines)
    assert [line.subscription for line in one.lines][:1] == [True]
    assert not any(line.subscription for line in one.lines[1:] + plain.lines)
