"""How many SMS segments a text costs. GSM-7 fits 160 septets in one segment and
153 per part once split (the user data header takes 7); an extension character
(€, [, ], {, }, ...) is an escape plus a septet, so it counts double and is never
cut in half. One character outside GSM-7 switches the whole text to UCS-2: 70
UTF-16 units, 67 per part, and a surrogate pair (most emoji) is never split.
A non-breaking space or a curly quote pasted from a word processor is such a
character: it silently more than doubles the cost of a long message."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int  # capacity of one segment at this length


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def count_segments(text: str) -> SegmentCount:
    if is_gsm7(text):
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return _pack("gsm7", sizes, single=160, multi=153)
    sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return _pack("ucs2", sizes, single=70, multi=67)


def _pack(encoding: str, sizes: list[int], *, single: int, multi: int) -> SegmentCount:
    total = sum(sizes)
    if total <= single:
        return SegmentCount(encoding, total, 1 if total else 0, single)
    segments, room = 1, multi
    for size in sizes:
        if size > room:  # an escape pair or surrogate pair goes whole into the next part
            segments, room = segments + 1, multi
        room -= size
    return SegmentCount(encoding, total, segments, multi)
