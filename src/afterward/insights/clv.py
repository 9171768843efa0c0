"""Lifetime value, pure numpy/scipy: BG/NBD (Fader, Hardie & Lee 2005) and Pareto/NBD
(Schmittlein, Morrison & Colombo 1987; the likelihood as Fader & Hardie write it) for
how often a customer buys and whether they are still "alive", Gamma-Gamma (Fader &
Hardie 2013) for what they spend, and the discounted value those imply.

Inputs are per customer: `x` repeat purchases (distinct purchase days after the
first), `t_x` the time of the last purchase and `T` the age, both counted from the
first purchase, in weeks; `m` the mean value of the repeat purchases. Parameters are
fitted by maximum likelihood over their logarithms (they are positive): Nelder-Mead
from a neutral start, then polished by BFGS, so they agree with the published values
to three decimals on CDNOW (tests/insights/test_clv.py).

Speed (`afterward bench insights`): customers with the same (x, t_x, T) are one
weighted row (`Patterns`: days as weeks make them few, ~100,000 among a million), and
a sum's terms that depend on x alone are computed once per x. BG/NBD and Gamma-Gamma
are fitted by BFGS with their analytic gradients, Pareto/NBD by BFGS with central
differences (its hypergeometric term has no handy derivative), each from the neutral
start; Nelder-Mead and a BFGS polish remain the fallback when that fails. The plain
per-customer log-likelihoods stay the reference the tests check these against."""

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


Objective = Callable[[Array], tuple[float, Array]]
FALLBACK_EVALUATIONS = 3000


def _fit(negative_ll: Callable[[Array], float], names: tuple[str, ...], *,
         objective: Objective | None = None, customers: float = 1.0) -> Fit:
    """The maximum-likelihood fit from the neutral start (all parameters 1): BFGS on
    `objective` (value and gradient) when given, else on central differences, both per
    customer (so one tolerance serves any size); when that fails, Nelder-Mead then a
    BFGS polish of the sum (slow, sure)."""
    start = np.zeros(len(names))
    scale = 1.0 / max(customers, 1.0)

    def per_customer(log_params: Array) -> tuple[float, Array]:
        assert objective is not None
        value, grad = objective(log_params)
        return value * scale, grad * scale

    with np.errstate(all="ignore"):  # a line search may step far out and back
        if objective is not None:
            quick = optimize.minimize(per_customer, start, jac=True, method="BFGS",
                                      options={"gtol": 1e-7})
        else:
            quick = optimize.minimize(lambda lp: negative_ll(lp) * scale, start,
                                      jac="3-point", method="BFGS", options={"gtol": 1e-8})
    # status 2 (precision loss): the line search stalls in finite precision, at the
    # optimum or on a ridge running off to infinity (Pareto/NBD without visible
    # dropout: s and beta grow together), where Nelder-Mead would wander for minutes
    # among slow hypergeometric terms; the answer is kept when the gradient is small.
    tolerance = 1e-5 if quick.status == 0 else 1e-3
    if quick.status in (0, 2) and np.isfinite(quick.fun) and quick.fun * customers < 1e300 \
            and np.max(np.abs(quick.jac)) <= tolerance:
        return _named(names, quick.x, quick.fun / scale)
    # At most FALLBACK_EVALUATIONS: where the likelihood has no finite optimum (a store
    # whose customers all buy at one rate: r and alpha run off together) Nelder-Mead
    # would go on for minutes; where that ends, the figures are as good as any there.
    first = optimize.minimize(negative_ll, start, method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000,
                                       "maxfev": FALLBACK_EVALUATIONS})
    best = optimize.minimize(negative_ll, first.x, method="BFGS", options={"gtol": 1e-8})
    chosen = best if best.success and best.fun <= first.fun else first
    return _named(names, chosen.x, chosen.fun)


def _dot(a: Array, b: Array) -> float:
    # not `a @ b`: BLAS threads spin on a busy machine (20 ms for 100,000 products)
    return float(np.einsum("i,i->", a, b))


def _named(names: tuple[str, ...], log_params: Array, negative: float) -> Fit:
    values = np.exp(log_params)
    return Fit({n: float(v) for n, v in zip(names, values, strict=True)}, -float(negative))


def _distinct(*columns: Array) -> tuple[list[Array], NDArray[np.intp], Array]:
    """The distinct rows of the columns (sorted), each row's index among them and the
    count of each."""
    n = len(columns[0])
    if n == 0:
        return [c[:0] for c in columns], np.zeros(0, dtype=np.intp), np.zeros(0)
    order = np.lexsort(columns[::-1])
    new = np.ones(n, dtype=bool)
    new[1:] = np.any([c[order][1:] != c[order][:-1] for c in columns], axis=0)
    group = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = group
    firsts = order[new]
    return ([c[firsts] for c in columns], inverse,
            np.bincount(group, minlength=len(firsts)).astype(np.float64))


@dataclass(frozen=True)
class Patterns:
    """A summary's distinct (x, t_x, T) rows with their counts (`weight`) and each
    customer's row (`inverse`); per row, the customers per distinct x,
    its (x, t_x) and (x, T) pairs among theirs (Pareto/NBD's hypergeometric terms
    depend on one pair each)."""

    summary: Summary  # the distinct rows (no m)
    weight: Array
    inverse: NDArray[np.intp]
    x_values: Array
    x_weight: Array  # customers per distinct x
    pairs_t_x: tuple[Array, Array]
    pair_t_x_of: NDArray[np.intp]
    pairs_T: tuple[Array, Array]
    pair_T_of: NDArray[np.intp]

    def expand(self, per_row: Array) -> Array:
        """Per customer again, from a value per distinct row."""
        return np.asarray(per_row[self.inverse], dtype=np.float64)


def patterns(s: Summary) -> Patterns:
    (x, t_x, T), inverse, weight = _distinct(s.x, s.t_x, s.T)
    (x_values,), x_of, _ = _distinct(x)
    (px, pt), pair_t_x_of, _ = _distinct(x, t_x)
    (qx, qT), pair_T_of, _ = _distinct(x, T)
    x_weight = np.bincount(x_of, weight, minlength=len(x_values)).astype(np.float64)
    return Patterns(Summary(x, t_x, T), weight, inverse, x_values, x_weight, (px, pt),
                    pair_t_x_of, (qx, qT), pair_T_of)


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


def bgnbd_objective(log_params: Array, pt: Patterns) -> tuple[float, Array]:
    """The negative log-likelihood of all customers and its gradient over the
    log-parameters, from their patterns."""
    r, alpha, a, b = params = np.exp(log_params)
    s, w = pt.summary, pt.weight
    x, t_x, T = s.x, s.t_x, s.T
    total = w.sum()
    per_x, xs = pt.x_weight, pt.x_values
    value = (_dot(per_x, special.gammaln(r + xs) + special.gammaln(b + xs)
                  - special.gammaln(a + b + xs))
             + total * (r * np.log(alpha) - special.gammaln(r) + special.gammaln(a + b)
                        - special.gammaln(b)))
    grad = np.array([_dot(per_x, special.digamma(r + xs))
                     + total * (np.log(alpha) - special.digamma(r)),
                     total * r / alpha,
                     total * special.digamma(a + b) - _dot(per_x, special.digamma(a + b + xs)),
                     _dot(per_x, special.digamma(b + xs) - special.digamma(a + b + xs))
                     + total * (special.digamma(a + b) - special.digamma(b))])
    log_T, log_t_x = np.log(alpha + T), np.log(alpha + t_x)
    a3 = -(r + x) * log_T
    repeat = x > 0
    a4 = np.full_like(x, -np.inf)
    a4[repeat] = (np.log(a) - np.log(b + x[repeat] - 1)
                  - (r + x[repeat]) * log_t_x[repeat])
    both = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - both)
    w4 = 1.0 - w3
    value += _dot(w, both)
    grad += [-_dot(w, w3 * log_T + w4 * log_t_x),
             -_dot(w, (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))),
             _dot(w, w4) / a,
             -_dot(w[repeat], w4[repeat] / (b + x[repeat] - 1))]
    return -float(value), -grad * params


def fit_bgnbd(s: Summary) -> Fit:
    pt = patterns(s)

    def negative(log_params: Array) -> float:
        return bgnbd_objective(log_params, pt)[0]

    return _fit(negative, ("r", "alpha", "a", "b"),
                objective=lambda lp: bgnbd_objective(lp, pt), customers=len(s))


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

def _a0_term(params: Array, x: Array, t: Array) -> Array:
    """log(2F1(r+s+x, shape; r+s+x+1; gap / (high + t)) / (high + t)^(r+s+x)): A0 is
    this at t_x less this at T."""
    r, alpha, s, beta = params
    if alpha >= beta:
        low, high, shape = beta, alpha, s + 1
    else:
        low, high, shape = alpha, beta, r + x
    rsx = r + s + x
    hyp = special.hyp2f1(rsx, shape, rsx + 1, (high - low) / (high + t))
    return np.asarray(np.log(hyp) - rsx * np.log(high + t), dtype=np.float64)


def _log_a0(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    return _log_a0_of(_a0_term(params, x, t_x), _a0_term(params, x, T))


def _log_a0_of(one: Array, two: Array) -> Array:
    # log(exp(one) - exp(two)), the first always the larger
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


def pareto_negative_ll(log_params: Array, pt: Patterns) -> float:
    """The negative log-likelihood of all customers, from their patterns (1e300 where
    it is not finite, so that a minimiser turns back)."""
    params = np.exp(log_params)
    r, alpha, s, beta = params
    sm, w = pt.summary, pt.weight
    x, T = sm.x, sm.T
    per_x = pt.x_weight
    with np.errstate(all="ignore"):
        value = (_dot(per_x, special.gammaln(r + pt.x_values))
                 + w.sum() * (r * np.log(alpha) + s * np.log(beta) - special.gammaln(r)))
        log_a0 = _log_a0_of(_a0_term(params, *pt.pairs_t_x)[pt.pair_t_x_of],
                            _a0_term(params, *pt.pairs_T)[pt.pair_T_of])
        gone = np.log(s) - np.log(r + s + x) + log_a0
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        value += _dot(w, np.logaddexp(alive, gone))
    return -float(value) if np.isfinite(value) else 1e300


def fit_pareto(sm: Summary) -> Fit:
    pt = patterns(sm)
    return _fit(lambda lp: pareto_negative_ll(lp, pt), ("r", "alpha", "s", "beta"),
                customers=len(sm))


# --- Gamma-Gamma ---------------------------------------------------------------------

def gamma_gamma_log_likelihood(params: Array, x: Array, m: Array) -> Array:
    p, q, v = params
    px = p * x
    return np.asarray(special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
                      + q * np.log(v) + (px - 1) * np.log(m) + px * np.log(x)
                      - (px + q) * np.log(x * m + v), dtype=np.float64)


def gamma_gamma_objective(log_params: Array, x: Array, m: Array, x_values: Array,
                          per_x: Array) -> tuple[float, Array]:
    """The negative log-likelihood of the repeat buyers (x > 0, m > 0) and its gradient
    over the log-parameters; `x_values`, `per_x`: the distinct x and their buyers."""
    p, q, v = params = np.exp(log_params)
    n = len(x)
    log_m, log_x = np.log(m), np.log(x)
    px = p * x_values
    log_xm_v = np.log(x * m + v)
    px_each = p * x
    value = (_dot(per_x, special.gammaln(px + q) - special.gammaln(px))
             + n * (q * np.log(v) - special.gammaln(q))
             + _dot(px_each, log_m + log_x - log_xm_v) - log_m.sum()
             - q * log_xm_v.sum())
    psi_pxq = special.digamma(px + q)
    grad = np.array([
        _dot(per_x, x_values * (psi_pxq - special.digamma(px)))
        + _dot(x, log_m + log_x - log_xm_v),
        _dot(per_x, psi_pxq) + n * (np.log(v) - special.digamma(q)) - log_xm_v.sum(),
        n * q / v - _dot(px_each + q, 1.0 / (x * m + v))])
    return -float(value), -grad * params


def fit_gamma_gamma(s: Summary) -> Fit:
    """Fitted on the repeat buyers (x > 0 with a mean spend above 0)."""
    if s.m is None:
        raise ValueError("Gamma-Gamma needs the mean spend of the repeat purchases")
    keep = (s.x > 0) & (s.m > 0)
    x, m = s.x[keep], s.m[keep]
    (x_values,), _, per_x = _distinct(x)

    def objective(log_params: Array) -> tuple[float, Array]:
        return gamma_gamma_objective(log_params, x, m, x_values, per_x)

    return _fit(lambda lp: objective(lp)[0], ("p", "q", "v"), objective=objective,
                customers=len(x))


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
