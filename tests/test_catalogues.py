"""The Babel catalogues: every phrase a shopper reads, on the pages and in the
built-in emails and SMS, is translated in every language, keeps its placeholders and
template tags, and nothing is left over. Extraction reads babel.cfg, as `pybabel
extract` does. When this fails, see src/afterward/locale/babel.cfg for the commands
that update them."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from afterward.catalogues import LANGUAGES, LOCALE_DIR, po_path, translations

SOURCES = LOCALE_DIR.parent
# What a translation must keep as it is: Python placeholders, and the template's own
# expressions and tags (a built-in email's phrases are pieces of Jinja).
KEPT = re.compile(r"%\(\w+\)s|\{\{.*?\}\}|\{%.*?%\}")

Key = tuple[str | None, str]  # (context, msgid)


def extracted() -> set[Key]:
    with (LOCALE_DIR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            SOURCES, method_map, options_map, keywords=keywords):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def catalogue(code: str) -> Catalog:
    with po_path(code).open("rb") as source:
        return read_po(source, locale=code)


def problems(catalog: Catalog, in_use: set[Key]) -> list[str]:
    """What is wrong with one language's catalogue, one line per problem."""
    entries = {(m.context, m.id): m for m in catalog if m.id and isinstance(m.id, str)}
    found = [f"missing: {key!r}" for key in sorted(in_use - set(entries), key=str)]
    found += [f"no longer used: {key!r}" for key in sorted(set(entries) - in_use, key=str)]
    for key, message in sorted(entries.items(), key=lambda item: str(item[0])):
        if not message.string:
            found.append(f"not translated: {key!r}")
        elif message.fuzzy:
            found.append(f"fuzzy: {key!r}")
        elif _kept(message.string) != _kept(message.id):
            found.append(f"placeholders or tags changed: {key!r}")
    return found


def _kept(text: str | Iterable[str]) -> list[str]:
    return sorted(KEPT.findall(text if isinstance(text, str) else "".join(text)))


@pytest.fixture(scope="module")
def in_use() -> set[Key]:
    return extracted()


def test_extraction_finds_the_pages_and_the_built_in_messages(in_use):
    assert (None, "Tracking history") in in_use  # a page template
    assert (None, "Order %(number)s") in in_use  # page code
    assert (None, "Thank you for your order!") in in_use  # messaging's email layout
    assert (None, "Hello,") in in_use  # the layout all built-in emails share
    assert (None, "Time for a refill?") in in_use  # a journey's built-in
    assert ("address heading", "Shipping to") in in_use
    assert (None, "Shipping to") in in_use  # the page's words, translated apart


def test_extraction_finds_the_admin_s_phrases(in_use):
    assert (None, "Orders per day") in in_use  # an admin template
    assert (None, "Sign out") in in_use  # the admin's layout
    assert (None, "Journeys") in in_use  # a module's navigation label (its module.py)


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_each_catalogue_translates_exactly_the_phrases_in_use(in_use, code):
    assert problems(catalogue(code), in_use) == []


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_each_catalogue_passes_babels_own_checks(code):
    assert [(m.id, errors) for m, errors in catalogue(code).check()] == []


def test_a_phrase_missing_from_a_catalogue_is_reported(in_use):
    doctored = catalogue("fr")
    doctored.delete("Delivered!")
    doctored["Hello,"].string = ""
    doctored["Tracking number"].flags.add("fuzzy")
    doctored["Your order {{ order.number }} has arrived"].string = "Votre commande est arrivée"
    doctored.add("A phrase nobody uses", "Une phrase")

    assert problems(doctored, in_use) == [
        "missing: (None, 'Delivered!')",
        "no longer used: (None, 'A phrase nobody uses')",
        "not translated: (None, 'Hello,')",
        "fuzzy: (None, 'Tracking number')",
        "placeholders or tags changed: (None, 'Your order {{ order.number }} has arrived')",
    ]


def test_the_catalogues_compile_and_answer():
    assert translations("de").gettext("Delivered") == "Zugestellt"
    assert translations("pt_BR").gettext("Delivered") == "Entregue"
    assert translations("en").gettext("Delivered") == "Delivered"
    assert translations("fr").pgettext("address heading", "Shipping to") == \
        "Adresse de livraison"
    assert translations("fr").gettext("Shipping to") == "Livraison à"

