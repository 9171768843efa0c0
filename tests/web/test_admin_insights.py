"""Cohorts and KPIs (/admin/insights) and what each program earns
(/admin/insights/programs) in the admin: the figures of the hand-built store
(tests/insights/kpi_scene.py) on the page, in its SVG charts and tables, the period
switch, the CSV downloads' exact content, the empty store, and the page in the
admin's language."""

from __future__ import annotations

import re

import pytest

from afterward.web.admin import insights
from tests.insights.kpi_scene import NOW, build
from tests.journeys.test_results import seed_winback_results
from tests.web.helpers import make_admin, sign_in


@pytest.fixture
def signed_in(client, db, store, monkeypatch):
    monkeypatch.setattr(insights, "utcnow", lambda: NOW)
    make_admin(db, stores=(store.slug,))
    sign_in(client)
    return client


def figure(html: str, key: str) -> str:
    found = re.search(rf'<li class="figure" id="kpi-{key}">.*?<span class="figure-value">'
                      r'([^<]*)</span>\s*<span class="figure-change[^"]*">([^<]*)</span>',
                      html, re.S)
    assert found, f"no figure {key}"
    return f"{found.group(1)} | {found.group(2)}"


def test_the_page_shows_the_kpis_against_the_period_before(signed_in, db, store):
    build(db, store.id)

    page = signed_in.get("/admin/insights?days=30")

    assert page.status_code == 200
    assert figure(page.text, "orders") == "3 | 0.0% on the previous 30 days (3)"
    assert figure(page.text, "repeat-rate") == \
        "66.7% | +33.3 points on the previous 30 days (33.3%)"
    assert figure(page.text, "days-to-second-order") == \
        "35.0 | +2.0 days on the previous 30 days (33.0)"
    assert figure(page.text, "average-order-value") == \
        "$17.00 | -40.0% on the previous 30 days ($28.33)"
    assert figure(page.text, "return-rate") == \
        "33.3% | +33.3 points on the previous 30 days (0.0%)"
    assert figure(page.text, "on-time-rate") == "66.7% | — on the previous 30 days (—)"
    assert 'aria-current="page">Cohorts and KPIs</a>' in page.text
    assert '<a href="/admin/insights?days=30" aria-current="true">' in page.text


def test_the_charts_are_inline_svg_with_titles_and_the_table_has_their_numbers(
        signed_in, db, store):
    build(db, store.id)

    page = signed_in.get("/admin/insights")
    html = page.text

    assert html.count('role="img"') == 7  # 5 KPIs by month, the heat map, the histogram
    assert '<svg class="heatmap" id="cohort-heatmap"' in html
    assert re.search(r'<title id="cohort-heatmap-title">Share of each month', html)
    assert '<rect class="heat-5"' in html and ">50%</text>" in html and ">100%</text>" in html
    cohort_table = html[html.index('id="cohort-table"'):]
    row = re.search(r"<tr><th scope=\"row\">Jan 2026</th>(.*?)</tr>", cohort_table).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:4] == ["2", "50.0%", "50.0%", ""]
    assert 'id="clv-source"' in html  # spend so far, said so
    assert re.search(r'id="clv-median">\$40\.00<', html)
    assert "<script" not in html and 'style="' not in html


def test_once_insights_are_computed_the_histogram_shows_predicted_values(signed_in, db, store):
    from sqlalchemy import select

    from afterward.commerce.models import Customer
    from afterward.insights.customer_models import CustomerInsight, InsightRun

    build(db, store.id)
    with db.transaction() as session:
        customers = session.scalars(select(Customer.id).where(
            Customer.store_id == store.id).order_by(Customer.id)).all()
        run = InsightRun(store_id=store.id, started_at=NOW, finished_at=NOW,
                         status="finished", customers=len(customers), notes={})
        session.add(run)
        session.flush()
        session.add_all([CustomerInsight(
            run_id=run.id, customer_id=customer_id, store_id=store.id, segment="active",
            rfm_recency=3, rfm_frequency=3, rfm_monetary=3, p_alive=0.9, churn_risk="low",
            expected_orders_90d=0.5, clv_minor=1000 * (n + 1), currency="USD",
            next_order_due=None, computed_at=NOW) for n, customer_id in enumerate(customers)])

    html = signed_in.get("/admin/insights").text

    assert 'id="clv-predicted"' in html and 'id="clv-source"' not in html
    assert re.search(rf'id="clv-customers">{len(customers)}<', html)
    assert signed_in.get("/admin/insights/clv.csv").text.splitlines()[1].startswith(
        "predicted_52_weeks,1000,")


def test_an_empty_store_says_so(signed_in):
    page = signed_in.get("/admin/insights")

    assert page.status_code == 200
    assert "No orders yet: the figures appear once the store has orders." in page.text
    assert "NaN" not in page.text and "inf" not in page.text.replace("info", "")


def test_orders_on_one_day_only_say_too_little(signed_in, db, store):
    from afterward.commerce.models import Order

    with db.transaction() as session:
        session.add(Order(store_id=store.id, number="1", currency="USD", total_minor=500,
                          placed_at=NOW.replace(hour=9)))

    page = signed_in.get("/admin/insights")

    assert page.status_code == 200
    assert 'id="too-little"' in page.text and 'id="no-retention"' in page.text
    assert "NaN" not in page.text


def test_a_period_that_is_not_offered_is_refused(signed_in):
    assert signed_in.get("/admin/insights?days=7").status_code == 400
    assert signed_in.get("/admin/insights/kpis.csv?days=abc").status_code == 400
    assert signed_in.get("/admin/insights/programs?window=8").status_code == 400


def test_the_kpis_csv_has_each_kpi_and_the_period_before(signed_in, db, store):
    build(db, store.id)

    response = signed_in.get("/admin/insights/kpis.csv?days=30")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="acme-kpis-30d.csv"' in response.headers["content-disposition"]
    s, e, ps = ("2026-02-13T12:00:00+00:00", "2026-03-15T12:00:00+00:00",
                "2026-01-14T12:00:00+00:00")
    assert response.text.splitlines() == [
        "kpi,period_start,period_end,value,previous_start,previous_end,previous_value,"
        "difference,relative_change",
        f"orders,{s},{e},3,{ps},{s},3,0,0",
        f"customers,{s},{e},3,{ps},{s},3,0,0",
        f"revenue_minor,{s},{e},5100,{ps},{s},8500,-3400,-0.4",
        f"repeat_rate,{s},{e},0.6667,{ps},{s},0.3333,0.3333,1",
        f"days_to_second_order,{s},{e},35,{ps},{s},33,2,0.0606",
        f"average_order_value_minor,{s},{e},1700,{ps},{s},2833.3333,-1133.3333,-0.4",
        f"return_rate,{s},{e},0.3333,{ps},{s},0,0.3333,",
        f"on_time_rate,{s},{e},0.6667,{ps},{s},,,",
    ]


def test_the_cohorts_csv_has_each_month_s_shares(signed_in, db, store):
    build(db, store.id)

    lines = signed_in.get("/admin/insights/cohorts.csv").text.splitlines()

    assert lines[0] == "cohort,customers," + ",".join(f"month_{n}" for n in range(1, 13))
    assert lines[-3:] == ["2026-01,2,0.5,0.5" + "," * 10,
                          "2026-02,1,1" + "," * 11,
                          "2026-03,1" + "," * 12]
    assert lines[1] == "2025-03,0" + "," * 12
    assert len(lines) == 14


def test_the_other_tables_download_too(signed_in, db, store):
    build(db, store.id)

    months = signed_in.get("/admin/insights/months.csv").text.splitlines()
    clv = signed_in.get("/admin/insights/clv.csv").text.splitlines()

    assert months[0] == ("month,orders,customers,revenue_minor,repeat_rate,"
                         "days_to_second_order,average_order_value_minor,return_rate,"
                         "on_time_rate")
    assert months[-1] == "2026-03,3,3,5100,0.6667,35,1700,0.3333,0.6667"
    assert clv[0] == "source,low_minor,high_minor,customers"
    assert clv[1] == "historic_spend,4000,4200,2" and clv[-1] == "historic_spend,5800,6000,1"


def test_the_programs_page_ranks_journeys_with_a_holdout(signed_in, db, store):
    seed_winback_results(db, store.id, now=NOW)

    page = signed_in.get("/admin/insights/programs")
    csv = signed_in.get("/admin/insights/programs.csv").text.splitlines()

    assert page.status_code == 200
    assert 'id="program-winback"' in page.text
    assert "Not yet" in page.text  # 4 against 3 customers: nothing is significant
    assert 'class="verdict-yes"' not in page.text
    assert '<svg class="lifts" id="programs-chart"' in page.text
    assert csv[0].startswith("rank,journey,name,treated,held_out,revenue_lift_per_customer_minor")
    rank, key, _name, treated, held_out, lift, low, high, *rest = csv[1].split(",")
    assert (rank, key, treated, held_out, rest[3]) == ("1", "winback", "4", "3", "no")
    assert float(lift) == pytest.approx(1500 - 2000 / 3, abs=1e-3)
    assert float(low) < float(lift) < float(high)


def test_without_a_holdout_the_programs_page_says_how_to_get_one(signed_in):
    page = signed_in.get("/admin/insights/programs")

    assert page.status_code == 200
    assert 'id="no-programs"' in page.text


def test_the_page_speaks_the_admin_s_language(signed_in, db, store):
    build(db, store.id)

    german = signed_in.get("/admin/insights", headers={"Accept-Language": "de"})
    french = signed_in.get("/admin/insights/programs", headers={"Accept-Language": "fr"})
    brazilian = signed_in.get("/admin/insights", headers={"Accept-Language": "pt-BR"})

    assert "<h1>Kohorten und Kennzahlen</h1>" in german.text
    assert "<h1>Ce que rapporte chaque programme</h1>" in french.text
    assert "<h1>Coortes e indicadores</h1>" in brazilian.text
