"""The shopper pages' catalogues: every message in the code and templates is
translated in every language, with the same placeholders, and nothing is left over.
When this fails, see src/afterward/locale/babel.cfg for the commands that update them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import afterward
from afterward.web.pages.language import LANGUAGES, LOCALE_DIR, translations

SOURCES = Path(afterward.__file__).parent
METHODS = [("web/pages/**.py", "python"), ("web/templates/pages/**.html", "jinja2")]


def extracted() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            SOURCES, METHODS, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(code: str):
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=code)


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = extracted()
    assert len(found) > 80, "the extractor found too little: is babel.cfg still right?"
    return found


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_each_catalogue_has_exactly_the_messages_in_use(messages, code):
    ids = {m.id for m in catalogue(code) if m.id}

    assert sorted(messages - ids) == [], f"missing from {code}"
    assert sorted(ids - messages) == [], f"no longer used, remove from {code}"


@pytest.mark.parametrize("code", sorted(set(LANGUAGES) - {"en"}))
def test_each_translation_is_done_and_keeps_its_placeholders(code):
    for message in catalogue(code):
        if not message.id:
            continue
        assert message.string, f"{code}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{code}: {message.id!r} is marked fuzzy"
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == \
            sorted(re.findall(r"%\(\w+\)s", str(message.id))), f"{code}: {message.id!r}"


def test_the_catalogues_compile_and_answer():
    assert translations("de").gettext("Delivered") == "Zugestellt"
    assert translations("pt_BR").gettext("Delivered") == "Entregue"
    assert translations("en").gettext("Delivered") == "Delivered"
