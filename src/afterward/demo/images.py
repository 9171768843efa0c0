"""Generated illustrations: a product picture (category colours, a category icon,
the product's initials) and a store logo. Deterministic, no network, no fonts to
ship; the media router serves them."""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape, quoteattr

# category -> (background, foreground)
PALETTE = {
    "Coffee & Tea": ("#f3e9dc", "#6f4e37"),
    "Kitchen": ("#e3edf2", "#35637a"),
    "Skincare": ("#f6e6ee", "#a4506f"),
    "Apparel": ("#e7ebf6", "#3d4f8a"),
    "Home": ("#ecf0e2", "#5d7041"),
    "Pet": ("#fbeedd", "#b5651d"),
}
DEFAULT_COLOURS = ("#eeeeee", "#555555")

# Icons drawn in a 200 x 200 box; "{fg}" is the foreground colour.
_ICONS = {
    "Coffee & Tea": (
        '<path d="M40 80h100v50a40 40 0 0 1-40 40h-20a40 40 0 0 1-40-40z" fill="{fg}"/>'
        '<circle cx="150" cy="110" r="20" fill="none" stroke="{fg}" stroke-width="10"/>'
        '<path d="M70 30q10 15 0 30M95 25q10 15 0 35M120 30q10 15 0 30" fill="none" '
        'stroke="{fg}" stroke-width="6" stroke-linecap="round" opacity="0.6"/>'
    ),
    "Kitchen": (
        '<circle cx="85" cy="110" r="55" fill="{fg}"/>'
        '<circle cx="85" cy="110" r="38" fill="#ffffff" opacity="0.25"/>'
        '<rect x="132" y="100" width="60" height="20" rx="10" fill="{fg}"/>'
    ),
    "Skincare": (
        '<rect x="60" y="70" width="80" height="110" rx="22" fill="{fg}"/>'
        '<rect x="82" y="45" width="36" height="30" rx="6" fill="{fg}" opacity="0.8"/>'
        '<rect x="76" y="25" width="48" height="22" rx="8" fill="{fg}" opacity="0.6"/>'
        '<rect x="75" y="110" width="50" height="36" rx="6" fill="#ffffff" opacity="0.35"/>'
    ),
    "Apparel": (
        '<path d="M70 30l-50 30 20 40 20-10v90h80v-90l20 10 20-40-50-30q-30 25-60 0z" '
        'fill="{fg}"/>'
    ),
    "Home": (
        '<path d="M100 25l80 70h-22v80H42v-80H20z" fill="{fg}"/>'
        '<rect x="85" y="125" width="30" height="50" rx="4" fill="#ffffff" opacity="0.35"/>'
    ),
    "Pet": (
        '<ellipse cx="100" cy="130" rx="45" ry="38" fill="{fg}"/>'
        '<ellipse cx="50" cy="85" rx="17" ry="22" fill="{fg}"/>'
        '<ellipse cx="80" cy="55" rx="17" ry="23" fill="{fg}"/>'
        '<ellipse cx="120" cy="55" rx="17" ry="23" fill="{fg}"/>'
        '<ellipse cx="150" cy="85" rx="17" ry="22" fill="{fg}"/>'
    ),
}
_DEFAULT_ICON = '<rect x="45" y="45" width="110" height="110" rx="20" fill="{fg}"/>'
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def initials(text: str, letters: int = 2) -> str:
    words = [w for w in text.replace("-", " ").split() if w[:1].isalnum()]
    picked = "".join(w[0] for w in words[:letters]).upper()
    return picked or "?"


def _tilt(seed: str) -> int:
    """A small deterministic rotation (-12..12 degrees) so siblings differ."""
    return hashlib.sha256(seed.encode()).digest()[0] % 25 - 12


def product_svg(title: str, category: str | None) -> str:
    background, foreground = PALETTE.get(category or "", DEFAULT_COLOURS)
    icon = _ICONS.get(category or "", _DEFAULT_ICON).replace("{fg}", foreground)
    label = escape(initials(title))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" '
        f'height="400" role="img" aria-label={quoteattr(title)}>'
        f'<rect width="400" height="400" fill="{background}"/>'
        f'<circle cx="330" cy="70" r="90" fill="{foreground}" opacity="0.08"/>'
        f'<g transform="translate(100 50) rotate({_tilt(title)} 100 100)">{icon}</g>'
        f'<text x="200" y="345" text-anchor="middle" font-family="{FONT}" font-size="56" '
        f'font-weight="700" fill="{foreground}" letter-spacing="4">{label}</text>'
        "</svg>"
    )


def _colour(value: str | None, fallback: str) -> str:
    return value if value and _HEX.match(value) else fallback


def logo_svg(name: str, primary: str | None, accent: str | None) -> str:
    """A badge with the store's initial in its brand colours, then its name."""
    primary, accent = _colour(primary, "#1f3a5f"), _colour(accent, "#e07a1f")
    text = escape(name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 72" width="360" height="72" '
        f'role="img" aria-label={quoteattr(name)}>'
        f'<rect x="4" y="4" width="64" height="64" rx="16" fill="{primary}"/>'
        f'<text x="36" y="50" text-anchor="middle" font-family="{FONT}" font-size="36" '
        f'font-weight="800" fill="{accent}">{escape(initials(name, 1))}</text>'
        f'<text x="84" y="47" font-family="{FONT}" font-size="28" font-weight="700" '
        f'fill="{primary}">{text}</text>'
        "</svg>"
    )
