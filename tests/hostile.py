"""Hostile text for fields that customers, carriers and store platforms control, and
a check that a rendered document shows such text as text: parsed with the standard
library's HTMLParser, it has no script (the app's pages and emails have none of their
own but the admin dashboard's files under /static/, loaded by src with no inline code;
JSON data in a script element is checked as JSON), no on* attribute and no
javascript: URL, and the hostile values are there, whole, as text or as attribute
values (so the fields really were rendered, and nothing evaluated them: {{7*7}}
would have become 49)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Every piece an injection would use: a script element, a broken-out double-quoted
# attribute with a new element, a broken-out single-quoted attribute, template
# syntax, the end of a textarea, the end of a CDATA section.
CORE = ("\"><img src=x onerror=alert(1)><script>alert(1)</script>"
        "' onmouseover='alert(1) {{7*7}} </textarea> ]]>")
# What may stand in a URL field and must never become one.
SCRIPT_URL = "javascript:alert(1)"
# The raw forms that escaping must never let through into a template-rendered page.
RAW_FORMS = ("<script>alert(1)", "<img src=x onerror=", "' onmouseover='", "<svg onload=x>")


def hostile(label: str, limit: int | None = None) -> str:
    """A value made of `label` in brackets (so each field's text can be told apart,
    and no label ends another) and CORE, cut to what the field accepts (and, as
    inputs are stripped, without a space at the end)."""
    return f"[{label}]{CORE}"[:limit].rstrip()


@dataclass
class Document:
    """What a page is made of, as a browser's parser would see it."""

    problems: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)  # text and attribute values


_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "srcset", "poster",
                             "background", "xlink:href", "data", "ping"})
_JSON_SCRIPTS = frozenset({"application/ld+json", "application/json"})
_SCHEME = re.compile(r"^[\x00-\x20]*([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


class _Scanner(HTMLParser):
    def __init__(self, document: Document, where: str) -> None:
        super().__init__(convert_charrefs=True)
        self.document, self.where = document, where
        self.script: tuple[str, list[str]] | None = None  # (type, text) of an open script

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self._attribute(tag, name, value or "")
        if tag == "script":
            kind = (dict(attrs).get("type") or "").lower()
            if kind not in _JSON_SCRIPTS and not _ours(dict(attrs).get("src") or ""):
                self._problem(f"<script type={kind or 'text/javascript'!r}>: a script")
            self.script = (kind, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.script is not None:
            kind, text = self.script
            if kind in _JSON_SCRIPTS and ("</" in "".join(text) or _not_json("".join(text))):
                self._problem(f"<script type={kind!r}>: data that is not plain JSON")
            elif kind not in _JSON_SCRIPTS and "".join(text).strip():
                self._problem("<script src=...> with inline code: a script")
            self.script = None

    def close(self) -> None:
        super().close()
        if self.script is not None:
            self._problem("a script element left open to the end")

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script[1].append(data)
        else:
            self.document.strings.append(data)

    def _attribute(self, tag: str, name: str, value: str) -> None:
        self.document.strings.append(value)
        if name.startswith("on"):
            self._problem(f"<{tag} {name}=...>: an event handler attribute")
        if name in _URL_ATTRIBUTES and _runs_script(value):
            self._problem(f"<{tag} {name}={value[:40]!r}>: a URL that runs script")
        if name == "srcdoc":  # a document of its own: check it as one
            _scan(value, self.document, f"{self.where} > <{tag} srcdoc>")

    def _problem(self, text: str) -> None:
        self.document.problems.append(f"{self.where}: {text}")


def _runs_script(url: str) -> bool:
    """As a browser reads a URL: tabs and line breaks anywhere are dropped."""
    scheme = _SCHEME.match(re.sub(r"[\t\n\r]", "", url))
    if scheme is None:
        return False
    name = scheme.group(1).lower()
    return name in ("javascript", "vbscript") or (
        name == "data" and "text/html" in url.lower())


def _ours(src: str) -> bool:
    """A file this app serves (its chart drawing and the vendored Chart.js): a path under
    /static/, never a URL with a scheme or a host of its own."""
    return src.startswith("/static/") and not src.startswith("//") and "\\" not in src


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def _scan(html: str, document: Document, where: str) -> None:
    scanner = _Scanner(document, where)
    scanner.feed(html)
    scanner.close()


def parse(html: str, where: str = "document") -> Document:
    document = Document()
    _scan(html, document, where)
    return document


def raw_forms_in(html: str) -> list[str]:
    """The hostile pieces that stand in the markup as they were typed."""
    return [form for form in RAW_FORMS if form in html]


def missing(document: Document, values: Iterable[str]) -> list[str]:
    """The values that the document shows nowhere, whole, as text or attribute."""
    return [value for value in values
            if not any(value in string for string in document.strings)]
