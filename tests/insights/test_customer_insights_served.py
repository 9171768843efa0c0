"""What a recompute stored, where it is read: the API (exact body, another store's
customer unseen), the journeys' `insights` root in a condition, the templates'
`insights` part, the replenishment reminder waiting by the customer's own interval,
the admin's customer page, the CLI, and a customer's export and erasure."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from afterward.cli.main import app as cli
from afterward.insights import journey_facts, message_part, recompute
from afterward.insights.customer_models import CustomerInsight, ReplenishmentDate
from afterward.journeys import builtins, conditions, engine, facts, service
from afterward.privacy import erase_customer, export_customer
from afterward.storage.types import utcnow
from tests.insights.customers_scene import NOW, add_customer
from tests.insights.test_recompute import six_customers
from tests.journeys.helpers import (
    consume,
    definition,
    emit,
    enrolment,
    install,
    step,
    the_enrolments,
)
from tests.messaging.conftest import make_customer, make_order, make_product
from tests.web.helpers import make_admin, sign_in


def run(db, store_id, now=NOW):
    with db.transaction() as session:
        return recompute.recompute(session, store_id, now=now)


@pytest.fixture
def scored(db, store):
    """Six customers (test_recompute.py): the regular a champion, the one-time buyer of
    300 days ago lapsed."""
    ids = six_customers(db, store.id)
    run(db, store.id)
    return ids["regular"], ids["one_time_long_ago"]


def test_the_api_gives_the_customer_s_figures(client, store, scored):
    regular, _ = scored

    answer = client.get(f"/api/v1/customers/{regular}/insights", headers=store.auth)

    assert answer.status_code == 200, answer.text
    alive = round(0.5 ** (10 / 60), 4)  # the heuristic: 6 customers, own interval 30 days
    assert answer.json() == {
        "segment": "champions", "churn_risk": "low", "p_alive": alive,
        "expected_orders_90d": round(0.5 ** (10 / 60) * 4 / 130 * 90, 3),
        "clv_minor": round(0.5 ** (10 / 60) * 4 / 130 * 365 * 4000 / 1.1 ** 0.5),
        "currency": "USD", "next_order_due": "2026-06-21",
        "rfm": {"recency": 4, "frequency": 5, "monetary": 5},
        "computed_at": "2026-06-01T12:00:00Z", "subscriptions": []}


def test_another_store_s_customer_and_a_customer_not_scored_yet_are_404(client, db, store,
                                                                         make_store, scored):
    regular, _ = scored
    other = make_store("other")
    with db.transaction() as session:
        fresh = make_customer(session, store.id, email="new@x.com").id

    theirs = client.get(f"/api/v1/customers/{regular}/insights", headers=other.auth)
    unscored = client.get(f"/api/v1/customers/{fresh}/insights", headers=store.auth)

    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"
    assert unscored.status_code == 404
    assert unscored.json()["error"]["code"] == "not_computed"


def test_a_journey_condition_reads_the_insights_root(db, store, scored):
    regular, lapsed = scored
    node = conditions.parse({"and": [{"eq": ["insights.segment", "champions"]},
                                     {"gte": ["insights.clv_minor", 1]},
                                     {"eq": ["insights.churn_risk", "low"]}]}, "if", [])
    outcome = {}
    with db.reading() as session:
        for who in (regular, lapsed, None):
            seen = facts.gather(session, store_id=store.id, refs=facts.Refs(who), event=None,
                                now=utcnow())
            outcome[who] = (conditions.evaluate(node, seen, utcnow()), seen["insights"].get(
                "segment"))

    assert outcome == {regular: (True, "champions"), lapsed: (False, "lapsed"),
                       None: (False, None)}
    assert conditions.FIELDS["insights"] >= journey_facts.FIELDS


def test_a_journey_filtered_on_the_segment_enrols_only_that_segment(db, store, scored):
    regular, lapsed = scored
    install(db, store.id, definition(trigger={
        "event": "customer.updated", "filter": {"in": ["insights.segment",
                                                       ["champions", "at_risk"]]}}))

    for who in (regular, lapsed):
        emit(db, store.id, "customer.updated", "customer", who)
    consume(db, store.id)

    assert [row.customer_id for row in the_enrolments(db, store.id)] == [regular]


def test_templates_read_the_insights_part(db, store, scored):
    regular, lapsed = scored
    with db.reading() as session:
        part = message_part.load(session, store_id=store.id, id=regular, public_url="",
                                 secret_key="")
        nothing = message_part.load(session, store_id=store.id, id=lapsed + 100,
                                    public_url="", secret_key="")
    sample = message_part.sample(currency="EUR", public_url="https://x")

    assert (part["segment"], part["rfm"], part["currency"]) == ("champions", "455", "USD")
    assert nothing is None
    assert set(sample) == set(part)


def treated(db, store_id, key):
    for n in range(20):
        with db.transaction() as session:
            person = make_customer(session, store_id, email=f"p{n}@example.com")
        if engine.holdout_draw(store_id=store_id, journey_key=key,
                               unit=f"customer:{person.id}") >= 0.1:
            return person
    raise AssertionError("no treated customer in 20")


def test_the_replenishment_reminder_waits_by_the_customer_s_own_interval(db, store):
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)
    ada = treated(db, store.id, "replenishment_reminder")
    with db.transaction() as session:
        beans = make_product(session, store.id, "BEANS", "Coffee beans", replenishment_days=30)
        for n, days_ago in enumerate((60, 40, 20)):
            make_order(session, store.id, ada, f"10{n}", [(beans, 1)]).placed_at = (
                utcnow() - timedelta(days=days_ago))
        latest = make_order(session, store.id, ada, "1009", [(beans, 1)])
        latest.placed_at = utcnow()
        latest_id = latest.id
    run(db, store.id, now=utcnow() - timedelta(hours=1))  # her two 20-day intervals
    emit(db, store.id, "order.created", "order", latest_id, customer_id=ada.id)
    consume(db, store.id)
    rows = the_enrolments(db, store.id)
    with db.reading() as session:
        keys = service.journey_keys(session, store_id=store.id,
                                    journey_ids={r.journey_id for r in rows})
    [row] = [r for r in rows if keys[r.journey_id] == "replenishment_reminder"]

    step(db, row.id)

    waiting = enrolment(db, row.id)
    assert round((waiting.due_at - waiting.enrolled_at).total_seconds() / 86400, 1) == 15.0
    with db.reading() as session:
        assert [(r.sku, r.basis, r.interval_days) for r in session.scalars(
            select(ReplenishmentDate))] == [("BEANS", "own", 20.0)]


def test_the_customer_page_shows_the_insights_in_the_admin_s_language(client, db, store,
                                                                       scored):
    regular, lapsed = scored
    make_admin(db, stores=(store.slug,))
    sign_in(client)

    page = client.get(f"/admin/customers/{regular}")
    other = client.get(f"/admin/customers/{lapsed}", headers={"Accept-Language": "de"})

    assert page.status_code == 200
    section = page.text.split('id="insights"')[1].split("</section>")[0]
    assert "Champion" in section and "Low risk" in section and "Jun 21, 2026" in section
    german = other.text.split('id="insights"')[1].split("</section>")[0]
    assert "Abgewanderter Kunde" in german and "Hohes Risiko" in german


runner = CliRunner()


def test_the_cli_recomputes_a_store(db, db_url, store, monkeypatch):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-key")
    add_customer(db, store.id, "a@x.com", [(10, 5000)])
    add_customer(db, store.id, "b@x.com", [(40, 3000), (20, 3000)])

    result = runner.invoke(cli, ["insights", "recompute", "--store", store.slug, "--json"])
    missing = runner.invoke(cli, ["insights", "recompute", "--store", "nope"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "store": store.slug, "run_id": 1, "customers": 2, "model": "heuristic",
        "reason": "2 customers with orders: the models need at least 20",
        "replenishment_dates": 0}
    assert missing.exit_code != 0 and "no store 'nope'" in missing.output


def test_export_lists_and_erasure_deletes_the_customer_s_insights(db, store, scored):
    regular, lapsed = scored
    run(db, store.id)  # two runs kept

    with db.transaction() as session:
        exported = export_customer(session, store_id=store.id, customer_id=regular)
        erased = erase_customer(session, store_id=store.id, customer_id=regular)

    figures = exported["insights"]["customer_insights"]
    assert [(f["segment"], f["currency"]) for f in figures] == [("champions", "USD")] * 2
    assert erased["customer_insights"] == 2
    with db.reading() as session:
        left = session.scalar(select(func.count()).select_from(CustomerInsight).where(
            CustomerInsight.customer_id == regular))
        others = session.scalar(select(func.count()).select_from(CustomerInsight).where(
            CustomerInsight.customer_id == lapsed))
    assert (left, others) == (0, 2)
