"""Built-in templates, by key, from whichever installed module brings them.

Messaging brings its own (order confirmation, shipped, delivered); the journeys
module brings the rest; a new module brings its own. Each registers a `source`
function for its keys when its templates module is imported, and the installed
modules' templates modules (Module.templates) are imported on first use, so
messaging never imports the modules whose templates it renders."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from afterward import catalogues, modules

Source = Callable[[str, str, str], "tuple[str | None, str, str | None] | None"]
LOCALES = tuple(catalogues.LANGUAGES)

_SOURCES: dict[str, Source] = {}


def register(keys: Iterable[str], source: Source) -> None:
    """`source(key, channel, locale)` gives (subject, body, text_body) or None."""
    for key in keys:
        _SOURCES[key] = source


def registered_keys() -> list[str]:
    modules.import_all("templates")
    return list(_SOURCES)


def source(key: str, channel: str, locale: str) -> tuple[str | None, str, str | None] | None:
    """(subject, body, text_body) of the built-in `key`, or None when there is none."""
    modules.import_all("templates")
    found = _SOURCES.get(key)
    return found(key, channel, locale) if found is not None else None
