"""RFM quintiles (ties together), churn bands and named segments, first rule first;
and Pareto/NBD's P(alive) and expected purchases that feed them."""

from __future__ import annotations

import numpy as np

from afterward.insights import clv, segments
from afterward.insights.segments import Rfm

CDNOW_PARETO = {"r": 0.5533, "alpha": 10.5777, "s": 0.6062, "beta": 11.6687}


def test_quintile_scores_spread_ten_values_two_to_a_score():
    assert segments.quintile_scores([float(v) for v in range(10)]) == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_equal_values_score_the_same_and_lower_can_be_better():
    assert segments.quintile_scores([5.0, 5.0, 5.0, 1.0, 9.0]) == [2, 2, 2, 1, 5]
    assert segments.quintile_scores([1.0, 2.0, 3.0, 4.0, 5.0], higher_is_better=False) == [
        5, 4, 3, 2, 1]
    assert segments.quintile_scores([]) == []


def test_rfm_scores_recency_by_fewer_days():
    scores = segments.rfm([1, 400, 30, 90, 10], [9, 1, 3, 2, 5], [90000, 500, 4000, 2500, 20000])

    assert [s.code for s in scores] == ["555", "111", "333", "222", "444"]


def test_segments_take_the_first_rule_that_matches():
    top, low = Rfm(5, 5, 5), Rfm(2, 1, 1)

    assert segments.segment(orders=1, days_since_first=10, p_alive=0.1, score=low) == "new"
    assert segments.segment(orders=1, days_since_first=90, p_alive=0.1, score=low) == "lapsed"
    assert segments.segment(orders=6, days_since_first=900, p_alive=0.35,
                            score=top) == "at_risk"
    assert segments.segment(orders=6, days_since_first=900, p_alive=0.9,
                            score=top) == "champions"
    assert segments.segment(orders=6, days_since_first=900, p_alive=0.9,
                            score=Rfm(5, 3, 5)) == "active"


def test_churn_bands():
    assert [segments.churn_band(p) for p in (0.95, 0.71, 0.7, 0.5, 0.31, 0.3, 0.0)] == [
        "low", "low", "medium", "medium", "medium", "high", "high"]


def test_pareto_p_alive_falls_for_a_one_time_buyer_as_weeks_pass():
    s = clv.Summary(np.zeros(3), np.zeros(3), np.array([5.0, 20.0, 38.86]))

    alive = clv.pareto_p_alive(CDNOW_PARETO, s)

    assert [round(float(a), 3) for a in alive] == [0.787, 0.463, 0.295]


def test_pareto_p_alive_matches_the_share_of_the_likelihood_from_being_alive():
    s = clv.Summary(np.array([2.0, 10.0]), np.array([30.43, 38.0]), np.array([38.86, 38.86]))
    r, alpha, sh, beta = (CDNOW_PARETO[k] for k in ("r", "alpha", "s", "beta"))

    total = np.exp(clv.pareto_log_likelihood(np.array([r, alpha, sh, beta]), s))
    from scipy import special
    alive_part = np.exp(special.gammaln(r + s.x) - special.gammaln(r) + r * np.log(alpha)
                        + sh * np.log(beta) - (r + s.x) * np.log(alpha + s.T)
                        - sh * np.log(beta + s.T))

    assert np.allclose(clv.pareto_p_alive(CDNOW_PARETO, s), alive_part / total, rtol=1e-12)


def test_pareto_expected_purchases_grow_with_the_window_and_with_past_purchases():
    s = clv.Summary(np.array([0.0, 2.0, 10.0]), np.array([0.0, 30.43, 38.0]),
                    np.array([38.86, 38.86, 38.86]))

    quarter = clv.pareto_expected(CDNOW_PARETO, s, 13.0)
    year = clv.pareto_expected(CDNOW_PARETO, s, 52.0)

    assert [round(float(v), 3) for v in year] == [0.136, 1.851, 8.702]
    assert all(quarter < year) and quarter[0] < quarter[1] < quarter[2]


def test_pareto_figures_match_an_integration_over_the_customers_rates():
    """The closed forms against the model itself: P(alive) and E[Y(52)] as integrals of
    the individual-level likelihood over the gamma priors of the purchase and dropout
    rates (a 1,500 x 1,500 grid on their quantiles)."""
    from scipy import stats

    n = 1500
    quantiles = (np.arange(n) + 0.5) / n
    lam = stats.gamma.ppf(quantiles, CDNOW_PARETO["r"], scale=1 / CDNOW_PARETO["alpha"])
    mu = stats.gamma.ppf(quantiles, CDNOW_PARETO["s"], scale=1 / CDNOW_PARETO["beta"])
    lam, mu = lam[:, None], mu[None, :]
    for x, t_x, big_t in ((0, 0.0, 38.86), (2, 30.43, 38.86), (10, 38.0, 38.86)):
        alive = lam ** x * np.exp(-(lam + mu) * big_t)
        likelihood = alive + lam ** x * mu / (lam + mu) * (
            np.exp(-(lam + mu) * t_x) - np.exp(-(lam + mu) * big_t))
        expected = (alive * lam / mu * (1 - np.exp(-mu * 52.0))).sum() / likelihood.sum()
        one = clv.Summary(np.array([float(x)]), np.array([t_x]), np.array([big_t]))

        assert abs(float(clv.pareto_p_alive(CDNOW_PARETO, one)[0])
                   - alive.sum() / likelihood.sum()) < 1e-5
        assert abs(float(clv.pareto_expected(CDNOW_PARETO, one, 52.0)[0]) - expected) < 1e-4
