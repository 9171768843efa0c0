"""The Babel catalogues: one per language, under afterward/locale, holding every
phrase a shopper reads, on the pages and in the built-in emails and SMS.

They are .po files compiled in memory on first use, so there is no build step and
no stale .mo file to trip over. How they are extracted and updated:
afterward/locale/babel.cfg."""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
# Our catalogue code -> the language's own name, for the switcher (never translated).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
}


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The catalogue of one language; English is the source language, said as written."""
    po = po_path(code)
    if code == DEFAULT or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")
