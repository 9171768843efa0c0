"""Built-in messages of the modules that cannot import messaging (a domain module such
as returns): each names a package in Module.message_sources whose builtin_sources/
folder holds its KEY.j2 files, written as messaging's own are (source_builder), with
their phrases in the same catalogues. Registered for every installed module when this
module is imported (messaging's Module.templates names it)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from afterward import modules
from afterward.messaging import source_builder, template_registry

SHARED_SUFFIX = "parts"  # parts.j2, return_parts.j2: shared pieces, not messages


def folder_of(package: str) -> Path:
    return Path(str(resources.files(package) / "builtin_sources"))


def keys_of(folder: Path) -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in folder.glob("*.j2")
                        if not path.stem.endswith(SHARED_SUFFIX)))


def _register(package: str) -> None:
    folders = (folder_of(package), source_builder.FOLDER)
    keys = keys_of(folders[0])

    @lru_cache(maxsize=256)
    def source(key: str, channel: str, locale: str) -> source_builder.Source | None:
        if key not in keys or locale not in template_registry.LOCALES:
            return None
        return source_builder.build(folders, key, channel, locale)

    template_registry.register(keys, source)


def keys() -> tuple[str, ...]:
    """Every installed module's built-in message keys."""
    return tuple(key for package in modules.each("message_sources")
                 for key in keys_of(folder_of(package)))


for _package in modules.each("message_sources"):
    _register(_package)
