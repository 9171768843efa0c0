"""What a shopper reads for each shipment status, and the plainer reason behind
an exception or a failed attempt ("held at customs", "address problem"), found
from the provider's substatus code or, failing that, the carrier's message.

Strings are marked with N_ so the catalogue extractor finds them; they are
translated where they are shown."""

from __future__ import annotations

import re

from afterward.tracking.statuses import STAGE, Status


def N_(message: str) -> str:
    return message


STAGES = (N_("Ordered"), N_("Label created"), N_("In transit"), N_("Out for delivery"),
          N_("Delivered"))

# The headline for each normalized status.
LABELS: dict[str, str] = {
    Status.pending: N_("Order received"),
    Status.info_received: N_("Label created"),
    Status.in_transit: N_("In transit"),
    Status.out_for_delivery: N_("Out for delivery"),
    Status.available_for_pickup: N_("Available for pickup"),
    Status.failed_attempt: N_("Delivery attempted"),
    Status.delivered: N_("Delivered"),
    Status.exception: N_("Delivery problem"),
    Status.returned_to_sender: N_("Returned to sender"),
    Status.cancelled: N_("Cancelled"),
    Status.expired: N_("No recent updates"),
}

# One sentence under the headline: what it means and what happens next.
EXPLANATIONS: dict[str, str] = {
    Status.pending: N_("We have your order and are preparing your parcel."),
    Status.info_received: N_("The carrier has your parcel's details and will collect it soon."),
    Status.in_transit: N_("Your parcel is on its way."),
    Status.out_for_delivery: N_("Your parcel is with the driver and should arrive today."),
    Status.available_for_pickup: N_("Your parcel is waiting for you at a pickup point."),
    Status.failed_attempt: N_("The carrier tried to deliver your parcel but could not. "
                              "They will try again or tell you where to collect it."),
    Status.delivered: N_("Your parcel has been delivered."),
    Status.exception: N_("Something is holding up your parcel. If it does not move soon, "
                         "contact us and we will sort it out."),
    Status.returned_to_sender: N_("Your parcel is on its way back to us. Contact us and we "
                                  "will sort it out."),
    Status.cancelled: N_("This shipment was cancelled."),
    Status.expired: N_("The carrier has not reported on this parcel for a while. Contact us "
                       "if it has not arrived."),
}

# A plainer reason for a problem or a detail worth saying.
REASONS: dict[str, str] = {
    "attempted": N_("Delivery attempted"),
    "pickup": N_("Available for pickup"),
    "picked_up": N_("Picked up by you"),
    "neighbour": N_("Delivered to a neighbour"),
    "returning": N_("Returning to sender"),
    "returned": N_("Returned to sender"),
    "customs": N_("Held at customs"),
    "address": N_("Address problem"),
    "refused": N_("Delivery refused"),
    "damaged": N_("Damaged in transit"),
    "lost": N_("Lost in transit"),
    "delayed": N_("Delayed"),
    "weather": N_("Delayed by weather"),
    "payment": N_("Payment due before delivery"),
    "held": N_("Held by the carrier"),
    "rescheduled": N_("Delivery rescheduled"),
    "not_collected": N_("Not collected in time"),
}

# Provider substatus codes (AfterShip subtags, EasyPost status_detail, Shippo
# substatus.code), compared in lower case.
_CODES: dict[str, str] = {
    # AfterShip
    "attemptfail_001": "attempted", "attemptfail_002": "attempted",
    "attemptfail_003": "attempted", "availableforpickup_001": "pickup",
    "delivered_002": "picked_up", "delivered_005": "neighbour",
    "exception_002": "address", "exception_003": "refused", "exception_004": "customs",
    "exception_005": "delayed", "exception_006": "payment", "exception_007": "address",
    "exception_008": "not_collected", "exception_010": "returning",
    "exception_011": "returned", "exception_012": "damaged", "exception_013": "lost",
    "exception_016": "delayed", "exception_017": "weather", "exception_018": "customs",
    # EasyPost
    "address_correction": "address", "arrived_at_pickup_location": "pickup",
    "attempted_delivery": "attempted", "delivery_attempted": "attempted",
    "damaged": "damaged", "delayed": "delayed", "held": "held", "lost": "lost",
    "refused": "refused", "return": "returning", "customs_hold": "customs",
    "weather_delay": "weather", "rescheduled": "rescheduled",
    # Shippo
    "address_issue": "address", "delivery_rescheduled": "rescheduled",
    "reschedule_delivery": "rescheduled", "package_damaged": "damaged",
    "package_lost": "lost", "package_held": "held", "package_unclaimed": "not_collected",
    "package_returned": "returned", "return_to_sender": "returning",
    "pickup_available": "pickup", "notice_left": "attempted",
    "location_inaccessible": "attempted", "package_undeliverable": "address",
    "customs": "customs",
}

# When the code says nothing, the carrier's own words (in the languages we serve).
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in (
        ("customs", r"\bcustoms\b|\bzoll|\bdouane|alf[aâ]ndega|aduana"),
        ("returned", r"returned to (the )?(sender|shipper)|retourn[ée] [àa] l'exp|"
                     r"devolvid[oa] ao remetente|an den absender zur[üu]ckgesandt"),
        ("returning", r"return(ing)? to (the )?(sender|shipper)|r[üu]cksendung|"
                      r"retour (vers|[àa]) l'exp|devolu[cç][aã]o"),
        ("address", r"\baddress\b|adresse|endere[cç]o"),
        ("damaged", r"\bdamaged?\b|besch[äa]digt|endommag|danificad"),
        ("lost", r"\blost\b|verloren|perdu|extraviad"),
        ("weather", r"\bweather\b|unwetter|m[ée]t[ée]o|\bclima\b"),
        ("refused", r"\brefused\b|verweigert|refus[ée]|recusad"),
    ))

# Which reasons make sense for which status: a delivery is never "lost".
_PROBLEM = frozenset({Status.exception, Status.failed_attempt, Status.returned_to_sender,
                      Status.expired})
_ON_THE_WAY = frozenset({"delayed", "weather", "rescheduled"})
LATE_REASONS = frozenset({"delayed", "weather"})  # they say "late": only with the verdict
_ALLOWED: dict[str, frozenset[str]] = {
    Status.delivered: frozenset({"picked_up", "neighbour"}),
    Status.info_received: _ON_THE_WAY,
    Status.in_transit: _ON_THE_WAY,
    Status.out_for_delivery: _ON_THE_WAY,
    **{status: frozenset(REASONS) - {"picked_up", "neighbour", "pickup"} for status in _PROBLEM},
}


def reason_for(status: str, substatus: str | None, message: str | None, *,
               late: bool = False) -> str | None:
    """A key of REASONS, or None when there is nothing plainer to say than the status.
    A carrier's "delayed" is said only when the parcel is late by our one rule
    (tracking/lateness.py, `late`): the page never says "delayed" while the window
    still ends by the promised day, and an exception is a problem, not a delay."""
    allowed = _ALLOWED.get(status, frozenset()) - (frozenset() if late else LATE_REASONS)
    reason = _CODES.get((substatus or "").strip().lower())
    if reason is None and status in _PROBLEM and message:
        reason = next((key for key, pattern in _WORDS if pattern.search(message)), None)
    if reason not in allowed or REASONS[reason] == LABELS.get(status):
        return None
    return reason


def headline(status: str, reason: str | None) -> str:
    """The words at the top of the page: a problem's reason beats the bare status."""
    if reason and status in _PROBLEM:
        return REASONS[reason]
    return LABELS.get(status, LABELS[Status.in_transit])


def detail(status: str, reason: str | None) -> str | None:
    """The reason when the headline did not already say it."""
    if reason is None or status in _PROBLEM:
        return None
    return REASONS[reason]


def stage_of(status: str) -> int:
    try:
        return STAGE[Status(status)]
    except ValueError:
        return STAGE[Status.in_transit]


def is_problem(status: str) -> bool:
    return status in _PROBLEM or status == Status.cancelled
