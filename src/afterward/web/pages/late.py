"""The delay notice on the tracking page: shown exactly when tracking/lateness.py says
the parcel is late, the verdict that recorded `shipment.delayed` and that the delay
email carries, with the promised day and the new window as days in the store's time
zone (the promise is a day there), so the page and the email name the same days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from afterward.tracking import lateness
from afterward.web.pages.language import Speaker
from afterward.web.pages.words import N_

HEADLINE = N_("Your parcel is running late")
PROMISE = N_("We promised delivery by %(date)s and it will arrive later. We are sorry.")
NEW_WINDOW = N_("New estimated delivery: %(window)s")


@dataclass(frozen=True)
class DelayNotice:
    headline: str
    promise: str
    window: str


def notice(verdict: lateness.Lateness, say: Speaker) -> DelayNotice | None:
    if not verdict.late or verdict.promised_day is None or verdict.window is None:
        return None
    window, promised = verdict.window, verdict.promised_day
    return DelayNotice(
        headline=say.gettext(HEADLINE),
        promise=say.gettext(PROMISE, date=say.days(promised, promised)),
        window=say.gettext(NEW_WINDOW, window=say.days(window.first, window.last)))


def verdict_for(parcel: lateness.Judged, store_timezone: str | None,
                now: datetime) -> lateness.Lateness:
    return lateness.of_parcel(parcel, zone=lateness.store_zone(store_timezone), now=now)
