"""Lifetime value, pure numpy/scipy: BG/NBD (Fader, Hardie & Lee 2005) and Pareto/NBD
(Schmittlein, Morrison & Colombo 1987; the likelihood as Fader & Hardie write it) for
how often a customer buys and whether they are still "alive", Gamma-Gamma (Fader &
Hardie 2013) for what they spend, and the discounted value those imply.

Inputs are per customer: `x` repeat purchases (distinct purchase days after the
first), `t_x` the time of the last purchase and `T` the age, both counted from the
first purchase, in weeks; `m` the mean value of the repeat purchases. Parameters are
fitted by maximum likelihood over their logarithms (they are positive): Nelder-Mead
from a neutral start, then polished by BFGS, so they agree with the published values
to three decimals on CDNOW (tests/insights/test_clv.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Summary:
    """The repeat-purchase summary of a set of customers (arrays of one length)."""

    x: Array  # repeat purchases
    t_x: Array  # weeks from the first purchase to the last
    T: Array  # weeks from the first purchase to the end of the calibration
    m: Array | None = None  # mean value of the repeat purchases (0 without one)

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Fit:
    params: dict[str, float]
    log_likelihood: float


def _fit(negative_ll: Callable[[Array], float], names: tuple[str, ...]) -> Fit:
    start = np.zeros(len(names))
    first = optimize.minimize(negative_ll, start, method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000,
                                       "maxfev": 40000})
    best = optimize.minimize(negative_ll, first.x, method="BFGS", options={"gtol": 1e-8})
    chosen = best if best.success and best.fun <= first.fun else first
    values = np.exp(chosen.x)
    return Fit({n: float(v) for n, v in zip(names, values, strict=True)}, -float(chosen.fun))


# --- BG/NBD --------------------------------------------------------------------------

def bgnbd_log_likelihood(params: Array, s: Summary) -> Array:
    """Each customer's log-likelihood under BG/NBD with (r, alpha, a, b)."""
    r, alpha, a, b = params
    x, t_x, T = s.x, s.t_x, s.T
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
          - special.gammaln(a + b + x))
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.full_like(x, -np.inf)
    a4[repeat] = (np.log(a) - np.log(b + x[repeat] - 1)
                  - (r + x[repeat]) * np.log(alpha + t_x[repeat]))
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


def fit_bgnbd(s: Summary) -> Fit:
    def negative(log_params: Array) -> float:
        return -float(np.sum(bgnbd_log_likelihood(np.exp(log_params), s)))

    return _fit(negative, ("r", "alpha", "a", "b"))


def bgnbd_p_alive(p: dict[str, float], s: Summary) -> Array:
    """The probability each customer is still buying at T."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    odds = np.zeros_like(s.x)
    repeat = s.x > 0
    odds[repeat] = (a / (b + s.x[repeat] - 1)
                    * ((alpha + s.T[repeat]) / (alpha + s.t_x[repeat])) ** (r + s.x[repeat]))
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def bgnbd_expected(p: dict[str, float], s: Summary, t: float) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T]: the conditional expectation."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    x, t_x, T = s.x, s.t_x, s.T
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    repeat = (x > 0).astype(np.float64)
    second = 1 + repeat * a / (b + x - 1 + (1 - repeat)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return np.asarray(first / second, dtype=np.float64)


# --- Pareto/NBD ----------------------------------------------------------------------

def _log_a0(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, s, beta = params
    if alpha >= beta:
        low, high, shape = beta, alpha, s + 1
    else:
        low, high, shape = alpha, beta, r + x
    gap = high - low
    rsx = r + s + x
    p1 = special.hyp2f1(rsx, shape, rsx + 1, gap / (high + t_x))
    p2 = special.hyp2f1(rsx, shape, rsx + 1, gap / (high + T))
    q1, q2 = high + t_x, high + T
    # log(p1 / q1^rsx - p2 / q2^rsx), the first term always the larger
    one = np.log(p1) - rsx * np.log(q1)
    two = np.log(p2) - rsx * np.log(q2)
    with np.errstate(divide="ignore"):  # t_x == T: A0 is 0, its log -inf (logaddexp copes)
        return np.asarray(one + np.log1p(-np.exp(two - one)), dtype=np.float64)


def pareto_log_likelihood(params: Array, sm: Summary) -> Array:
    """Each customer's log-likelihood under Pareto/NBD with (r, alpha, s, beta)."""
    r, alpha, s, beta = params
    x, t_x, T = sm.x, sm.t_x, sm.T
    a1 = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
          + s * np.log(beta))
    gone = np.log(s) - np.log(r + s + x) + _log_a0(params, x, t_x, T)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    return np.asarray(a1 + np.logaddexp(alive, gone), dtype=np.float64)


def fit_pareto(sm: Summary) -> Fit:
    def negative(log_params: Array) -> float:
        value = -float(np.sum(pareto_log_likelihood(np.exp(log_params), sm)))
        return value if np.isfinite(value) else 1e300

    return _fit(negative, ("r", "alpha", "s", "beta"))


# --- Gamma-Gamma ---------------------------------------------------------------------

def gamma_gamma_log_likelihood(params: Array, x: Array, m: Array) -> Array:
    p, q, v = params
    px = p * x
    return np.asarray(special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
                      + q * np.log(v) + (px - 1) * np.log(m) + px * np.log(x)
                      - (px + q) * np.log(x * m + v), dtype=np.float64)


def fit_gamma_gamma(s: Summary) -> Fit:
    """Fitted on the repeat buyers (x > 0 with a mean spend above 0)."""
    if s.m is None:
        raise ValueError("Gamma-Gamma needs the mean spend of the repeat purchases")
    keep = (s.x > 0) & (s.m > 0)
    x, m = s.x[keep], s.m[keep]

    def negative(log_params: Array) -> float:
        return -float(np.sum(gamma_gamma_log_likelihood(np.exp(log_params), x, m)))

    return _fit(negative, ("p", "q", "v"))


def expected_spend(p: dict[str, float], s: Summary, fallback: float | None = None) -> Array:
    """E[mean spend | x, m]: shrunk from the customer's own mean towards the
    population's (p v / (q - 1)); a customer without repeat purchases gets that."""
    pp, q, v = p["p"], p["q"], p["v"]
    population = pp * v / (q - 1) if q > 1 else (fallback or 0.0)
    m = s.m if s.m is not None else np.zeros_like(s.x)
    weight = (pp * s.x) / (pp * s.x + q - 1)
    own = np.where(s.x > 0, m, population)
    return np.asarray((1 - weight) * population + weight * own, dtype=np.float64)


def discounted_clv(p: dict[str, float], s: Summary, spend: Array, *, weeks: int = 52,
                   annual_discount: float = 0.10) -> Array:
    """The discounted value of the next `weeks`: the expected purchases of each week
    (differences of the conditional expectation) at the expected spend, discounted."""
    weekly = (1 + annual_discount) ** (1 / 52) - 1
    total = np.zeros_like(s.x)
    before = np.zeros_like(s.x)
    for week in range(1, weeks + 1):
        cumulative = bgnbd_expected(p, s, float(week))
        total += (cumulative - before) / (1 + weekly) ** week
        before = cumulative
    return np.asarray(total * spend, dtype=np.float64)


def pareto_p_alive(p: dict[str, float], sm: Summary) -> Array:
    """P(alive at T | x, t_x, T) under Pareto/NBD. Unlike BG/NBD's, it falls for a
    one-time buyer as time passes without a second purchase."""
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    params = np.array([r, alpha, s, beta])
    log_odds = (np.log(s) - np.log(r + s + sm.x) + (r + sm.x) * np.log(alpha + sm.T)
                + s * np.log(beta + sm.T) + _log_a0(params, sm.x, sm.t_x, sm.T))
    return np.asarray(1.0 / (1.0 + np.exp(log_odds)), dtype=np.float64)


def pareto_expected(p: dict[str, float], sm: Summary, t: float) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] under Pareto/NBD (s != 1)."""
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    rate = (r + sm.x) * (beta + sm.T) / ((alpha + sm.T) * (s - 1))
    window = 1 - ((beta + sm.T) / (beta + sm.T + t)) ** (s - 1)
    return np.asarray(rate * window * pareto_p_alive(p, sm), dtype=np.float64)


def pareto_discounted_clv(p: dict[str, float], sm: Summary, spend: Array, *, weeks: int = 52,
                          annual_discount: float = 0.10,
                          p_alive: Array | None = None) -> Array:
    """discounted_clv under Pareto/NBD (s != 1): each week's expected purchases
    (differences of pareto_expected) at the expected spend, discounted. P(alive) does
    not depend on the horizon, so it is computed once (or given)."""
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    alive = pareto_p_alive(p, sm) if p_alive is None else p_alive
    rate = (r + sm.x) * (beta + sm.T) / ((alpha + sm.T) * (s - 1)) * alive
    weekly = (1 + annual_discount) ** (1 / 52) - 1
    total = np.zeros_like(sm.x)
    before = np.zeros_like(sm.x)
    for week in range(1, weeks + 1):
        cumulative = rate * (1 - ((beta + sm.T) / (beta + sm.T + week)) ** (s - 1))
        total += (cumulative - before) / (1 + weekly) ** week
        before = cumulative
    return np.asarray(total * spend, dtype=np.float64)
