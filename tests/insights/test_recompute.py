"""Recomputing a store's customer insights on the database: known orders give known
segments, too little data gives the heuristic with its reason (never NaN), the
models when there is enough, replenishment dates counted from delivery, runs read
whole and pruned, the job, the nightly pass and the bulk import's request."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from afterward import jobs
from afterward.commerce.ingest.csv_import import import_orders
from afterward.commerce.models import Order
from afterward.insights import recompute, recompute_jobs, stored
from afterward.insights.customer_models import CustomerInsight, InsightRun, ReplenishmentDate
from afterward.jobs import Job
from afterward.tracking.models import Shipment
from tests.insights.customers_scene import NOW, add_customer, add_products


def run(db, store_id, **kwargs):
    with db.transaction() as session:
        return recompute.recompute(session, store_id, now=NOW, **kwargs)


def figures(db, store_id) -> dict[int, CustomerInsight]:
    with db.reading() as session:
        run_id = stored.latest_run_id(session, store_id)
        return {row.customer_id: row for row in session.scalars(select(CustomerInsight).where(
            CustomerInsight.run_id == run_id))}


def six_customers(db, store_id) -> dict[str, int]:
    return {
        "new": add_customer(db, store_id, "a@x.com", [(10, 5000)]),
        "regular": add_customer(db, store_id, "b@x.com", [(100, 4000), (70, 4000), (40, 4000),
                                                         (10, 4000)]),
        "one_time_long_ago": add_customer(db, store_id, "c@x.com", [(300, 1000)]),
        "stopped": add_customer(db, store_id, "d@x.com", [(400, 2000), (370, 2000)]),
        "slowing": add_customer(db, store_id, "e@x.com", [(130, 3000), (100, 3000)]),
        "recent_pair": add_customer(db, store_id, "f@x.com", [(60, 1500), (20, 1500)]),
    }


def test_a_handful_of_customers_get_the_heuristic_with_its_reason_and_exact_segments(db, store):
    ids = six_customers(db, store.id)

    outcome = run(db, store.id)

    assert (outcome.model, outcome.customers) == ("heuristic", 6)
    assert outcome.reason == "6 customers with orders: the models need at least 20"
    found = figures(db, store.id)
    assert {key: (found[i].segment, found[i].churn_risk) for key, i in ids.items()} == {
        "new": ("new", "low"), "regular": ("champions", "low"),
        "one_time_long_ago": ("lapsed", "high"), "stopped": ("lapsed", "high"),
        "slowing": ("at_risk", "medium"), "recent_pair": ("active", "low")}
    regular = found[ids["regular"]]
    # the store's interval: the median of its repeat buyers' own (30, 30, 30, 40) = 30
    alive = 0.5 ** (10 / 60)
    assert regular.p_alive == pytest.approx(alive, abs=1e-6)
    assert regular.expected_orders_90d == pytest.approx(alive * 4 / (100 + 30) * 90, abs=1e-6)
    assert regular.clv_minor == round(alive * 4 / 130 * 365 * 4000 / 1.1 ** 0.5)
    assert (regular.rfm_recency, regular.rfm_frequency, regular.rfm_monetary) == (4, 5, 5)
    assert regular.next_order_due == date(2026, 5, 22) + timedelta(days=30)  # own cadence
    assert found[ids["new"]].next_order_due is None
    assert all(row.currency == "USD" for row in found.values())
    with db.reading() as session:
        notes = stored.latest_run(session, store.id).notes
    assert notes["model"] == "heuristic" and notes["reason"] == outcome.reason


@pytest.mark.parametrize(("orders", "reason"), [
    ([[(5, 1000)] for _ in range(25)], "all orders were placed on one day"),
    ([[(n + 1, 1000)] for n in range(25)], "no customer has bought on two different days"),
    ([[(n + 1, 1000), (n + 40, 900)] for n in range(3)] + [[(n + 1, 1000)] for n in range(22)],
     "3 customers bought on two different days: the models need at least 5"),
    ([], "no orders with a customer yet"),
])
def test_too_little_data_says_why_and_stores_only_finite_figures(db, store, orders, reason):
    for n, placed in enumerate(orders):
        add_customer(db, store.id, f"c{n}@x.com", placed)

    outcome = run(db, store.id)

    assert (outcome.model, outcome.reason) == ("heuristic", reason)
    rows = list(figures(db, store.id).values())
    assert len(rows) == len(orders)
    for row in rows:
        assert math.isfinite(row.p_alive) and 0 <= row.p_alive <= 1
        assert math.isfinite(row.expected_orders_90d) and row.expected_orders_90d >= 0
        assert row.clv_minor >= 0


def test_with_enough_repeat_buyers_the_models_are_fitted(db, store):
    ids = {}
    for n in range(8):  # still buying every 20 days; stopped 240 days ago; once
        ids[f"active{n}"] = add_customer(db, store.id, f"a{n}@x.com", [
            (5 + n + 20 * k, 3000 + 100 * n) for k in range(8)])
        ids[f"gone{n}"] = add_customer(db, store.id, f"g{n}@x.com", [
            (240 + n + 20 * k, 3000) for k in range(6)])
        ids[f"once{n}"] = add_customer(db, store.id, f"o{n}@x.com", [(30 + 40 * n, 2500)])

    outcome = run(db, store.id)

    assert (outcome.model, outcome.reason) == ("btyd", None)
    found = figures(db, store.id)
    with db.reading() as session:
        notes = stored.latest_run(session, store.id).notes
    assert set(notes["pareto_nbd"]) == {"r", "alpha", "s", "beta"}
    assert notes["expected"] == "pareto_nbd" and notes["spend"].startswith("gamma-gamma")
    for row in found.values():
        assert 0 <= row.p_alive <= 1 and math.isfinite(row.expected_orders_90d)
    segments = {key: found[i].segment for key, i in ids.items()}
    assert {segments[f"active{n}"] for n in range(8)} == {"champions"}
    assert {segments[f"gone{n}"] for n in range(8)} == {"lapsed"}
    assert [segments[f"once{n}"] for n in range(4)] == ["new", "at_risk", "lapsed", "lapsed"]
    active, gone = found[ids["active0"]], found[ids["gone0"]]
    assert active.p_alive > 0.9 > 0.01 > gone.p_alive
    assert active.expected_orders_90d > 2 > 0.1 > gone.expected_orders_90d
    assert active.clv_minor > 10 * gone.clv_minor > 0
    assert (active.churn_risk, gone.churn_risk) == ("low", "high")


def test_replenishment_dates_come_from_own_intervals_counted_from_delivery(db, store):
    products = add_products(db, store.id, [("BEANS", 30), ("MUG", None)])
    ada = add_customer(db, store.id, "ada@x.com", [(50, 1000, "BEANS"), (30, 1000, "BEANS"),
                                                   (10, 1000, "BEANS"), (25, 2000, "MUG")],
                       products)
    bob = add_customer(db, store.id, "bob@x.com", [(12, 1000, "BEANS")], products)
    with db.transaction() as session:  # Ada's last beans arrived 2 days after her order
        last = session.scalar(select(Order).where(Order.number == "ada@x.com-2"))
        session.add(Shipment(store_id=store.id, order_id=last.id, token="t" * 43,
                             status="delivered", delivered_at=last.placed_at + timedelta(days=2)))

    run(db, store.id)

    with db.reading() as session:
        dates = {(r.customer_id, r.sku): (r.due_at, r.interval_days, r.basis)
                 for r in session.scalars(select(ReplenishmentDate))}
    # Ada's intervals: 20 days, then 22 to the delivery; their median 21 from it
    assert dates == {
        (ada, "BEANS"): (NOW + timedelta(days=-8 + 21), 21.0, "own"),
        (bob, "BEANS"): (NOW + timedelta(days=-12 + 30), 30.0, "product")}
    found = figures(db, store.id)
    assert found[ada].next_order_due == (NOW + timedelta(days=13)).date()
    assert found[bob].next_order_due == (NOW + timedelta(days=18)).date()


def test_readers_see_the_latest_finished_run_and_only_two_runs_are_kept(db, store):
    customer = add_customer(db, store.id, "a@x.com", [(10, 5000)])
    first, second, third = (run(db, store.id).run_id for _ in range(3))
    with db.transaction() as session:  # a run still going (as inside its transaction)
        running = InsightRun(store_id=store.id, status="running", customers=0, notes={})
        session.add(running)
        session.flush()
        session.add(CustomerInsight(run_id=running.id, customer_id=customer,
                                    store_id=store.id, segment="lapsed", rfm_recency=1,
                                    rfm_frequency=1, rfm_monetary=1, p_alive=0.0,
                                    churn_risk="high", expected_orders_90d=0.0, clv_minor=0,
                                    currency="USD", next_order_due=None, computed_at=NOW))

    with db.reading() as session:
        seen = stored.of_customer(session, store_id=store.id, customer_id=customer)
        runs = list(session.scalars(select(InsightRun.id).where(
            InsightRun.store_id == store.id, InsightRun.status == "finished")
            .order_by(InsightRun.id)))
        rows = session.scalar(select(func.count()).select_from(CustomerInsight).where(
            CustomerInsight.run_id == first))
    assert (seen.run_id, seen.segment) == (third, "new")
    assert runs == [second, third]
    assert rows == 0


def test_another_step_can_be_appended_and_sees_the_run(db, store):
    add_customer(db, store.id, "a@x.com", [(10, 5000)])
    seen = []

    def extra(ctx: recompute.Context) -> None:
        seen.append((ctx.run.id, [b.customer_id for b in ctx.buyers], ctx.notes["model"]))

    outcome = run(db, store.id, steps=[*recompute.STEPS, recompute.Step("extra", extra)])

    assert seen == [(outcome.run_id, [1], "heuristic")]
    with db.reading() as session:
        assert stored.latest_run(session, store.id).notes["steps"][-1] == "extra"


def test_the_job_recomputes_once_and_the_nightly_pass_enqueues_one_per_store(db, store,
                                                                              make_store):
    other = make_store("other")
    add_customer(db, store.id, "a@x.com", [(10, 5000)])
    with db.transaction() as session:
        nightly = recompute_jobs.ensure_scheduled(session, now=NOW)
        again = recompute_jobs.ensure_scheduled(session, now=NOW)
        job = session.get(Job, nightly)
        context = jobs.JobContext(job_id=job.id, store_id=None, attempt=1,
                                  payload=job.payload)
        recompute_jobs.nightly(session, context)
        recompute_jobs.nightly(session, context)
        queued = list(session.scalars(select(Job).where(Job.kind == recompute_jobs.JOB)))
    assert again is None
    assert sorted(j.store_id for j in queued) == sorted([store.id, other.id])
    with db.transaction() as session:
        for job in queued:
            recompute_jobs.run_job(session, jobs.JobContext(
                job_id=job.id, store_id=job.store_id, attempt=1, payload=job.payload))
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(InsightRun)) == 2


CSV = ("order_number,placed_at,currency,email,sku,title,quantity,unit_price\n"
       "{n},2026-05-01T10:00:00Z,USD,ada@example.com,TEA-1,Tea,1,5.00\n")


def test_a_bulk_import_asks_for_one_recompute(db, store):
    import_orders(db, store_id=store.id, source=CSV.format(n="1001").encode())
    import_orders(db, store_id=store.id, source=CSV.format(n="1002").encode())

    with db.reading() as session:
        queued = list(session.scalars(select(Job).where(Job.kind == recompute_jobs.JOB)))
    assert [(j.store_id, j.payload, j.status) for j in queued] == [
        (store.id, {"store_id": store.id}, "queued")]
