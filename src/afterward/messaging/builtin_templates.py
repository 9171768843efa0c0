"""Built-in templates (en, de, fr, pt_BR) for order confirmation, shipped and
delivered: MJML email with a text part, and a short SMS. Each is written once, in
English, in builtin_sources/ (see source_builder), with its phrases in the Babel
catalogues, so what a merchant copies into the editor is a plain, complete template
in their language. SMS phrases keep to GSM-7 where the language allows (straight
quotes, no 'ç'), since one other character doubles the price."""

from __future__ import annotations

from functools import lru_cache

from afterward.messaging import source_builder, template_registry

KEYS = ("order_confirmation", "shipment_shipped", "shipment_delivered")
LOCALES = template_registry.LOCALES
FOLDERS = (source_builder.FOLDER,)


@lru_cache(maxsize=256)
def source(key: str, channel: str, locale: str) -> source_builder.Source | None:
    """(subject, body, text_body) of one of messaging's built-ins, or None."""
    if key not in KEYS or locale not in LOCALES:
        return None
    return source_builder.build(FOLDERS, key, channel, locale)


template_registry.register(KEYS, source)
