"""WCAG 2 contrast for brand colours: a store's colour is used for text only in a
shade that reaches AA (4.5:1) on white; otherwise it is darkened until it does."""

from __future__ import annotations

import re
from functools import lru_cache

AA_TEXT = 4.5
WHITE, BLACK = "#ffffff", "#000000"
_HEX = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_hex(colour: str) -> tuple[int, int, int]:
    """'#1f3a5f' or '#abc' as (r, g, b); ValueError for anything else."""
    match = _HEX.match(colour.strip())
    if match is None:
        raise ValueError(f"{colour!r} is not a colour like #1f3a5f")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (_linear(c) for c in parse_hex(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


@lru_cache(maxsize=1024)  # pure, and every page asks for its store's colours
def readable_on(colour: str, background: str = WHITE, minimum: float = AA_TEXT) -> str:
    """The colour itself if text in it is readable on `background`, else the lightest
    darker shade (same hue, mixed towards black) that is. Black always qualifies on
    white, so there is always an answer for light backgrounds."""
    colour = to_hex(parse_hex(colour))
    if contrast_ratio(colour, background) >= minimum:
        return colour
    r, g, b = parse_hex(colour)
    low, high = 0.0, 1.0  # share of the original colour kept; 0 is black
    for _ in range(20):
        mid = (low + high) / 2
        if contrast_ratio(to_hex((r * mid, g * mid, b * mid)), background) >= minimum:
            low = mid
        else:
            high = mid
    return _floor_to_pass(to_hex((r * low, g * low, b * low)), background, minimum)


def _floor_to_pass(colour: str, background: str, minimum: float) -> str:
    # Rounding to whole channel values can land a hair under the line: step down.
    r, g, b = parse_hex(colour)
    while contrast_ratio(to_hex((r, g, b)), background) < minimum and (r or g or b):
        r, g, b = max(r - 1, 0), max(g - 1, 0), max(b - 1, 0)
    return to_hex((r, g, b))


@lru_cache(maxsize=1024)  # pure, and every page asks for its store's colours
def text_on(background: str) -> str:
    """Black or white, whichever reads better on `background` (at least 4.58:1 for
    any colour: the two meet at a luminance of about 0.18)."""
    return WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(BLACK, background) \
        else BLACK


@lru_cache(maxsize=1024)  # pure, and every page asks for its store's colours
def safe_colour(colour: str | None, fallback: str) -> str:
    """A stored brand colour, or the fallback when it is missing or malformed."""
    try:
        return to_hex(parse_hex(colour or ""))
    except ValueError:
        return fallback
