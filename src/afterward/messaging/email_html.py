"""An email template's MJML turned into HTML once per template version, with its Jinja
tags left in: each message is then one Jinja render of that HTML.

MJML and CSS inlining cost about a millisecond a message, and neither needs the
message's values. So the template's Jinja tags (`{{ ... }}`, `{% ... %}`, `{# ... #}`)
are swapped for placeholders that MJML and the inliner copy through untouched (letters
and digits), the MJML goes through `html.mjml_to_html`, and the tags are put back:

- a statement (`{% ... %}`, `{# ... #}`) that lands in the body's text is first wrapped
  in an HTML comment, because the HTML parser of the inliner moves text it finds
  between table rows out of the table, and comments stay where they are;
- the tags before `<mjml>` and after `</mjml>` (a `{% set %}` at the top) are kept
  around the HTML.

Jinja then renders the HTML, escaping the values (autoescape), so an output is where
the template put it and a value never becomes markup. A template whose tags MJML or
the inliner do not keep (a statement inside mj-style, a value in an attribute MJML
computes with, such as a width) is refused, naming the tag; what MJML computes from
the elements it sees (the width of columns in a loop, say) is computed once, for the
template as written."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import zip_longest

from afterward.messaging.html import inline_styles, mjml_to_html, render_mjml

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"(?:<!--)?QzkX(\d+)XkzQ(?:-->)?")
# Text in the body: a tag or comment is skipped whole (quoted values may hold '>').
_BODY_TEXT = re.compile(r"<!--.*?-->|<[^>\"']*(?:\"[^\"]*\"[^>\"']*|'[^']*'[^>\"']*)*>"
                        r"|QzkX(\d+)XkzQ", re.DOTALL)


class TagsNotKept(ValueError):
    """MJML or the inliner dropped, doubled or moved a Jinja tag."""


def placeholder(index: int) -> str:
    return f"QzkX{index}XkzQ"


@lru_cache(maxsize=256)
def compile_email(source: str) -> str:
    """The HTML, tags in, of an MJML template (MjmlError, TagsNotKept)."""
    if _PLACEHOLDER.search(source):
        raise TagsNotKept("the template holds text that looks like a placeholder (QzkX…XkzQ)")
    tags = [match.group(0) for match in _TAG.finditer(source)]
    start, end = source.find("<mjml"), source.rfind("</mjml>")
    if start < 0 or end < 0:
        return mjml_to_html(source)  # MJML says what is missing
    end += len("</mjml>")
    first, last = len(_TAG.findall(source[:start])), len(tags) - len(_TAG.findall(source[end:]))
    numbered = iter(range(first, last))
    marked = _TAG.sub(lambda _: placeholder(next(numbered)), source[start:end])
    html = inline_styles(_comment_statements(render_mjml(marked), tags))
    return "".join(tags[:first]) + _put_back(html, tags, first, last) + "".join(tags[last:])


def _comment_statements(html: str, tags: list[str]) -> str:
    """The placeholders of statements in the body's text, each in a comment."""
    body = max(html.find("<body"), 0)

    def wrap(match: re.Match[str]) -> str:
        index = match.group(1)
        if index is None or tags[int(index)].startswith("{{"):
            return match.group(0)
        return f"<!--{match.group(0)}-->"

    return html[:body] + _BODY_TEXT.sub(wrap, html[body:])


def _put_back(html: str, tags: list[str], first: int, last: int) -> str:
    """The HTML with each placeholder replaced by its tag, once checked that every
    statement came through once and in order, and every output at least once."""
    seen = [int(m.group(1)) for m in _PLACEHOLDER.finditer(html)]
    statements = [i for i in seen if not tags[i].startswith("{{")]
    expected = [i for i in range(first, last) if not tags[i].startswith("{{")]
    missing = set(range(first, last)) - set(seen)
    if missing:
        raise _not_kept(tags[min(missing)])
    for got, wanted in zip_longest(statements, expected):
        if got != wanted:
            raise _not_kept(tags[got if wanted is None else wanted])
    return _PLACEHOLDER.sub(lambda m: tags[int(m.group(1))], html)


def _not_kept(tag: str) -> TagsNotKept:
    return TagsNotKept(f"MJML or the CSS inliner does not keep {tag!r} in place (a tag "
                       "inside mj-style, or in an attribute MJML computes with?)")
