"""A built-in template's source in one language, rendered from its English
original and the Babel catalogue.

A module writes each built-in once, in a `builtin_sources/` folder: a file per key
(`order_confirmation.j2`) whose blocks are the subject, the SMS and the parts of the
email, with every phrase in `[% trans %]...[% endtrans %]`. Those files are Jinja
with square delimiters (`[% %]`, `[= =]`, `[# #]`), so the `{{ ... }}` and
`{% ... %}` of the message template pass through as text: rendering one with a
language's catalogue gives the plain, complete template a merchant sees in the admin
and can copy into the editor. `pybabel extract` reads the same files (babel.cfg
gives it the delimiters). The modules keep each (key, channel, language) they build
for the life of the process, so no gettext happens when a message is rendered."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from afterward.catalogues import translations

FOLDER = Path(__file__).resolve().parent / "builtin_sources"
EMAIL_LAYOUT, TEXT_LAYOUT = "layout.mjml", "layout.txt"

Source = tuple[str | None, str, str | None]


def build(folders: tuple[Path, ...], key: str, channel: str, locale: str) -> Source | None:
    """(subject, body, text_body) of `key` in `locale`, or None when the key has no
    version for the channel. `folders` are searched in order (a module's own first,
    then messaging's, whose layouts and parts every built-in shares). This renders the
    key's file each time it is called: the caller keeps what it built."""
    template = _environment(folders, locale).get_template(f"{key}.j2")
    if channel == "sms":
        return (None, _block(template, "sms"), None) if "sms" in template.blocks else None
    if channel != "email":
        return None
    return (_block(template, "subject"), template.render(layout=EMAIL_LAYOUT),
            template.render(layout=TEXT_LAYOUT))


@cache
def _environment(folders: tuple[Path, ...], locale: str) -> Environment:
    env = Environment(  # babel.cfg gives the extractor the same delimiters
        block_start_string="[%", block_end_string="%]", variable_start_string="[=",
        variable_end_string="=]", comment_start_string="[#", comment_end_string="#]",
        loader=FileSystemLoader(folders), extensions=["jinja2.ext.i18n"], autoescape=False,
        undefined=StrictUndefined, keep_trailing_newline=True)
    env.install_gettext_translations(translations(locale), newstyle=False)  # type: ignore[attr-defined]
    env.globals["lang"] = locale.split("_")[0]
    return env


def _block(template: Template, name: str) -> str:
    """One block of a key's file alone: the subject or the SMS, which need no layout."""
    return "".join(template.blocks[name](template.new_context()))
