"""The CLV models reproduce what Fader, Hardie & Lee published on the CDNOW sample
(calibration: the first 39 weeks, to 1997-09-30; same-day purchases merged):
BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 with a log-likelihood of -9582.4
and E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226; Pareto/NBD r = 0.553,
alpha = 10.578, s = 0.606, beta = 11.669; Gamma-Gamma on the 946 repeat buyers
p = 6.25, q = 3.74, gamma = 15.44."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from afterward.insights import clv, transactions

CDNOW = Path(__file__).parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
END = date(1997, 9, 30)


@pytest.fixture(scope="module")
def cdnow() -> clv.Summary:
    summary, _ = transactions.summarise(transactions.read(CDNOW, "cdnow"), END)
    return summary


@pytest.fixture(scope="module")
def bgnbd(cdnow) -> clv.Fit:
    return clv.fit_bgnbd(cdnow)


def rounded(params: dict[str, float], places: int = 3) -> dict[str, float]:
    return {name: round(value, places) for name, value in params.items()}


def test_the_cdnow_sample_summarises_to_2357_customers_946_of_them_repeat_buyers(cdnow):
    assert (len(cdnow), int((cdnow.x > 0).sum()), int(cdnow.x.sum())) == (2357, 946, 2457)
    assert (round(float(cdnow.T.max()), 2), round(float(cdnow.T.min()), 2)) == (38.86, 27.0)


def test_bgnbd_finds_the_published_parameters_and_log_likelihood(bgnbd):
    assert rounded(bgnbd.params) == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(bgnbd.log_likelihood, 1) == -9582.4


def test_bgnbd_gives_the_published_conditional_expectation(bgnbd):
    one = clv.Summary(np.array([2.0]), np.array([30.43]), np.array([38.86]))

    assert round(float(clv.bgnbd_expected(bgnbd.params, one, 39.0)[0]), 3) == 1.226


def test_pareto_nbd_finds_the_published_parameters(cdnow):
    fitted = clv.fit_pareto(cdnow)

    assert rounded(fitted.params) == {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert round(fitted.log_likelihood, 1) == -9595.0


def test_gamma_gamma_finds_the_published_parameters(cdnow):
    fitted = clv.fit_gamma_gamma(cdnow)

    assert rounded(fitted.params, 2) == {"p": 6.25, "q": 3.74, "v": 15.44}


def test_a_customer_without_repeat_purchases_is_alive_and_a_lapsed_one_less_so(bgnbd):
    s = clv.Summary(np.array([0.0, 5.0, 5.0]), np.array([0.0, 38.0, 10.0]),
                    np.array([38.86, 38.86, 38.86]))

    alive = clv.bgnbd_p_alive(bgnbd.params, s)

    assert [round(float(a), 3) for a in alive] == [1.0, 0.879, 0.025]


def test_the_expected_spend_shrinks_a_customers_mean_towards_the_population(cdnow):
    params = {"p": 6.25, "q": 3.74, "v": 15.44}
    s = clv.Summary(np.array([0.0, 1.0, 20.0]), np.zeros(3), np.ones(3),
                    np.array([0.0, 100.0, 100.0]))

    spend = clv.expected_spend(params, s)

    population = 6.25 * 15.44 / 2.74
    assert round(float(spend[0]), 6) == round(population, 6)
    assert population < spend[1] < spend[2] < 100.0


def test_the_discounted_value_of_a_year_is_the_weekly_purchases_discounted(bgnbd):
    s = clv.Summary(np.array([2.0]), np.array([30.43]), np.array([38.86]))

    undiscounted = clv.discounted_clv(bgnbd.params, s, np.array([10.0]),
                                      annual_discount=0.0)
    discounted = clv.discounted_clv(bgnbd.params, s, np.array([10.0]))

    year = float(clv.bgnbd_expected(bgnbd.params, s, 52.0)[0])
    assert round(float(undiscounted[0]), 9) == round(year * 10.0, 9)
    assert 0.9 * year * 10 < float(discounted[0]) < year * 10


def test_pareto_discounted_clv_without_discount_is_the_expectation_at_the_spend():
    models = clv
    params = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
    summary = models.Summary(np.array([0.0, 2.0, 7.0]), np.array([0.0, 30.4, 35.0]),
                             np.array([38.9, 38.9, 38.9]))
    spend = np.array([20.0, 35.0, 50.0])

    flat = models.pareto_discounted_clv(params, summary, spend, weeks=52, annual_discount=0.0)
    discounted = models.pareto_discounted_clv(params, summary, spend, weeks=52)

    assert flat == pytest.approx(models.pareto_expected(params, summary, 52.0) * spend,
                                 rel=1e-9)
    assert (discounted < flat).all() and (discounted > 0.9 * flat).all()
