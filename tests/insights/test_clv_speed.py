"""The fast paths of clv.py give what the plain per-customer functions give: the
weighted patterns sum to the same log-likelihoods (to 1e-9), the analytic gradients are
the numerical ones, the BFGS fit is the Nelder-Mead fit of the plain likelihood, and
scores computed once per pattern are each customer's own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize

from afterward.bench.insights import fit_and_score, synthetic_customers
from afterward.insights import clv, transactions

CDNOW = Path(__file__).parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def cdnow() -> clv.Summary:
    summary, _ = transactions.summarise(transactions.read(CDNOW, "cdnow"),
                                        date(1997, 9, 30))
    return summary


def central_gradient(f, at: np.ndarray, h: float = 1e-6) -> np.ndarray:
    return np.array([(f(at + h * e) - f(at - h * e)) / (2 * h) for e in np.eye(len(at))])


def test_patterns_are_the_distinct_customers_counted_and_expand_back():
    s = clv.Summary(np.array([0.0, 2.0, 0.0, 2.0, 2.0]), np.array([0.0, 3.0, 0.0, 3.0, 4.0]),
                    np.array([9.0, 9.0, 9.0, 9.0, 9.0]))

    pt = clv.patterns(s)

    assert pt.summary.x.tolist() == [0.0, 2.0, 2.0]
    assert pt.summary.t_x.tolist() == [0.0, 3.0, 4.0]
    assert pt.weight.tolist() == [2.0, 2.0, 1.0]
    assert pt.expand(np.array([10.0, 20.0, 30.0])).tolist() == [10.0, 20.0, 10.0, 20.0, 30.0]
    assert (pt.x_values.tolist(), pt.x_weight.tolist()) == ([0.0, 2.0], [2.0, 3.0])


def test_the_bgnbd_objective_is_the_plain_likelihood_and_its_gradient_the_numerical_one(
        cdnow):
    pt = clv.patterns(cdnow)
    at = np.log([0.3, 5.0, 0.8, 2.5])

    value, gradient = clv.bgnbd_objective(at, pt)

    def plain(lp: np.ndarray) -> float:
        return -float(np.sum(clv.bgnbd_log_likelihood(np.exp(lp), cdnow)))

    assert value == pytest.approx(plain(at), rel=1e-9)
    assert gradient == pytest.approx(central_gradient(plain, at), rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("params", [[0.55, 10.6, 0.61, 11.7], [0.55, 12.0, 0.61, 9.0]])
def test_the_pareto_objective_is_the_plain_likelihood_summed(cdnow, params):
    at = np.log(params)  # alpha below beta, then above: both forms of A0

    value = clv.pareto_negative_ll(at, clv.patterns(cdnow))

    plain = -float(np.sum(clv.pareto_log_likelihood(np.exp(at), cdnow)))
    assert value == pytest.approx(plain, rel=1e-9)


def test_the_gamma_gamma_objective_is_the_plain_likelihood_and_its_gradient_too(cdnow):
    keep = (cdnow.x > 0) & (cdnow.m > 0)
    x, m = cdnow.x[keep], cdnow.m[keep]
    x_values, counts = np.unique(x, return_counts=True)
    at = np.log([6.0, 3.5, 15.0])

    value, gradient = clv.gamma_gamma_objective(at, x, m, x_values, counts.astype(float))

    def plain(lp: np.ndarray) -> float:
        return -float(np.sum(clv.gamma_gamma_log_likelihood(np.exp(lp), x, m)))

    assert value == pytest.approx(plain(at), rel=1e-9)
    assert gradient == pytest.approx(central_gradient(plain, at), rel=1e-5, abs=1e-4)


def test_the_bfgs_fit_is_the_nelder_mead_fit_of_the_plain_likelihood():
    s = synthetic_customers(3000, seed=1)

    def plain(lp: np.ndarray) -> float:
        return -float(np.sum(clv.bgnbd_log_likelihood(np.exp(lp), s)))

    slow = optimize.minimize(plain, np.zeros(4), method="Nelder-Mead",
                             options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 20000})
    fast = clv.fit_bgnbd(s)

    assert list(fast.params.values()) == pytest.approx(np.exp(slow.x).tolist(), rel=1e-4)
    assert fast.log_likelihood == pytest.approx(-slow.fun, abs=1e-6)


def test_scores_computed_once_per_pattern_are_each_customers_own():
    s = synthetic_customers(2000, seed=2)

    scores = fit_and_score(s)

    bgnbd, pareto = clv.fit_bgnbd(s).params, clv.fit_pareto(s).params
    spend = clv.expected_spend(clv.fit_gamma_gamma(s).params, s)
    assert np.array_equal(scores["p_alive"], clv.bgnbd_p_alive(bgnbd, s))
    assert np.array_equal(scores["pareto_p_alive"], clv.pareto_p_alive(pareto, s))
    assert np.array_equal(scores["expected_90d"], clv.bgnbd_expected(bgnbd, s, 90 / 7))
    assert np.array_equal(scores["clv"], clv.discounted_clv(bgnbd, s, spend))
