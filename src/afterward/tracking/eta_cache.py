"""A per-process cache of fitted delivery-date models, one per store.

Fitting reads up to eta_store.HISTORY_LIMIT delivered parcels (about 0.75 s for
20,000), so it happens here and never per event: a store's model is refitted when it
is older than `max_age` or after `refit_after` deliveries this process has seen for
the store (`note_delivery`). Thread-safe, and never blocks for long: while one
thread refits a store, the others keep using the previous model; only the very first
fit of a store makes concurrent callers for that store wait (for that one fit).

Each process keeps its own models; several processes fit independently, which is fine:
the model is a pure function of the store's history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from afterward.commerce.models import Store
from afterward.tracking import eta, eta_store

MAX_AGE = timedelta(hours=6)
REFIT_AFTER = 200  # deliveries seen since the last fit


MEMO_ROUTES = 10_000  # routes whose transit estimate a model remembers


@dataclass(frozen=True)
class MemoModel(eta.EtaModel):
    """The fitted model remembering each route's blended transit estimate (the blend down
    the fallback chain is most of an estimate's cost, and a model never changes)."""

    memo: dict[eta.Route, eta.Estimate] = field(default_factory=dict, compare=False,
                                                repr=False)

    def transit_for(self, route: eta.Route) -> eta.Estimate:
        found = self.memo.get(route)
        if found is None:
            found = super().transit_for(route)
            if len(self.memo) < MEMO_ROUTES:
                self.memo[route] = found
        return found


@dataclass(frozen=True)
class Fitted:
    model: eta.EtaModel
    clock: eta.Clock
    fitted_at: datetime  # the `now` the model was fitted as of


Fit = Callable[[Session, int, datetime], Fitted]


def fit_store(session: Session, store_id: int, now: datetime) -> Fitted:
    """The store's model in its own time zone, from its delivered history."""
    store = session.get(Store, store_id)
    timezone = store.timezone if store is not None else "UTC"
    model = eta_store.fit_for_store(session, store_id=store_id, as_of=now, timezone=timezone)
    return Fitted(MemoModel(model.transit, model.config), model.config.clock, now)


Key = tuple[str, int]  # (database URL, store id): one process may serve several databases


def key_for(session: Session, store_id: int) -> Key:
    return (session.get_bind().engine.url.render_as_string(hide_password=True), store_id)


class EtaCache:
    def __init__(self, *, max_age: timedelta = MAX_AGE, refit_after: int = REFIT_AFTER,
                 fit: Fit = fit_store) -> None:
        self.max_age = max_age
        self.refit_after = refit_after
        self._fit = fit
        self._lock = threading.Lock()  # guards the dicts below; never held while fitting
        self._entries: dict[Key, Fitted] = {}
        self._deliveries: dict[Key, int] = {}
        self._fitting: dict[Key, threading.Lock] = {}
        self.fits = 0  # how many fits this cache ran (for tests and figures)

    def get(self, session: Session, store_id: int, now: datetime) -> Fitted:
        """The store's model, fitted on the caller's session when missing or stale."""
        key = key_for(session, store_id)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and not self._stale(key, entry, now):
                return entry
            fitting = self._fitting.setdefault(key, threading.Lock())
        # A stale model is still good while someone else refits: do not wait for it.
        if not fitting.acquire(blocking=entry is None):
            assert entry is not None
            return entry
        try:
            with self._lock:  # another thread may have fitted while we waited
                current = self._entries.get(key)
                if current is not None and current is not entry \
                        and not self._stale(key, current, now):
                    return current
                seen = self._deliveries.get(key, 0)
            fitted = self._fit(session, store_id, now)
            with self._lock:
                self.fits += 1
                self._entries[key] = fitted
                # Deliveries noted while we fitted may be missing from the fit: keep them.
                self._deliveries[key] = self._deliveries.get(key, 0) - seen
            return fitted
        finally:
            fitting.release()

    def note_delivery(self, session: Session, store_id: int, count: int = 1) -> None:
        key = key_for(session, store_id)
        with self._lock:
            self._deliveries[key] = self._deliveries.get(key, 0) + count

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._deliveries.clear()

    def _stale(self, key: Key, entry: Fitted, now: datetime) -> bool:
        return (now - entry.fitted_at >= self.max_age or now < entry.fitted_at - self.max_age
                or self._deliveries.get(key, 0) >= self.refit_after)


CACHE = EtaCache()  # the process's cache; tests clear it
