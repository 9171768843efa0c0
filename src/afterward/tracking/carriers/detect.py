"""Which carrier issued a tracking number: every format that matches, ranked.

A format with a check digit only matches when the digit is right, and ranks above
formats that have none. Never raises: an unknown or garbled number yields []."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from afterward.tracking.carriers import checksums
from afterward.tracking.carriers.registry import CARRIERS, S10_OPERATORS

MAX_LENGTH = 64
_SEPARATORS = re.compile(r"[\s\-.]+")
_SHAPE = re.compile(r"[0-9A-Z]+", re.ASCII)


@dataclass(frozen=True)
class Candidate:
    carrier: str  # a code in registry.CARRIERS
    format: str  # which of the carrier's formats matched
    confidence: float  # 0..1, comparable across carriers
    check_digit: bool  # the number carries a check digit and it is right
    country: str | None = None  # S10 numbers: the issuing post's country

    @property
    def name(self) -> str:
        return CARRIERS[self.carrier].name


def normalize(number: str) -> str:
    """Upper case without spaces, dashes or dots, as printed labels group digits."""
    return _SEPARATORS.sub("", number).upper()


def _match(pattern: str) -> Callable[[str], re.Match[str] | None]:
    compiled = re.compile(pattern, re.ASCII)
    return compiled.fullmatch


_UPS = _match(r"1Z([0-9A-Z]{15})([0-9])")
_S10 = _match(r"([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})")
_DIGITS = _match(r"[0-9]+")
_DHL_ECOM = _match(r"(GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)[0-9]{10,39}")
_DHL_PIECE = _match(r"J[A-Z]{2,3}[0-9]{9,20}")
_POSTNL_3S = _match(r"3S[0-9A-Z]{4}[0-9]{5,11}")
_COLISSIMO = _match(r"[0-9][A-Z][0-9]{11}")
_AUSPOST = _match(r"[0-9]{2}[A-Z]{3}[0-9]{16,18}")
_IMPB_AI = _match(r"9[1-5]")  # IMpb application identifiers


def _ups(n: str) -> list[Candidate]:
    m = _UPS(n)
    if m and checksums.ups(m.group(1)) == int(m.group(2)):
        return [Candidate("ups", "1Z", 0.99, True)]
    return []


def _s10(n: str) -> list[Candidate]:
    m = _S10(n)
    if not m or checksums.s10(m.group(2)) != int(m.group(3)):
        return []
    country = m.group(4)
    carrier = S10_OPERATORS.get(country, "upu")
    return [Candidate(carrier, "S10", 0.95 if carrier != "upu" else 0.9, True, country)]


def _valid_mod10(serial: str) -> bool:
    return checksums.mod10_31(serial[:-1]) == int(serial[-1])


def _impb_serials(n: str) -> list[tuple[bool, str]]:
    """The IMpb serial, alone or after its 420 + ZIP5 / ZIP9 routing prefix."""
    serials = [(False, n)]
    if n.startswith("420"):
        serials += [(True, n[8:]), (True, n[12:])]
    return [(routed, s) for routed, s in serials if len(s) in (20, 22, 26)]


def _usps(n: str) -> list[Candidate]:
    for routed, serial in _impb_serials(n):
        if len(serial) in (22, 26) and _IMPB_AI(serial[:2]) and _valid_mod10(serial):
            found = [Candidate("usps", "IMpb", 0.9, True)]
            if serial.startswith("92"):  # FedEx Ground Economy and DHL eCommerce hand these to USPS
                found += [Candidate("fedex", "SmartPost", 0.45, True),
                          Candidate("dhl_ecommerce", "IMpb", 0.4, True)]
            elif serial.startswith("93"):
                found.append(Candidate("dhl_ecommerce", "IMpb", 0.4, True))
            return found
        if len(serial) == 20 and (_valid_mod10(serial) or _valid_mod10("91" + serial)):
            return [Candidate("usps", "IMpb" if routed else "USPS 20", 0.6, True)]
    return []


def _fedex(n: str) -> list[Candidate]:
    length, found = len(n), []
    if length == 12 and checksums.fedex_express(n[:11]) == int(n[11]):
        found.append(Candidate("fedex", "Express 12", 0.7, True))
    elif length == 15 and _valid_mod10(n):
        found.append(Candidate("fedex", "Ground 15", 0.7, True))
    elif length == 20 and _valid_mod10("92" + n):
        found.append(Candidate("fedex", "SmartPost 20", 0.5, True))
    elif length == 22 and n.startswith("96") and _valid_mod10(n[7:]):
        found.append(Candidate("fedex", "Ground 96", 0.9, True))
    elif length == 34 and checksums.fedex_express(n[20:33]) == int(n[33]):
        found.append(Candidate("fedex", "Express 34", 0.85, True))
    return found


def _dhl(n: str) -> list[Candidate]:
    if _DIGITS(n) and len(n) in (10, 11) and checksums.mod7(n[:-1]) == int(n[-1]):
        return [Candidate("dhl_express", "Air waybill", 0.6, True)]
    if _DHL_PIECE(n):
        return [Candidate("dhl_express", "Piece ID", 0.6, False),
                Candidate("deutsche_post", "Piece ID", 0.4, False)]
    if _DHL_ECOM(n):
        return [Candidate("dhl_ecommerce", n[:2], 0.8 if n.startswith("GM") else 0.6, False)]
    return []


def _deutsche_post(n: str) -> list[Candidate]:
    if len(n) == 20 and n.startswith("00340") and _valid_mod10(n):
        return [Candidate("deutsche_post", "SSCC", 0.85, True)]
    if len(n) == 12 and checksums.identcode(n[:11]) == int(n[11]):
        return [Candidate("deutsche_post", "Identcode", 0.5, True)]
    return []


def _canada_post(n: str) -> list[Candidate]:
    if len(n) == 16 and _valid_mod10(n):
        return [Candidate("canada_post", "Domestic 16", 0.75, True)]
    return []


def _unchecked(n: str) -> list[Candidate]:
    if _POSTNL_3S(n):
        return [Candidate("postnl", "3S", 0.85, False)]
    if _COLISSIMO(n):
        return [Candidate("la_poste", "Colissimo", 0.6, False)]
    if _AUSPOST(n):
        return [Candidate("australia_post", "eParcel article", 0.55, False)]
    return []


_NUMERIC = (_usps, _fedex, _dhl, _deutsche_post, _canada_post)
_ALPHANUMERIC = (_ups, _s10, _dhl, _unchecked)


def detect(number: str) -> list[Candidate]:
    """Every carrier format the number fits, the likeliest first."""
    if not isinstance(number, str) or len(number) > 2 * MAX_LENGTH:
        return []
    n = normalize(number)
    if not (4 <= len(n) <= MAX_LENGTH) or not _SHAPE.fullmatch(n):
        return []
    rules = _NUMERIC if _DIGITS(n) else _ALPHANUMERIC
    found = [c for rule in rules for c in rule(n)]
    best: dict[str, Candidate] = {}
    for c in found:
        if c.carrier not in best or c.confidence > best[c.carrier].confidence:
            best[c.carrier] = c
    order = list(CARRIERS)
    return sorted(best.values(), key=lambda c: (-c.confidence, order.index(c.carrier)))


def best_guess(number: str, *, min_confidence: float = 0.6) -> Candidate | None:
    """The top candidate when it is confident and clearly ahead of the next one."""
    ranked = detect(number)
    if not ranked or ranked[0].confidence < min_confidence:
        return None
    if len(ranked) > 1 and ranked[1].confidence == ranked[0].confidence:
        return None
    return ranked[0]
