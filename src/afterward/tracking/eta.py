"""Delivery-date promise: a window (earliest, likely, latest) for a parcel, learned from
the store's own delivered history. Pure: no database, no I/O.

Time is counted in **business days** (Monday-Friday in the store's time zone; public
holidays are not known): carriers quote and run to that clock, so a parcel handed over
on Friday is not "three days out" on Monday, and "no scan for 3 days" means working
days. `Clock(working_days=6)` counts Saturdays, `7` calendar days. On Olist the three
score within 0.05 days of MAE of each other; 5 gave the narrowest window for the same
share inside (validation split, see insights/eta_eval.py).

Transit time is an empirical quantile function (a grid of 101 probabilities) per level
of a fallback chain, most specific first: lane (carrier, service, origin -> destination)
-> carrier+service -> carrier+destination -> carrier -> store -> PRIOR_TRANSIT. Levels the
route cannot name (no service, no regions) are skipped. Each level is shrunk toward the
next, quantile by quantile: q = w q_level + (1 - w) q_next, w = n / (n + k).

The window is the narrowest interval holding `coverage` of the transit distribution
(transit is right-skewed, so it starts lower than a central interval); likely is the
median, which minimises the mean absolute error. After each event only what is left
counts: having travelled e units undelivered, the window is e + quantiles of
(T - e | T > e). Past the 90th percentile (overdue) the excess over that point is
reused from now on, at least one unit wide, so the window keeps moving forward.

Late (the window ends after the promised day) is decided in lateness.py. Stalled: no
scan for longer than the carrier's 95th percentile gap between scans (store-wide, then
STALL_FALLBACK, when there are too few; never under STALL_FLOOR).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

# The clock and quantile functions live in eta_math; callers import them from here.
from afterward.tracking.eta_math import GRID as GRID
from afterward.tracking.eta_math import Clock, Quantiles, aware

STALL_FALLBACK = 3.0  # units without a scan before a parcel counts as stalled, by default
STALL_FLOOR = 1.0  # never stalled sooner, however often a carrier scans

LANE, CARRIER_SERVICE, CARRIER_DESTINATION, CARRIER, STORE, PRIOR = (
    "lane", "carrier_service", "carrier_destination", "carrier", "store", "prior")
TRANSIT_LEVELS = (LANE, CARRIER_SERVICE, CARRIER_DESTINATION, CARRIER, STORE)
OUT_FOR_DELIVERY, DELIVERED = "out_for_delivery", "delivered"

Key = tuple[str | None, ...]


# A domestic parcel service when a store has no history yet: half the parcels in
# 3 business days, 90% within 1 to 7, none faster than half a day. Weighs like
# `shrinkage` deliveries against the store's own.
PRIOR_TRANSIT = Quantiles.from_anchors({0: 0.5, 0.05: 1.0, 0.25: 2.0, 0.5: 3.0, 0.75: 4.0,
                                        0.95: 7.0, 1: 12.0})


@dataclass(frozen=True)
class Group:
    quantiles: Quantiles
    n: int
    n_effective: float  # Kish: (sum w)^2 / sum w^2; equals n when unweighted


@dataclass(frozen=True)
class Estimate:
    quantiles: Quantiles
    level: str  # the most specific level with data, or PRIOR
    n: int  # deliveries at that level


@dataclass(frozen=True)
class Hierarchy:
    """Duration distributions per level key, shrunk down a fallback chain."""

    levels: tuple[str, ...]
    groups: Mapping[tuple[str, Key], Group]
    prior: Quantiles
    shrinkage: float

    @classmethod
    def fit(cls, samples: Iterable[tuple[Sequence[Key | None], float, float]], *,
            levels: Sequence[str], prior: Quantiles, shrinkage: float) -> Hierarchy:
        """samples: (one key per level or None where the level does not apply,
        duration, weight)."""
        pooled: dict[tuple[str, Key], list[tuple[float, float]]] = defaultdict(list)
        for keys, duration, weight in samples:
            for level, key in zip(levels, keys, strict=True):
                if key is not None:
                    pooled[(level, key)].append((duration, weight))
        groups = {name: Group(Quantiles.from_weighted(pairs), len(pairs),
                              sum(w for _, w in pairs) ** 2 / sum(w * w for _, w in pairs))
                  for name, pairs in pooled.items()}
        return cls(tuple(levels), groups, prior, shrinkage)

    def estimate(self, keys: Sequence[Key | None]) -> Estimate:
        found = [(level, self.groups[(level, key)])
                 for level, key in zip(self.levels, keys, strict=True)
                 if key is not None and (level, key) in self.groups]
        result = self.prior
        for _, group in reversed(found):
            result = group.quantiles.blend(result, group.n_effective
                                           / (group.n_effective + self.shrinkage))
        if not found:
            return Estimate(result, PRIOR, 0)
        return Estimate(result, found[0][0], found[0][1].n)


@dataclass(frozen=True)
class Route:
    carrier: str | None = None
    service: str | None = None
    origin: str | None = None  # region the parcel leaves from (state, province, country)
    destination: str | None = None

    def keys(self) -> tuple[Key | None, ...]:
        """One key per TRANSIT_LEVELS entry; None where the route cannot name it."""
        c, s, o, d = self.carrier, self.service, self.origin, self.destination
        return ((c, s, o, d) if o and d else None,
                (c, s) if c and s else None,
                (c, d) if c and d else None,
                (c,) if c else None,
                ())


@dataclass(frozen=True)
class Delivery:
    route: Route
    shipped_at: datetime
    delivered_at: datetime


@dataclass(frozen=True)
class EtaConfig:
    clock: Clock = field(default_factory=Clock)
    coverage: float = 0.85  # share of deliveries the window means to hold
    likely: float = 0.5  # the median: the smallest mean absolute error
    shrinkage: float = 10.0  # k in n / (n + k)
    half_life_days: float | None = None  # older deliveries count less; None: all alike
    prior: Quantiles = PRIOR_TRANSIT


@dataclass(frozen=True)
class EtaModel:
    transit: Hierarchy
    config: EtaConfig

    def transit_for(self, route: Route) -> Estimate:
        return self.transit.estimate(route.keys())


@dataclass(frozen=True)
class Window:
    earliest: datetime
    likely: datetime
    latest: datetime
    level: str
    n: int

    def __post_init__(self) -> None:
        for moment in (self.earliest, self.likely, self.latest):
            aware(moment)
        if not self.earliest <= self.likely <= self.latest:
            raise ValueError("a window needs earliest <= likely <= latest")


def recency_weight(age_days: float, half_life_days: float | None) -> float:
    if half_life_days is None:
        return 1.0
    return 0.5 ** (max(age_days, 0.0) / half_life_days)


def fit(deliveries: Iterable[Delivery], *, as_of: datetime,
        config: EtaConfig | None = None) -> EtaModel:
    """Learn transit times from delivered parcels; ones that arrive before they left
    are ignored."""
    config = config or EtaConfig()
    clock = config.clock
    samples = [(d.route.keys(), clock.between(d.shipped_at, d.delivered_at),
                recency_weight((as_of - d.delivered_at) / timedelta(1), config.half_life_days))
               for d in deliveries if d.delivered_at >= d.shipped_at]
    return EtaModel(Hierarchy.fit(samples, levels=TRANSIT_LEVELS, prior=config.prior,
                                  shrinkage=config.shrinkage), config)


def window_from(estimate: Estimate, *, start: datetime, now: datetime, clock: Clock,
                coverage: float, likely: float = 0.5) -> Window:
    """The window for a duration that began at `start` and has not ended by `now`:
    the narrowest interval holding `coverage` of the whole duration, applied to what
    remains of it (fixed probabilities, so the window only moves forward in time)."""
    lo, hi = estimate.quantiles.shortest(coverage)
    elapsed = clock.between(start, now) if now > start else 0.0
    floor = max(start, now)
    earliest, middle, latest = (
        max(clock.advance(start, estimate.quantiles.offset(p, elapsed)), floor)
        for p in (lo, min(max(likely, lo), hi), hi))
    middle = max(middle, earliest)
    return Window(earliest, middle, max(latest, middle), estimate.level, estimate.n)


def estimate(model: EtaModel, route: Route, *, shipped_at: datetime, now: datetime,
             status: str | None = None, last_event_at: datetime | None = None,
             delivered_at: datetime | None = None) -> Window:
    """The window after the latest event: delivered -> the delivery itself; out for
    delivery today -> the rest of today; otherwise transit given the time elapsed."""
    clock = model.config.clock
    if status == DELIVERED and delivered_at is not None:
        return Window(delivered_at, delivered_at, delivered_at, DELIVERED, 0)
    if (status == OUT_FOR_DELIVERY and last_event_at is not None
            and clock.local_date(last_event_at) == clock.local_date(now)):
        begin = max(shipped_at, last_event_at, now)
        end = max(clock.end_of_day(now), begin)
        return Window(begin, begin + (end - begin) / 2, end, OUT_FOR_DELIVERY, 0)
    return window_from(model.transit_for(route), start=shipped_at, now=now, clock=clock,
                       coverage=model.config.coverage, likely=model.config.likely)


def estimate_from_order(model: EtaModel, route: Route, handover: Estimate, *,
                        ordered_at: datetime, now: datetime) -> Window:
    """Before hand-over: the store's time to hand the parcel over plus transit."""
    transit = model.transit_for(route)
    total = Estimate(handover.quantiles.plus(transit.quantiles), transit.level, transit.n)
    return window_from(total, start=ordered_at, now=now, clock=model.config.clock,
                       coverage=model.config.coverage, likely=model.config.likely)


def promise_for(window: Window, clock: Clock) -> datetime:
    """What to promise the shopper: the end of the window's latest day."""
    return clock.end_of_day(window.latest - timedelta(microseconds=1))


@dataclass(frozen=True)
class ScanGaps:
    """How long each carrier normally goes between two scans of a moving parcel."""

    allowed: Mapping[str, float]  # carrier -> units
    store_wide: float | None = None
    fallback: float = STALL_FALLBACK

    def allowance(self, carrier: str | None) -> float:
        if carrier is not None and carrier in self.allowed:
            return self.allowed[carrier]
        return self.store_wide if self.store_wide is not None else self.fallback


def learn_scan_gaps(timelines: Iterable[tuple[str | None, Sequence[datetime]]], *,
                    clock: Clock, quantile: float = 0.95, min_gaps: int = 20) -> ScanGaps:
    """timelines: (carrier, scan times) per parcel. A carrier needs `min_gaps` gaps
    before its own quantile is trusted; none allows less than STALL_FLOOR."""
    gaps: dict[str | None, list[float]] = defaultdict(list)
    for carrier, scans in timelines:
        ordered = sorted(scans)
        gaps[carrier].extend(clock.between(a, b) for a, b in pairwise(ordered))
    everything = [gap for values in gaps.values() for gap in values]
    allowed = {carrier: max(Quantiles.from_values(values).at(quantile), STALL_FLOOR)
               for carrier, values in gaps.items()
               if carrier is not None and len(values) >= min_gaps}
    store_wide = (max(Quantiles.from_values(everything).at(quantile), STALL_FLOOR)
                  if len(everything) >= min_gaps else None)
    return ScanGaps(allowed, store_wide)


def is_stalled(last_event_at: datetime, now: datetime, *, allowed: float = STALL_FALLBACK,
               clock: Clock | None = None) -> bool:
    """No scan for longer than `allowed` units of `clock` (business days by default)."""
    return (clock or Clock()).between(last_event_at, now) > allowed
