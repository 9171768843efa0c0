"""The carriers Afterward knows by name: a code, a display name and the carrier's
public tracking page. Provider spellings ("USPS", "postnl-3s", "dhl_express")
normalise to these codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    url_template: str | None  # "{number}" is replaced by the quoted tracking number

    def tracking_url(self, number: str) -> str | None:
        if self.url_template is None:
            return None
        return self.url_template.format(number=quote(number, safe=""))


CARRIERS: dict[str, Carrier] = {c.code: c for c in (
    Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
    Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    Carrier("dhl_express", "DHL Express",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
            "?submit=1&tracking-id={number}"),
    Carrier("dhl_ecommerce", "DHL eCommerce", "https://webtrack.dhlecs.com/?trackingnumber={number}"),
    Carrier("royal_mail", "Royal Mail",
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
    Carrier("postnl", "PostNL", "https://jouw.postnl.nl/track-and-trace/{number}"),
    Carrier("canada_post", "Canada Post",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}"),
    Carrier("australia_post", "Australia Post",
            "https://auspost.com.au/mypost/track/details/{number}"),
    Carrier("la_poste", "La Poste / Colissimo",
            "https://www.laposte.fr/outils/suivre-vos-envois?code={number}"),
    Carrier("deutsche_post", "Deutsche Post / DHL Paket",
            "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}"),
    # An S10 item of a postal operator not listed above; the sender's post tracks it.
    Carrier("upu", "International post", None),
)}

# Which national operator issues S10 numbers ending in each country code.
S10_OPERATORS = {
    "US": "usps", "GB": "royal_mail", "NL": "postnl", "CA": "canada_post",
    "AU": "australia_post", "FR": "la_poste", "DE": "deutsche_post",
}

# Provider spellings, compared without case or punctuation ("DHL_Express" == "dhlexpress").
_ALIASES = {
    "ups": "ups", "upsmailinnovations": "ups",
    "usps": "usps", "uspostalservice": "usps", "unitedstatespostalservice": "usps",
    "fedex": "fedex", "fedexground": "fedex", "fedexsmartpost": "fedex", "fedexexpress": "fedex",
    "dhl": "dhl_express", "dhlexpress": "dhl_express",
    "dhlecommerce": "dhl_ecommerce", "dhlecs": "dhl_ecommerce", "dhlglobalmail": "dhl_ecommerce",
    "dhlecommerceus": "dhl_ecommerce", "dhlecommerceasia": "dhl_ecommerce",
    "royalmail": "royal_mail", "parcelforce": "royal_mail",
    "postnl": "postnl", "postnl3s": "postnl", "postnlinternational": "postnl",
    "postnlinternational3s": "postnl",
    "canadapost": "canada_post", "australiapost": "australia_post", "auspost": "australia_post",
    "lapost": "la_poste", "laposte": "la_poste", "colissimo": "la_poste",
    "lapostecolissimo": "la_poste", "colissimofr": "la_poste",
    "deutschepost": "deutsche_post", "deutschpost": "deutsche_post", "dhlgermany": "deutsche_post",
    "dhlpaket": "deutsche_post", "dhlde": "deutsche_post",
}


def get(code: str | None) -> Carrier | None:
    """A carrier by our code or by any spelling a provider or platform uses."""
    if not code:
        return None
    return CARRIERS.get(code) or CARRIERS.get(normalize_code(code) or "")


def normalize_code(raw: str | None) -> str | None:
    """A provider's carrier name as one of our codes; an unknown carrier keeps its
    own name (lower case, at most 32 characters) rather than being dropped."""
    if raw is None or not raw.strip():
        return None
    compact = re.sub(r"[^a-z0-9]", "", raw.lower())
    if compact in _ALIASES:
        return _ALIASES[compact]
    cleaned = re.sub(r"[^a-z0-9_]+", "_", raw.strip().lower()).strip("_")
    return cleaned[:32] or None


def tracking_url(code: str | None, number: str | None) -> str | None:
    carrier = get(code)
    if carrier is None or not number:
        return None
    return carrier.tracking_url(number)


def display_name(code: str | None) -> str | None:
    carrier = get(code)
    return carrier.name if carrier else code
