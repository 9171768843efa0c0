"""The arithmetic under the delivery-date model (eta.py): a clock that counts working
days in a time zone, and distributions kept as quantile functions. Pure."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise

GRID = 100  # quantile functions are stored at p = 0, 1/GRID, ..., 1
TAIL = 0.9  # beyond this quantile of elapsed time a parcel counts as overdue
OVERDUE_SPREAD = 1.0  # units: an overdue parcel's window is at least this wide
CONVOLUTION_POINTS = 50  # per distribution when adding two durations

_MONDAY = date(1970, 1, 5)


def aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware (UTC) datetime")
    return moment


@dataclass(frozen=True)
class Clock:
    """Turns moments into a count of working days and back, in one time zone."""

    working_days: int = 5  # from Monday: 5 = Mon-Fri, 6 = Mon-Sat, 7 = calendar days
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        if not 1 <= self.working_days <= 7:
            raise ValueError("working_days must be 1 to 7")

    def units(self, moment: datetime) -> float:
        local = aware(moment).astimezone(self.tz)
        days = (local.date() - _MONDAY).days
        fraction = (local - datetime.combine(local.date(), time(), local.tzinfo)) / timedelta(1)
        weeks, weekday = divmod(days, 7)
        per_week = self.working_days
        return weeks * per_week + (weekday + fraction if weekday < per_week else per_week)

    def moment(self, units: float) -> datetime:
        weeks, rest = divmod(units, float(self.working_days))
        day = int(weeks) * 7 + math.floor(rest)
        local = datetime.combine(_MONDAY + timedelta(days=day), time(), self.tz)
        return (local + timedelta(days=rest - math.floor(rest))).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> float:
        return self.units(end) - self.units(start)

    def advance(self, start: datetime, units: float) -> datetime:
        return self.moment(self.units(start) + units)

    def end_of_day(self, moment: datetime) -> datetime:
        local = aware(moment).astimezone(self.tz).date() + timedelta(days=1)
        return datetime.combine(local, time(), self.tz).astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return aware(moment).astimezone(self.tz).date()


@dataclass(frozen=True)
class Quantiles:
    """A distribution as its quantile function at p = i / GRID (nondecreasing)."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) != GRID + 1:
            raise ValueError(f"need {GRID + 1} values, got {len(self.values)}")
        if any(b < a for a, b in pairwise(self.values)):
            raise ValueError("quantiles must not decrease")

    @classmethod
    def from_values(cls, values: Iterable[float]) -> Quantiles:
        """Empirical quantiles: the i-th smallest of n at p = (i + 0.5) / n (Hazen),
        linear in between, flat beyond the extremes."""
        xs = sorted(values)
        if not xs:
            raise ValueError("no samples")
        n, top = len(xs), len(xs) - 1
        grid = []
        for i in range(GRID + 1):
            h = min(max(i / GRID * n - 0.5, 0.0), float(top))
            j = min(int(h), max(top - 1, 0))
            grid.append(xs[j] + (h - j) * (xs[min(j + 1, top)] - xs[j]))
        return cls(_rising(grid))

    @classmethod
    def from_weighted(cls, samples: Iterable[tuple[float, float]]) -> Quantiles:
        """(value, weight) pairs: each value sits at the middle of its share of the
        total weight; with equal weights the same as `from_values`."""
        pairs = sorted((v, w) for v, w in samples if w > 0)
        if not pairs:
            raise ValueError("no samples")
        total, seen, positions = sum(w for _, w in pairs), 0.0, []
        for _, weight in pairs:
            positions.append((seen + weight / 2) / total)
            seen += weight
        xs = [v for v, _ in pairs]
        return cls(_rising(_interpolate(i / GRID, positions, xs) for i in range(GRID + 1)))

    @classmethod
    def from_anchors(cls, anchors: Mapping[float, float]) -> Quantiles:
        """Linear between a few (probability: value) points, e.g. {0: 1, 0.5: 3, 1: 9}."""
        ps = sorted(anchors)
        if ps[0] != 0 or ps[-1] != 1:
            raise ValueError("anchors must include probabilities 0 and 1")
        return cls(tuple(_interpolate(i / GRID, ps, [anchors[p] for p in ps])
                         for i in range(GRID + 1)))

    def at(self, p: float) -> float:
        x = min(max(p, 0.0), 1.0) * GRID
        i = min(int(x), GRID - 1)
        return self.values[i] + (x - i) * (self.values[i + 1] - self.values[i])

    def cdf(self, x: float) -> float:
        """P(T <= x), the inverse of `at` (the largest p where a flat part is hit)."""
        v = self.values
        if x < v[0]:
            return 0.0
        if x >= v[-1]:
            return 1.0
        i = bisect_right(v, x) - 1
        return (i + (x - v[i]) / (v[i + 1] - v[i])) / GRID

    def blend(self, parent: Quantiles, weight: float) -> Quantiles:
        return Quantiles(_rising(weight * a + (1 - weight) * b
                                 for a, b in zip(self.values, parent.values, strict=True)))

    def plus(self, other: Quantiles) -> Quantiles:
        """The distribution of the sum of two independent durations."""
        mids = [(i + 0.5) / CONVOLUTION_POINTS for i in range(CONVOLUTION_POINTS)]
        mine, theirs = [self.at(p) for p in mids], [other.at(p) for p in mids]
        return Quantiles.from_values(a + b for a in mine for b in theirs)

    def shortest(self, mass: float) -> tuple[float, float]:
        """The probabilities (lo, lo + mass) of the narrowest interval holding `mass`:
        for a right-skewed transit time it starts lower than the central one."""
        return _shortest(self, mass)

    def _shortest(self, mass: float) -> tuple[float, float]:
        steps = round((1 - mass) * GRID)
        widths = [self.at(i / GRID + mass) - self.at(i / GRID) for i in range(steps + 1)]
        lo = widths.index(min(widths)) / GRID
        return lo, min(lo + mass, 1.0)

    def offset(self, p: float, elapsed: float) -> float:
        """Quantile p of the total duration given that `elapsed` has passed without the
        end: elapsed + quantile p of (T - elapsed | T > elapsed), overdue-aware."""
        elapsed = max(elapsed, 0.0)
        pivot = self.at(TAIL)
        if elapsed < pivot:
            done = self.cdf(elapsed)
            return max(self.at(done + p * (1 - done)), elapsed)
        done = self.cdf(pivot)
        return elapsed + max(self.at(done + p * (1 - done)) - pivot, p * OVERDUE_SPREAD)


@lru_cache(maxsize=4096)
def _shortest(quantiles: Quantiles, mass: float) -> tuple[float, float]:
    """Quantiles.shortest, remembered: a store's model asks it for every parcel event."""
    return quantiles._shortest(mass)


def _rising(values: Iterable[float]) -> tuple[float, ...]:
    """Rounding must never make a quantile function decrease by a last bit."""
    out: list[float] = []
    for value in values:
        out.append(max(value, out[-1]) if out else value)
    return tuple(out)


def _interpolate(p: float, positions: Sequence[float], xs: Sequence[float]) -> float:
    if p <= positions[0]:
        return xs[0]
    if p >= positions[-1]:
        return xs[-1]
    j = bisect_right(positions, p)
    share = (p - positions[j - 1]) / (positions[j] - positions[j - 1])
    return xs[j - 1] + share * (xs[j] - xs[j - 1])
