"""Parcels: which carrier takes an order where, its tracking number (with the
carrier's real check digit) and the scans it collects on the way. Transit times
are log-normal per lane; the Brazil lane is fitted to Olist's delivered orders."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np

from afterward.tracking.statuses import Status

WAREHOUSE = "Erfurt, DE"
MAX_TRANSIT_DAYS = 35.0  # longer, and a real carrier feed would have gone quiet (expired)
US_WAREHOUSE = "Reno, NV, US"
WAREHOUSE_TZ = ZoneInfo("Europe/Berlin")
CARRIER_NAMES = {"dhl": "DHL", "dpd": "DPD", "ups": "UPS", "usps": "USPS", "postnl": "PostNL",
                 "royal-mail": "Royal Mail", "colissimo": "Colissimo"}
# The integration that would report each carrier's scans, and its words for a status.
PROVIDER = {"ups": "easypost", "usps": "easypost"}
_AFTERSHIP = {Status.info_received: "InfoReceived", Status.in_transit: "InTransit",
              Status.out_for_delivery: "OutForDelivery", Status.failed_attempt: "AttemptFail",
              Status.available_for_pickup: "AvailableForPickup", Status.delivered: "Delivered",
              Status.exception: "Exception", Status.returned_to_sender: "Exception"}
_EASYPOST = {Status.info_received: "pre_transit", Status.in_transit: "in_transit",
             Status.out_for_delivery: "out_for_delivery", Status.failed_attempt: "failure",
             Status.available_for_pickup: "available_for_pickup", Status.delivered: "delivered",
             Status.exception: "failure", Status.returned_to_sender: "return_to_sender"}


@dataclass(frozen=True)
class Lane:
    carriers: tuple[tuple[str, float], ...]
    median_days: float  # pickup to delivery
    sigma: float
    hubs: tuple[str, ...]  # scans between pickup and the delivery depot
    customs: bool = False
    origin: str = WAREHOUSE
    service: str = "Standard"


LANES: dict[str, Lane] = {
    "DE": Lane((("dhl", 0.7), ("dpd", 0.2), ("ups", 0.1)), 1.3, 0.35, ("Leipzig, DE",)),
    "AT": Lane((("dhl", 0.5), ("dpd", 0.5)), 2.6, 0.35, ("Leipzig, DE", "Wien, AT")),
    "NL": Lane((("postnl", 0.7), ("dhl", 0.3)), 2.4, 0.35, ("Leipzig, DE", "Nieuwegein, NL")),
    "BE": Lane((("postnl", 0.6), ("dpd", 0.4)), 2.6, 0.35, ("Leipzig, DE", "Bruxelles, BE")),
    "FR": Lane((("colissimo", 0.6), ("dpd", 0.25), ("ups", 0.15)), 3.2, 0.35,
               ("Leipzig, DE", "Chilly-Mazarin, FR")),
    "CH": Lane((("dhl", 0.5), ("ups", 0.5)), 3.5, 0.4, ("Leipzig, DE", "Basel, CH"), True),
    "GB": Lane((("royal-mail", 0.7), ("dpd", 0.2), ("ups", 0.1)), 4.0, 0.4,
               ("Leipzig, DE", "Coventry, GB"), True),
    "US": Lane((("ups", 0.5), ("usps", 0.5)), 3.4, 0.35,
               ("Sparks, NV, US", "Salt Lake City, UT, US"), origin=US_WAREHOUSE,
               service="Ground"),
    # Olist's deliveries (carrier hand-over to customer): log-normal, median 6.6 days, sigma 0.87.
    "BR": Lane((("dhl", 1.0),), 6.6, 0.87, ("Leipzig, DE", "Campinas, BR"), True,
               service="Express Worldwide"),
}


@dataclass(frozen=True)
class Scan:
    at: datetime
    status: Status
    message: str
    location: str
    signed_by: str | None = None


@dataclass(frozen=True)
class Parcel:
    carrier: str
    service: str
    tracking_number: str
    scans: tuple[Scan, ...]  # full journey, may run past "now"; the caller cuts it


def provider_of(carrier: str) -> str:
    return PROVIDER.get(carrier, "aftership")


def provider_status(carrier: str, status: Status) -> str:
    table = _EASYPOST if provider_of(carrier) == "easypost" else _AFTERSHIP
    return table.get(status, status.value)


# ---------------------------------------------------------------- tracking numbers

def _digits(rng: np.random.Generator, n: int) -> str:
    return f"{int(rng.integers(0, 10**n)):0{n}d}"  # n <= 18


def ups_check_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else (ord(ch) - 3) % 10
        total += value * 2 if i % 2 else value
    return (10 - total % 10) % 10


def mod10_check_digit(body: str) -> int:
    """USPS / GS1: weights 3 and 1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def s10_check_digit(serial: str) -> int:
    """UPU S10 (Royal Mail, postal items): weights 8 6 4 2 3 5 9 7, mod 11."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def tracking_number(carrier: str, country: str, rng: np.random.Generator) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if carrier == "ups":  # 1Z, shipper number, service code, package number, check digit
        shipper = "".join(letters[i] for i in rng.integers(0, len(letters), 2)) + "4E9F"
        body = shipper + ("03" if country == "US" else "68") + _digits(rng, 7)
        return f"1Z{body}{ups_check_digit(body)}"
    if carrier == "usps":
        body = "9400111" + _digits(rng, 14)
        return body + str(mod10_check_digit(body))
    if carrier == "royal-mail":
        serial = _digits(rng, 8)
        prefix = "".join(letters[i] for i in rng.integers(0, len(letters), 2))
        return f"{prefix}{serial}{s10_check_digit(serial)}GB"
    if carrier == "postnl":
        return "3SNWG" + "".join(letters[i] for i in rng.integers(0, len(letters), 2)) + (
            _digits(rng, 8))
    if carrier == "dpd":
        return "0" + _digits(rng, 13)
    if carrier == "colissimo":
        return "6A" + _digits(rng, 11)
    if country == "BR":  # DHL Express waybill: 9 digits and a mod-7 check digit
        body = str(int(rng.integers(100_000_000, 999_999_999)))
        return body + str(int(body) % 7)
    body = "00340434" + _digits(rng, 11)  # DHL Paket: an SSCC with a GS1 check digit
    return body + str(mod10_check_digit(body))


# ---------------------------------------------------------------- journeys

@cache
def zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _at(day: date, hour: float, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=hour)
    return local.astimezone(UTC)


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _delivery_day(day: date) -> date:
    return day + timedelta(days=1) if day.weekday() == 6 else day


def handover(placed: datetime, zone: ZoneInfo, u: np.ndarray) -> tuple[datetime, datetime]:
    """(label created, picked up): same working day when ordered before 13:00, else the next."""
    local = placed.astimezone(zone)
    day = local.date()
    if day.weekday() >= 5 or local.hour >= 13:
        day = _next_business_day(day)
    if u[0] < 0.15:  # waiting for stock
        day = _next_business_day(day)
    label = _at(day, 9.5 + 6.0 * u[1], zone)
    if day == local.date():
        label = max(label, placed + timedelta(minutes=20 + 60 * u[1]))
    pickup = _at(day, 17.0 + 1.5 * u[2], zone)
    return label, max(pickup, label + timedelta(minutes=30))


def journey(*, placed: datetime, country: str, city: str, zone: ZoneInfo, signer: str,
            u: np.ndarray, z: float, rng: np.random.Generator) -> Parcel:
    """u: 20 uniforms and z: a standard normal drive the journey; rng the number."""
    lane = LANES[country]
    carrier = _choose(lane.carriers, u[3])
    origin_zone = zone_named("America/Los_Angeles") if lane.origin == US_WAREHOUSE else WAREHOUSE_TZ
    label, pickup = handover(placed, origin_zone, u)
    transit = min(lane.median_days * math.exp(lane.sigma * z), MAX_TRANSIT_DAYS)
    arrival_day = _delivery_day((pickup + timedelta(days=max(transit, 0.4))).astimezone(zone)
                                .date())
    out_for_delivery = _at(arrival_day, 7.0 + 2.5 * u[4], zone)
    name = CARRIER_NAMES[carrier]
    destination = f"{city}, {country}"
    scans = [Scan(label, Status.info_received, "Shipment information received", lane.origin),
             Scan(pickup, Status.in_transit, f"Picked up by {name}", lane.origin)]
    stops = [*lane.hubs, destination]
    span = (out_for_delivery - pickup).total_seconds()
    for i, hub in enumerate(stops):
        share = (i + 0.5 + 0.4 * (u[16 + i % 4] - 0.5)) / (len(stops) + 0.2)
        when = pickup + timedelta(seconds=span * share)
        if hub == destination:
            scans.append(Scan(when, Status.in_transit, "Arrived at delivery depot", hub))
        elif lane.customs and i == len(lane.hubs) - 1:
            scans.append(Scan(when, Status.in_transit, "Arrived in destination country", hub))
            scans.append(Scan(when + timedelta(hours=2), Status.in_transit,
                              "Cleared customs", hub))
        else:
            scans.append(Scan(when, Status.in_transit, "Arrived at sort facility", hub))
            scans.append(Scan(when + timedelta(hours=1.5), Status.in_transit,
                              "Departed sort facility", hub))
    service = f"{name} {lane.service}"
    number = tracking_number(carrier, country, rng)
    scans = _with_trouble(sorted(scans, key=lambda s: s.at), u, destination, lane.customs)
    if scans[-1].status is Status.returned_to_sender:
        return Parcel(carrier, service, number, tuple(scans))
    if out_for_delivery < scans[-1].at + timedelta(hours=1):
        out_for_delivery = _morning_after(scans[-1].at + timedelta(hours=1), zone, u[4])
    delivered_at = out_for_delivery + timedelta(hours=1.0 + 8.0 * u[5])
    scans.append(Scan(out_for_delivery, Status.out_for_delivery, "Out for delivery", destination))
    scans.extend(_last_mile(delivered_at, destination, city, zone, u, signer))
    return Parcel(carrier, service, number, tuple(scans))


def _morning_after(moment: datetime, zone: ZoneInfo, u: float) -> datetime:
    """The first delivery round (07:00-09:30 local) after a moment."""
    day = moment.astimezone(zone).date()
    while True:
        start = _at(_delivery_day(day), 7.0 + 2.5 * u, zone)
        if start > moment:
            return start
        day += timedelta(days=1)


def _choose(options: tuple[tuple[str, float], ...], u: float) -> str:
    total = 0.0
    for name, weight in options:
        total += weight
        if u < total:
            return name
    return options[-1][0]


def _with_trouble(scans: list[Scan], u: np.ndarray, destination: str,
                  customs: bool) -> list[Scan]:
    """About 2.5% of parcels stop on the way: a delay, a customs hold, or (rarely)
    an unknown address that sends them back."""
    if u[10] >= 0.025:
        return scans
    cut = max(2, int(len(scans) * 0.6))
    stopped_at = scans[cut - 1]
    when = stopped_at.at + timedelta(hours=1 + 3 * u[11])
    if u[12] < 0.12:
        back = when + timedelta(days=5 + 4 * u[13])
        return [*scans[:cut],
                Scan(when, Status.exception, "Address unknown: returning to sender", destination),
                Scan(back, Status.returned_to_sender, "Returned to sender", WAREHOUSE)]
    reason = ("Held in customs: additional information required" if customs and u[12] < 0.6
              else ("Delayed: address incomplete, clarifying with recipient" if u[12] < 0.75
                    else "Delayed due to high parcel volumes"))
    delay = timedelta(days=1 + 2.5 * u[13])
    trouble = Scan(when, Status.exception, reason, stopped_at.location)
    resumed = Scan(when + delay * 0.5, Status.in_transit, "Shipment back on track",
                   stopped_at.location)
    later = [Scan(s.at + delay, s.status, s.message, s.location) for s in scans[cut:]]
    return [*scans[:cut], trouble, resumed, *later]


def _last_mile(delivered_at: datetime, destination: str, city: str, zone: ZoneInfo,
               u: np.ndarray, signer: str) -> list[Scan]:
    """Delivered, or (about 4%) a failed attempt first: redelivered the next working
    day or left at a parcel shop for pickup."""
    if u[7] >= 0.04:
        return [Scan(delivered_at, Status.delivered, _delivered_message(u[8]), destination,
                     signer if u[8] < 0.35 else None)]
    attempt = delivered_at
    failed = Scan(attempt, Status.failed_attempt,
                  "Delivery attempted: recipient not at home, notification card left",
                  destination)
    if u[9] < 0.55:
        day = _next_business_day(attempt.astimezone(zone).date())
        again = _at(day, 7.5 + 1.5 * u[14], zone)
        done = again + timedelta(hours=1 + 6 * u[8])
        return [failed, Scan(again, Status.out_for_delivery, "Out for delivery", destination),
                Scan(done, Status.delivered, "Delivered", destination, signer)]
    shop = f"Parcel shop, {city}"
    ready = attempt + timedelta(hours=2 + 2 * u[14])
    picked_day = (ready + timedelta(days=1 + int(3 * u[8]))).astimezone(zone).date()
    picked = _at(picked_day, 10.0 + 8.0 * u[9], zone)
    return [failed,
            Scan(ready, Status.available_for_pickup, "Available for pickup at parcel shop", shop),
            Scan(picked, Status.delivered, "Picked up by recipient at parcel shop", shop, signer)]


def _delivered_message(u: float) -> str:
    if u < 0.35:
        return "Delivered, signed for by recipient"
    if u < 0.6:
        return "Delivered to the front door"
    if u < 0.8:
        return "Delivered to neighbour"
    return "Delivered to mailbox"
